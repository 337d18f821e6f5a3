"""The push calendar's trigger dates: solar terms, health days, lunar festivals, seasons.

Every trigger is resolved, for a Gregorian year and an IANA time zone, to the local *date* on
which it falls. Solar terms and lunar festivals come from lunar_python (6tail's lunar-python);
solar terms carry an exact instant computed in Beijing time (UTC+8), which is converted to the
requested zone before the date is taken, so a term late in the Beijing evening can fall on the
previous day in the Americas. Health days and season windows are fixed Gregorian dates.

No I/O and no work at import time: results are computed on demand and cached per (year, zone).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from typing import NamedTuple
from zoneinfo import ZoneInfo

from lunar_python import Lunar, Solar  # type: ignore[import-untyped]

__all__ = [
    "FIXED_DAYS",
    "LUNAR_DAYS",
    "SEASONS",
    "SOLAR_TERMS",
    "SOLAR_TERMS_BY_KEY",
    "FixedDay",
    "LunarDay",
    "Occurrence",
    "Season",
    "SolarTerm",
    "TriggerKind",
    "fires_on",
    "names",
    "occurrence_date",
    "occurrences",
    "occurrences_between",
    "season_window",
    "trigger_date",
]

# lunar_python computes solar-term instants in Beijing time: a fixed UTC+8, not Asia/Shanghai
# (which observed DST in 1986-1991).
BEIJING_TIME = timezone(timedelta(hours=8), "UTC+08:00")
# Zone used by occurrence_date when none is given.
DEFAULT_ZONE_KEY = "Asia/Shanghai"


class TriggerKind(StrEnum):
    SOLAR_TERM = "solar_term"
    FIXED_DAY = "fixed_day"
    LUNAR_DAY = "lunar_day"
    SEASON = "season"


@dataclass(frozen=True)
class SolarTerm:
    key: str
    name_zh: str
    name_en: str


class FixedDay(NamedTuple):
    month: int
    day: int
    name_zh: str
    name_en: str


class LunarDay(NamedTuple):
    lunar_month: int
    lunar_day: int
    name_zh: str
    name_en: str


class Season(NamedTuple):
    """A seasonal or epidemic window. It triggers on its start; the end is for display and
    belongs to the following year when it comes before the start (e.g. 10/15 -> 3/31)."""

    start_month: int
    start_day: int
    end_month: int
    end_day: int
    name_zh: str
    name_en: str


@dataclass(frozen=True, order=True)
class Occurrence:
    day: date  # local date in the zone
    kind: TriggerKind
    key: str
    name_zh: str
    name_en: str
    instant: datetime | None  # exact moment for solar terms (aware, in the zone); else None


# In calendar order: 小寒 (early January) ... 冬至 (late December).
SOLAR_TERMS: tuple[SolarTerm, ...] = (
    SolarTerm("xiaohan", "小寒", "Minor Cold"),
    SolarTerm("dahan", "大寒", "Major Cold"),
    SolarTerm("lichun", "立春", "Start of Spring"),
    SolarTerm("yushui", "雨水", "Rain Water"),
    SolarTerm("jingzhe", "惊蛰", "Awakening of Insects"),
    SolarTerm("chunfen", "春分", "Spring Equinox"),
    SolarTerm("qingming", "清明", "Pure Brightness"),
    SolarTerm("guyu", "谷雨", "Grain Rain"),
    SolarTerm("lixia", "立夏", "Start of Summer"),
    SolarTerm("xiaoman", "小满", "Grain Buds"),
    SolarTerm("mangzhong", "芒种", "Grain in Ear"),
    SolarTerm("xiazhi", "夏至", "Summer Solstice"),
    SolarTerm("xiaoshu", "小暑", "Minor Heat"),
    SolarTerm("dashu", "大暑", "Major Heat"),
    SolarTerm("liqiu", "立秋", "Start of Autumn"),
    SolarTerm("chushu", "处暑", "End of Heat"),
    SolarTerm("bailu", "白露", "White Dew"),
    SolarTerm("qiufen", "秋分", "Autumn Equinox"),
    SolarTerm("hanlu", "寒露", "Cold Dew"),
    SolarTerm("shuangjiang", "霜降", "Frost's Descent"),
    SolarTerm("lidong", "立冬", "Start of Winter"),
    SolarTerm("xiaoxue", "小雪", "Minor Snow"),
    SolarTerm("daxue", "大雪", "Major Snow"),
    SolarTerm("dongzhi", "冬至", "Winter Solstice"),
)
SOLAR_TERMS_BY_KEY: Mapping[str, SolarTerm] = MappingProxyType({t.key: t for t in SOLAR_TERMS})

FIXED_DAYS: Mapping[str, FixedDay] = MappingProxyType(
    {
        "world_family_doctor_day": FixedDay(5, 19, "世界家庭医生日", "World Family Doctor Day"),
        "world_hypertension_day": FixedDay(5, 17, "世界高血压日", "World Hypertension Day"),
        "world_diabetes_day": FixedDay(11, 14, "世界糖尿病日", "World Diabetes Day"),
        "national_vaccination_day": FixedDay(
            4, 25, "全国儿童预防接种日", "National Children's Vaccination Day"
        ),
        "world_no_tobacco_day": FixedDay(5, 31, "世界无烟日", "World No Tobacco Day"),
        "iodine_deficiency_day": FixedDay(
            5, 15, "全国防治碘缺乏病日", "National Iodine Deficiency Disorders Prevention Day"
        ),
        "national_hypertension_day": FixedDay(10, 8, "全国高血压日", "National Hypertension Day"),
        "national_teeth_day": FixedDay(9, 20, "全国爱牙日", "National Love Teeth Day"),
        "world_mental_health_day": FixedDay(10, 10, "世界精神卫生日", "World Mental Health Day"),
        # A week, 15-21 April: the tip goes out on its first day.
        "cancer_prevention_week": FixedDay(
            4, 15, "全国肿瘤防治宣传周", "National Cancer Prevention and Treatment Week"
        ),
    }
)

LUNAR_DAYS: Mapping[str, LunarDay] = MappingProxyType(
    {
        "double_ninth": LunarDay(9, 9, "重阳节", "Double Ninth Festival"),
        "spring_festival": LunarDay(1, 1, "春节", "Spring Festival"),
        "dragon_boat": LunarDay(5, 5, "端午节", "Dragon Boat Festival"),
    }
)

SEASONS: Mapping[str, Season] = MappingProxyType(
    {
        "influenza_season": Season(10, 15, 3, 31, "流感季", "Influenza season"),
        "heat_season": Season(7, 1, 8, 31, "高温季", "Heat season"),
        "hfmd_season": Season(
            4, 1, 7, 31, "手足口病高发季", "Hand, foot and mouth disease season"
        ),
    }
)

_TERM_KEY_BY_ZH: Mapping[str, str] = MappingProxyType({t.name_zh: t.key for t in SOLAR_TERMS})


def _to_kind(kind: TriggerKind | str) -> TriggerKind:
    try:
        return TriggerKind(kind)
    except ValueError:
        known = ", ".join(k.value for k in TriggerKind)
        raise KeyError(f"unknown trigger kind {kind!r}; expected one of: {known}") from None


def _catalogue(kind: TriggerKind) -> Mapping[str, SolarTerm | FixedDay | LunarDay | Season]:
    match kind:
        case TriggerKind.SOLAR_TERM:
            return SOLAR_TERMS_BY_KEY
        case TriggerKind.FIXED_DAY:
            return FIXED_DAYS
        case TriggerKind.LUNAR_DAY:
            return LUNAR_DAYS
        case TriggerKind.SEASON:
            return SEASONS


def _entry(
    kind: TriggerKind | str, key: str
) -> tuple[TriggerKind, SolarTerm | FixedDay | LunarDay | Season]:
    resolved = _to_kind(kind)
    catalogue = _catalogue(resolved)
    try:
        return resolved, catalogue[key]
    except KeyError:
        raise KeyError(
            f"unknown {resolved.value} trigger {key!r}; expected one of: {', '.join(catalogue)}"
        ) from None


def names(kind: TriggerKind | str, key: str) -> tuple[str, str]:
    """(name_zh, name_en) of a trigger, for display. KeyError for an unknown kind or key."""
    _, entry = _entry(kind, key)
    return entry.name_zh, entry.name_en


def _solar_instant(solar: Solar) -> datetime:
    return datetime(
        solar.getYear(),
        solar.getMonth(),
        solar.getDay(),
        solar.getHour(),
        solar.getMinute(),
        solar.getSecond(),
        tzinfo=BEIJING_TIME,
    )


@lru_cache(maxsize=64)
def _solar_term_instants(year: int) -> Mapping[str, datetime]:
    """Term key -> exact instant (Beijing time) of each of the 24 terms whose Beijing date is
    in `year`.

    A lunar year's jieqi table runs from the previous December's 大雪 to the following March,
    and its Chinese-named 冬至 is the *previous* December's (this year's is under an ALL_CAPS
    pinyin key). Reading the tables of lunar years `year` and `year + 1` and keeping only the
    Chinese-named entries that fall in `year` yields each term exactly once.
    """
    found: dict[str, datetime] = {}
    for lunar_year in (year, year + 1):
        table = Solar.fromYmd(lunar_year, 6, 1).getLunar().getJieQiTable()
        for name, solar in table.items():
            key = _TERM_KEY_BY_ZH.get(name)
            if key is None or solar.getYear() != year:
                continue
            instant = _solar_instant(solar)
            if found.setdefault(key, instant) != instant:
                raise RuntimeError(f"lunar_python gave two instants for {name} in {year}")
    missing = [t.name_zh for t in SOLAR_TERMS if t.key not in found]
    if missing:
        raise RuntimeError(f"lunar_python gave no date in {year} for: {', '.join(missing)}")
    return MappingProxyType(found)


def _lunar_day_date(year: int, lunar_month: int, lunar_day: int) -> date:
    """The Gregorian date in `year` of a lunar month/day: the one of lunar year `year` (as for
    重阳), or of lunar year `year - 1` for a late-winter day that only lands in `year` that way.
    """
    for lunar_year in (year, year - 1):
        solar = Lunar.fromYmd(lunar_year, lunar_month, lunar_day).getSolar()
        day = date(solar.getYear(), solar.getMonth(), solar.getDay())
        if day.year == year:
            return day
    raise ValueError(f"lunar {lunar_month}/{lunar_day} does not fall in {year}")


def season_window(key: str, year: int) -> tuple[date, date]:
    """First and last day (inclusive) of the season window that starts in `year`."""
    _entry(TriggerKind.SEASON, key)  # KeyError for an unknown key
    entry = SEASONS[key]
    start = date(year, entry.start_month, entry.start_day)
    end = date(year, entry.end_month, entry.end_day)
    if end < start:
        end = end.replace(year=year + 1)
    return start, end


@lru_cache(maxsize=256)
def _index(year: int, zone: ZoneInfo) -> Mapping[tuple[TriggerKind, str], Occurrence]:
    found: dict[tuple[TriggerKind, str], Occurrence] = {}

    def add(kind: TriggerKind, key: str, day: date, instant: datetime | None = None) -> None:
        zh, en = names(kind, key)
        found[kind, key] = Occurrence(day, kind, key, zh, en, instant)

    for key, beijing in _solar_term_instants(year).items():
        local = beijing.astimezone(zone)
        add(TriggerKind.SOLAR_TERM, key, local.date(), local)
    for key, fixed in FIXED_DAYS.items():
        add(TriggerKind.FIXED_DAY, key, date(year, fixed.month, fixed.day))
    for key, lunar in LUNAR_DAYS.items():
        add(TriggerKind.LUNAR_DAY, key, _lunar_day_date(year, lunar.lunar_month, lunar.lunar_day))
    for key in SEASONS:
        add(TriggerKind.SEASON, key, season_window(key, year)[0])
    return MappingProxyType(found)


def _sort_key(occurrence: Occurrence) -> tuple[date, str, str]:
    return occurrence.day, occurrence.kind.value, occurrence.key


@lru_cache(maxsize=256)
def _sorted(year: int, zone: ZoneInfo) -> tuple[Occurrence, ...]:
    return tuple(sorted(_index(year, zone).values(), key=_sort_key))


def trigger_date(kind: TriggerKind | str, key: str, year: int, zone: ZoneInfo) -> date:
    """Local date in `zone` on which the trigger falls in Gregorian year `year`.

    KeyError for an unknown kind or key.
    """
    resolved, _ = _entry(kind, key)
    return _index(year, zone)[resolved, key].day


def occurrences(year: int, zone: ZoneInfo) -> list[Occurrence]:
    """Every trigger of `year`, sorted by day, then kind, then key."""
    return list(_sorted(year, zone))


def occurrences_between(start: date, end: date, zone: ZoneInfo) -> list[Occurrence]:
    """Every trigger whose local date is in [start, end] (inclusive; may span years)."""
    return [
        occurrence
        for year in range(start.year, end.year + 1)
        for occurrence in _sorted(year, zone)
        if start <= occurrence.day <= end
    ]


def _fired_occurrence(
    kind: TriggerKind | str, key: str, offset_days: int, day: date, zone: ZoneInfo
) -> date | None:
    """The trigger date that, shifted by `offset_days`, is `day`; None when there is none."""
    resolved, _ = _entry(kind, key)
    target = day - timedelta(days=offset_days)
    # A trigger's local date always lies in its own year, so only target.year can match;
    # the neighbours are checked too so that holds without relying on it.
    for year in (target.year - 1, target.year, target.year + 1):
        if _index(year, zone)[resolved, key].day == target:
            return target
    return None


def fires_on(
    kind: TriggerKind | str, key: str, offset_days: int, day: date, zone: ZoneInfo
) -> bool:
    """True when the trigger's date plus `offset_days` is `day` (local dates in `zone`).

    Negative offsets fire before the trigger and may cross a year boundary: "3 days before
    小寒" fires in late December of the previous year.
    """
    return _fired_occurrence(kind, key, offset_days, day, zone) is not None


def occurrence_date(
    kind: TriggerKind | str,
    key: str,
    offset_days: int,
    day: date,
    zone: ZoneInfo | None = None,
) -> date:
    """The un-offset trigger date that a firing on `day` belongs to (for dedupe keys).

    `zone` defaults to Asia/Shanghai; pass the same zone as to fires_on. ValueError when the
    trigger does not fire on `day` with that offset.
    """
    resolved_zone = ZoneInfo(DEFAULT_ZONE_KEY) if zone is None else zone
    found = _fired_occurrence(kind, key, offset_days, day, resolved_zone)
    if found is None:
        raise ValueError(f"{kind}/{key} with offset {offset_days:+d} does not fire on {day}")
    return found
