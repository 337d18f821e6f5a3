"""Dates and times read in words, in both languages (content/dates.py), and every message
template free of ISO dates and 24-hour clock times."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from jiayi.content import LOCALES
from jiayi.content.dates import day_words, full_date_words, hour_words, time_words, when_words
from jiayi.content.render import Renderer
from jiayi.services.clock import ManualClock
from tests.unit.test_content import SAMPLE_CONTEXT

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 12, 7)
CHECK_UP = datetime(2026, 12, 9, 8, 30, tzinfo=SHANGHAI)  # a Wednesday
NEXT_YEAR = datetime(2027, 1, 9, 8, 30, tzinfo=SHANGHAI)  # a Saturday
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# 08:30 or 14:00: a leading zero or an hour past 12 only a 24-hour clock writes.
CLOCK_24H = re.compile(r"(?<![\d:])(?:0\d|1[3-9]|2[0-3]):[0-5]\d")
INTERNAL_STATUS = re.compile(r"cancelled_resident|cancelled_centre|no_show")


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("zh-CN", "12月9日（周三）上午8:30"), ("en", "Wed 9 Dec, 8:30 am")],
)
def test_date_and_time_in_words_this_year(locale: str, expected: str) -> None:
    assert when_words(CHECK_UP, locale, today=TODAY) == expected


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("zh-CN", "2027年1月9日（周六）上午8:30"), ("en", "Sat 9 Jan 2027, 8:30 am")],
)
def test_the_year_is_said_only_for_another_year(locale: str, expected: str) -> None:
    assert when_words(NEXT_YEAR, locale, today=TODAY) == expected
    assert when_words(NEXT_YEAR, locale, today=date(2027, 1, 2)) == expected.replace(
        "2027年", ""
    ).replace(" 2027", "")


@pytest.mark.parametrize(
    ("locale", "this_year", "other_year"),
    [
        ("zh-CN", "12月9日（周三）", "2025年12月9日（周二）"),
        ("en", "Wed 9 Dec", "Tue 9 Dec 2025"),
    ],
)
def test_date_only(locale: str, this_year: str, other_year: str) -> None:
    assert day_words(date(2026, 12, 9), locale, today=TODAY) == this_year
    assert day_words(date(2025, 12, 9), locale, today=TODAY) == other_year


@pytest.mark.parametrize(
    ("at", "zh", "en"),
    [
        (time(8, 30), "上午8:30", "8:30 am"),
        # Noon is 中午 ("midday"), not 下午 ("afternoon"); in English it is 12:00 pm.
        (time(12, 0), "中午12:00", "12:00 pm"),
        (time(12, 45), "中午12:45", "12:45 pm"),
        (time(0, 0), "午夜12:00", "12:00 am"),
        (time(0, 30), "凌晨12:30", "12:30 am"),
        (time(7, 0), "早上7:00", "7:00 am"),
        (time(14, 5), "下午2:05", "2:05 pm"),
        (time(19, 0), "晚上7:00", "7:00 pm"),
        (time(23, 59), "晚上11:59", "11:59 pm"),
    ],
)
def test_times_of_day(at: time, zh: str, en: str) -> None:
    assert time_words(at, "zh-CN") == zh
    assert time_words(at, "en") == en


def test_whole_hours_and_birth_dates() -> None:
    assert hour_words(22, "zh-CN") == "晚上10:00"
    assert hour_words(7, "en") == "7:00 am"
    assert full_date_words(date(2024, 3, 15), "zh-CN") == "2024年3月15日"
    assert full_date_words(date(2024, 3, 15), "en") == "15 Mar 2024"


def test_a_datetime_is_read_in_the_zone_it_carries() -> None:
    late_utc = datetime(2026, 12, 9, 23, 30, tzinfo=UTC)  # 07:30 on the 10th in Shanghai
    assert when_words(late_utc.astimezone(SHANGHAI), "zh-CN", today=TODAY) == (
        "12月10日（周四）早上7:30"
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_renderer_filters_use_its_clock_for_this_year(locale: str) -> None:
    clock = ManualClock(datetime(2027, 1, 3, 2, 0, tzinfo=UTC))
    renderer = Renderer(clock=clock, zone=SHANGHAI)
    template = renderer.env.from_string("{{ at|when }} · {{ day|day }} · {{ at|time }}")
    text = template.render(locale=locale, at=NEXT_YEAR, day=date(2026, 12, 31))
    if locale == "zh-CN":
        assert text == "1月9日（周六）上午8:30 · 2026年12月31日（周四） · 上午8:30"
    else:
        assert text == "Sat 9 Jan, 8:30 am · Thu 31 Dec 2026 · 8:30 am"


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", sorted(SAMPLE_CONTEXT))
def test_no_message_template_shows_iso_dates_or_24h_times(locale: str, name: str) -> None:
    renderer = Renderer(clock=ManualClock(datetime(2026, 11, 23, tzinfo=UTC)), zone=SHANGHAI)
    text = renderer.render(name, locale, **SAMPLE_CONTEXT[name])
    assert not ISO_DATE.search(text), text
    assert not CLOCK_24H.search(text), text


@pytest.mark.parametrize(
    ("locale", "status", "words"),
    [
        ("zh-CN", "cancelled_resident", "您已取消"),
        ("en", "cancelled_resident", "cancelled by you"),
        ("zh-CN", "cancelled_centre", "中心已取消"),
        ("en", "cancelled_centre", "cancelled by the centre"),
        ("zh-CN", "no_show", "未到诊"),
        ("en", "no_show", "missed"),
        ("en", "attended", "attended"),
    ],
)
def test_appointment_status_in_words(locale: str, status: str, words: str) -> None:
    context = {**SAMPLE_CONTEXT["appointment"], "status": status}
    text = Renderer().render("appointment", locale, **context)
    assert words in text
    assert not INTERNAL_STATUS.search(text)


def test_word_partials_exist_in_both_languages() -> None:
    renderer = Renderer()
    assert renderer.template_names("zh-CN", partials=True) == renderer.template_names(
        "en", partials=True
    )
    assert "_words" in renderer.template_names("en", partials=True)


@pytest.mark.parametrize(("locale", "expected"), [("zh-CN", "12月7日"), ("en", "7 Dec")])
def test_the_readings_chart_axis_says_days_in_words(locale: str, expected: str) -> None:
    from matplotlib import dates as mdates

    from jiayi.services.readings_chart import axis_day

    tick = float(mdates.date2num(datetime(2026, 12, 7, tzinfo=UTC)))  # type: ignore[no-untyped-call]
    assert axis_day(tick, locale) == expected
