"""The push calendar's trigger dates: solar terms, health days, lunar festivals, seasons."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from jiayi.content.calendar import (
    FIXED_DAYS,
    LUNAR_DAYS,
    SEASONS,
    SOLAR_TERMS,
    Occurrence,
    TriggerKind,
    fires_on,
    names,
    occurrence_date,
    occurrences,
    occurrences_between,
    season_window,
    trigger_date,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
HONOLULU = ZoneInfo("Pacific/Honolulu")
AUCKLAND = ZoneInfo("Pacific/Auckland")

# Published dates (China, Beijing time), each also checked against lunar_python's output.
PUBLISHED_TERMS = [
    (2024, "lichun", date(2024, 2, 4)),
    (2024, "qingming", date(2024, 4, 4)),
    (2024, "xiazhi", date(2024, 6, 21)),
    (2024, "lidong", date(2024, 11, 7)),
    (2024, "dongzhi", date(2024, 12, 21)),
    (2025, "lichun", date(2025, 2, 3)),
    (2025, "qingming", date(2025, 4, 4)),
    (2025, "liqiu", date(2025, 8, 7)),
    (2025, "lidong", date(2025, 11, 7)),
    (2025, "dongzhi", date(2025, 12, 21)),
    (2026, "xiaohan", date(2026, 1, 5)),
    (2026, "lichun", date(2026, 2, 4)),
    (2026, "chunfen", date(2026, 3, 20)),
    (2026, "lidong", date(2026, 11, 7)),
    (2026, "dongzhi", date(2026, 12, 22)),
    (2027, "lichun", date(2027, 2, 4)),
    # 23:38 Beijing time on the 7th (the 4-year rhythm: 2023-11-08 00:35, 2019-11-08 01:24).
    (2027, "lidong", date(2027, 11, 7)),
    (2023, "lidong", date(2023, 11, 8)),
]


@pytest.mark.parametrize(("year", "key", "expected"), PUBLISHED_TERMS)
def test_solar_terms_match_published_dates(year: int, key: str, expected: date) -> None:
    assert trigger_date(TriggerKind.SOLAR_TERM, key, year, SHANGHAI) == expected


def test_solar_term_instant_is_exact_and_in_the_zone() -> None:
    by_key = {o.key: o for o in occurrences(2026, SHANGHAI)}
    lidong = by_key["lidong"].instant
    assert lidong is not None
    assert lidong.tzinfo is SHANGHAI
    assert (lidong.hour, lidong.minute) == (17, 52)
    # 2012's 立冬 at 08:26 Beijing time, as published by the Purple Mountain Observatory.
    lidong_2012 = {o.key: o for o in occurrences(2012, SHANGHAI)}["lidong"].instant
    assert lidong_2012 is not None
    published = datetime(2012, 11, 7, 8, 26, tzinfo=SHANGHAI)
    assert abs(lidong_2012 - published) <= timedelta(minutes=1)


@pytest.mark.parametrize("year", [1950, 2000, 2024, 2025, 2026, 2027, 2050, 2099])
def test_all_24_terms_fall_in_the_year_in_order(year: int) -> None:
    terms = [o for o in occurrences(year, SHANGHAI) if o.kind is TriggerKind.SOLAR_TERM]
    assert [o.key for o in terms] == [t.key for t in SOLAR_TERMS]
    days = [o.day for o in terms]
    assert all(d.year == year for d in days)
    assert days[0].month == 1
    assert days[-1].month == 12
    gaps = [(b - a).days for a, b in pairwise(days)]
    assert all(14 <= gap <= 16 for gap in gaps), gaps
    instants = [o.instant for o in terms if o.instant is not None]
    assert len(instants) == 24
    assert instants == sorted(instants)
    assert [i.date() for i in instants] == days


def test_solar_term_dates_convert_to_the_zone() -> None:
    # 2026 立冬 is 17:52 Beijing time, Nov 7 = 09:52 UTC = 23:52 Nov 6 in Honolulu (UTC-10).
    assert trigger_date("solar_term", "lidong", 2026, SHANGHAI) == date(2026, 11, 7)
    assert trigger_date("solar_term", "lidong", 2026, HONOLULU) == date(2026, 11, 6)
    # 2026 立春 is 04:02 Beijing time, Feb 4 = 12:02 Feb 3 in Los Angeles (PST).
    assert trigger_date("solar_term", "lichun", 2026, SHANGHAI) == date(2026, 2, 4)
    assert trigger_date("solar_term", "lichun", 2026, LOS_ANGELES) == date(2026, 2, 3)
    # 2025 冬至 is 23:03 Beijing time, Dec 21 = 04:03 Dec 22 in Auckland (NZDT, UTC+13).
    assert trigger_date("solar_term", "dongzhi", 2025, SHANGHAI) == date(2025, 12, 21)
    assert trigger_date("solar_term", "dongzhi", 2025, AUCKLAND) == date(2025, 12, 22)
    instant = next(o for o in occurrences(2026, HONOLULU) if o.key == "lidong").instant
    assert instant is not None
    assert instant.tzinfo is HONOLULU
    assert (instant.day, instant.hour, instant.minute) == (6, 23, 52)


@pytest.mark.parametrize(
    ("year", "expected"),
    [(2024, date(2024, 10, 11)), (2025, date(2025, 10, 29)), (2026, date(2026, 10, 18))],
)
def test_double_ninth(year: int, expected: date) -> None:
    assert trigger_date(TriggerKind.LUNAR_DAY, "double_ninth", year, SHANGHAI) == expected
    # A lunar festival is a date, the same everywhere.
    assert trigger_date(TriggerKind.LUNAR_DAY, "double_ninth", year, LOS_ANGELES) == expected


def test_double_ninth_lands_in_october_or_november() -> None:
    for year in range(2000, 2061):
        assert trigger_date("lunar_day", "double_ninth", year, SHANGHAI).month in (10, 11)


@pytest.mark.parametrize(
    ("year", "spring", "dragon_boat"),
    [
        (2026, date(2026, 2, 17), date(2026, 6, 19)),
        (2027, date(2027, 2, 6), date(2027, 6, 9)),
        (2028, date(2028, 1, 26), date(2028, 5, 28)),
    ],
)
def test_spring_festival_and_dragon_boat(year: int, spring: date, dragon_boat: date) -> None:
    assert trigger_date(TriggerKind.LUNAR_DAY, "spring_festival", year, SHANGHAI) == spring
    assert trigger_date(TriggerKind.LUNAR_DAY, "dragon_boat", year, SHANGHAI) == dragon_boat


def test_fixed_days() -> None:
    expected = {
        "world_family_doctor_day": date(2026, 5, 19),
        "world_hypertension_day": date(2026, 5, 17),
        "world_diabetes_day": date(2026, 11, 14),
        "national_vaccination_day": date(2026, 4, 25),
        "world_no_tobacco_day": date(2026, 5, 31),
        "iodine_deficiency_day": date(2026, 5, 15),
        "national_hypertension_day": date(2026, 10, 8),
        "national_teeth_day": date(2026, 9, 20),
        "world_mental_health_day": date(2026, 10, 10),
        "cancer_prevention_week": date(2026, 4, 15),
    }
    assert set(FIXED_DAYS) == set(expected)
    for key, day in expected.items():
        assert trigger_date("fixed_day", key, 2026, SHANGHAI) == day
        assert trigger_date("fixed_day", key, 2026, LOS_ANGELES) == day
    assert names("fixed_day", "world_diabetes_day") == ("世界糖尿病日", "World Diabetes Day")


def test_seasons() -> None:
    assert trigger_date("season", "influenza_season", 2026, SHANGHAI) == date(2026, 10, 15)
    assert trigger_date("season", "heat_season", 2026, SHANGHAI) == date(2026, 7, 1)
    assert trigger_date("season", "hfmd_season", 2026, SHANGHAI) == date(2026, 4, 1)
    assert season_window("influenza_season", 2026) == (date(2026, 10, 15), date(2027, 3, 31))
    assert season_window("heat_season", 2026) == (date(2026, 7, 1), date(2026, 8, 31))
    assert season_window("hfmd_season", 2026) == (date(2026, 4, 1), date(2026, 7, 31))
    assert names(TriggerKind.SEASON, "influenza_season") == ("流感季", "Influenza season")


def test_occurrences_of_a_year() -> None:
    found = occurrences(2026, SHANGHAI)
    counts = Counter(o.kind for o in found)
    assert counts == {
        TriggerKind.SOLAR_TERM: 24,
        TriggerKind.FIXED_DAY: 10,
        TriggerKind.LUNAR_DAY: 3,
        TriggerKind.SEASON: 3,
    }
    assert len(found) == 24 + len(FIXED_DAYS) + len(LUNAR_DAYS) + len(SEASONS)
    assert found == sorted(found, key=lambda o: (o.day, o.kind.value, o.key))
    assert all(o.instant is None for o in found if o.kind is not TriggerKind.SOLAR_TERM)
    lidong = next(o for o in found if o.key == "lidong")
    assert (lidong.day, lidong.name_zh, lidong.name_en) == (
        date(2026, 11, 7),
        "立冬",
        "Start of Winter",
    )
    # Callers get their own list; the cache is not theirs to change.
    found.clear()
    assert len(occurrences(2026, SHANGHAI)) == 40


def test_occurrences_are_frozen() -> None:
    occurrence = occurrences(2026, SHANGHAI)[0]
    assert isinstance(occurrence, Occurrence)
    with pytest.raises(dataclasses.FrozenInstanceError):
        occurrence.key = "other"  # type: ignore[misc]


def test_occurrences_between_spans_years() -> None:
    found = occurrences_between(date(2025, 12, 1), date(2026, 1, 31), SHANGHAI)
    assert [(o.day, o.key) for o in found] == [
        (date(2025, 12, 7), "daxue"),
        (date(2025, 12, 21), "dongzhi"),
        (date(2026, 1, 5), "xiaohan"),
        (date(2026, 1, 20), "dahan"),
    ]
    # Inclusive at both ends.
    one_day = occurrences_between(date(2026, 5, 19), date(2026, 5, 19), SHANGHAI)
    assert [o.key for o in one_day] == ["world_family_doctor_day"]
    assert occurrences_between(date(2026, 5, 20), date(2026, 5, 19), SHANGHAI) == []


def test_fires_on_with_an_offset_crossing_the_year() -> None:
    # 小寒 2026 is Jan 5: three days before is Jan 2, still in January.
    assert fires_on("solar_term", "xiaohan", -3, date(2026, 1, 2), SHANGHAI)
    assert occurrence_date("solar_term", "xiaohan", -3, date(2026, 1, 2), SHANGHAI) == date(
        2026, 1, 5
    )
    # 小寒 2027 is Jan 5 (22:09 Beijing): seven days before is Dec 29, 2026.
    assert trigger_date("solar_term", "xiaohan", 2027, SHANGHAI) == date(2027, 1, 5)
    assert fires_on("solar_term", "xiaohan", -7, date(2026, 12, 29), SHANGHAI)
    assert occurrence_date("solar_term", "xiaohan", -7, date(2026, 12, 29), SHANGHAI) == date(
        2027, 1, 5
    )
    assert not fires_on("solar_term", "xiaohan", -7, date(2026, 12, 30), SHANGHAI)
    assert not fires_on("solar_term", "xiaohan", 0, date(2026, 1, 4), SHANGHAI)


def test_fires_on_every_offset_before_xiaohan() -> None:
    for year in (2025, 2026, 2027):
        xiaohan = trigger_date("solar_term", "xiaohan", year, SHANGHAI)
        for offset in (-10, -7, -5, -3, 0, 3):
            day = xiaohan + timedelta(days=offset)
            assert fires_on("solar_term", "xiaohan", offset, day, SHANGHAI)
            assert occurrence_date("solar_term", "xiaohan", offset, day, SHANGHAI) == xiaohan
            assert not fires_on("solar_term", "xiaohan", offset, day + timedelta(1), SHANGHAI)
        assert (xiaohan + timedelta(days=-10)).year == year - 1


def test_occurrence_date_defaults_to_shanghai_and_rejects_a_non_firing_day() -> None:
    assert occurrence_date("fixed_day", "world_diabetes_day", 1, date(2026, 11, 15)) == date(
        2026, 11, 14
    )
    assert occurrence_date("solar_term", "lidong", 0, date(2026, 11, 6), HONOLULU) == date(
        2026, 11, 6
    )
    with pytest.raises(ValueError, match="does not fire"):
        occurrence_date("solar_term", "lidong", 0, date(2026, 11, 6))


def test_fires_on_with_a_positive_offset_into_the_next_year() -> None:
    # Influenza season starts Oct 15; 90 days on is Jan 13 of the next year.
    assert fires_on("season", "influenza_season", 90, date(2027, 1, 13), SHANGHAI)
    assert occurrence_date("season", "influenza_season", 90, date(2027, 1, 13)) == date(
        2026, 10, 15
    )


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("solar_term", "nope"),
        ("fixed_day", "lidong"),
        ("no_such_kind", "lidong"),
        (TriggerKind.SEASON, "double_ninth"),
    ],
)
def test_unknown_trigger_raises_key_error(kind: str, key: str) -> None:
    with pytest.raises(KeyError, match="unknown"):
        trigger_date(kind, key, 2026, SHANGHAI)
    with pytest.raises(KeyError, match="unknown"):
        names(kind, key)
    with pytest.raises(KeyError, match="unknown"):
        fires_on(kind, key, 0, date(2026, 1, 1), SHANGHAI)


def test_trigger_kind_accepts_strings() -> None:
    assert trigger_date("solar_term", "lidong", 2026, SHANGHAI) == trigger_date(
        TriggerKind.SOLAR_TERM, "lidong", 2026, SHANGHAI
    )
    assert names("solar_term", "shuangjiang") == ("霜降", "Frost's Descent")
    assert names("lunar_day", "double_ninth") == ("重阳节", "Double Ninth Festival")
