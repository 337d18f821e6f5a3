"""Times as doctors type them, read in the centre's time zone (services/when.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from jiayi.services import when

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday 7 December 2026, 14:20 in Shanghai.
NOW = datetime(2026, 12, 7, 14, 20, tzinfo=SHANGHAI).astimezone(UTC)


def local(day: int, hour: int, minute: int = 0, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("明天早上9点", local(8, 9)),
        ("明早9点", local(8, 9)),
        ("今晚8点", local(7, 20)),
        ("今晚七点半", local(7, 19, 30)),
        ("明天下午3点", local(8, 15)),
        ("后天上午十点", local(9, 10)),
        ("明天中午12点", local(8, 12)),
        ("明天晚上8点15分", local(8, 20, 15)),
        ("明天 9:30", local(8, 9, 30)),
        ("12月9日 上午10点", local(9, 10)),
        ("1月3日9点", local(3, 9, month=1, year=2027)),
        ("tomorrow 9am", local(8, 9)),
        ("Tomorrow at 9 AM", local(8, 9)),
        ("tomorrow 9:30 pm", local(8, 21, 30)),
        ("tonight 8pm", local(7, 20)),
        ("tonight 8", local(7, 20)),
        ("today 18:00", local(7, 18)),
        ("tomorrow morning 8", local(8, 8)),
        ("9pm", local(7, 21)),
        ("10am", local(8, 10)),  # 10:00 has passed today: the next 10:00
        ("2026-12-09 09:00", local(9, 9)),
        ("2026-12-09T09:00", local(9, 9)),
    ],
)
def test_understood(typed: str, expected: datetime) -> None:
    assert when.parse_local(typed, SHANGHAI, NOW) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "tomorrow",
        "明天",
        "soon",
        "明天早上",
        "25点",
        "明天 9:75",
        "2026-02-30 09:00",
        "next week 9am",
        "12月9日 明天 9点",
        "2月30日 9点",
    ],
)
def test_not_guessed(typed: str) -> None:
    assert when.parse_local(typed, SHANGHAI, NOW) is None


def test_the_centre_zone_decides_the_day() -> None:
    # 23:30 UTC on the 7th is already the 8th in Shanghai: "tomorrow" is the 9th there.
    late = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)
    assert when.parse_local("tomorrow 9am", SHANGHAI, late) == local(9, 9)
