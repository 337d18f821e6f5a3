"""Which days the centre is closed for public holidays, and which weekend days are worked.

Sources, first match wins for a year:
1. content/holidays/<year>.yaml — the State Council's schedule (放假调休) as the operator
   installed it (`jiayi holidays load FILE`). Read from the content folder, not the database:
   `day_kind` is asked for every day of the booking horizon by a synchronous rule, the file
   is reviewed and versioned like the rest of content/, every process (bot, scheduler, CLI)
   sees the same data, and a new file is picked up without a restart or a migration.
2. The `chinesecalendar` package, which ships the published schedules up to its release.
3. Neither: the statutory holiday days themselves (全国年节及纪念日放假办法, as amended in
   2024, in force since 2025: 元旦 1 day, 春节 4 days from 除夕, 清明 1, 劳动节 2, 端午 1,
   中秋 1, 国庆 3) computed from the solar and lunar calendars, so that Spring Festival never
   opens for booking just because the schedule isn't out yet. The bridge days and make-up
   working days of that year are unknown until its schedule is loaded; `missing_years` says
   so, and start-up and the booking/report commands print it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import chinese_calendar  # type: ignore[import-untyped]
import yaml
from lunar_python import Lunar  # type: ignore[import-untyped]

from jiayi.content import CONTENT_DIR
from jiayi.content.calendar import trigger_date

log = logging.getLogger(__name__)

HOLIDAYS_DIR = CONTENT_DIR / "holidays"
DayKind = Literal["holiday", "makeup", "normal"]
# A schedule's days belong to its year, except New Year's Day bridges that may start in the
# last days of December (元旦 2023 ran from 2022-12-31).
_SPILL = timedelta(days=7)
_BEIJING = ZoneInfo("Asia/Shanghai")
_warned: set[int] = set()

__all__ = [
    "BOOKING_HORIZON",
    "HOLIDAYS_DIR",
    "HolidayFileError",
    "HolidayYear",
    "day_kind",
    "horizon_warning",
    "install",
    "load_year",
    "loaded_years",
    "missing_years",
    "missing_years_warning",
    "statutory_days",
]


class HolidayFileError(ValueError):
    """A holiday file that can't be used, with the reason."""


@dataclass(frozen=True)
class HolidayYear:
    year: int
    source: str
    closed: dict[date, str] = field(default_factory=dict)  # day -> holiday name
    workdays: frozenset[date] = frozenset()  # weekend days worked in lieu (调休上班)


def _day(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise HolidayFileError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


def parse_year(data: Any, name: str = "holiday file") -> HolidayYear:
    """Checks a parsed holiday YAML document; HolidayFileError with the reason if unusable."""
    if not isinstance(data, dict):
        raise HolidayFileError(f"{name}: expected a mapping with year, source, holidays")
    year = data.get("year")
    if not isinstance(year, int) or not 2000 <= year <= 2200:
        raise HolidayFileError(f"{name}: 'year' must be a year like 2027")
    source = str(data.get("source") or "").strip()
    if not source:
        raise HolidayFileError(f"{name}: 'source' must name the State Council notice")
    first, last = date(year, 1, 1) - _SPILL, date(year, 12, 31)

    def in_year(day: date, where: str) -> date:
        if not first <= day <= last:
            raise HolidayFileError(f"{where}: {day} is not in {year}")
        return day

    closed: dict[date, str] = {}
    periods = data.get("holidays")
    if not isinstance(periods, list) or not periods:
        raise HolidayFileError(f"{name}: 'holidays' must list the holiday periods")
    for n, period in enumerate(periods, start=1):
        where = f"{name}: holidays #{n}"
        if not isinstance(period, dict) or not period.get("name"):
            raise HolidayFileError(f"{where}: needs name, from and to")
        start = in_year(_day(period.get("from"), where), where)
        end = in_year(_day(period.get("to", period.get("from")), where), where)
        if end < start:
            raise HolidayFileError(f"{where}: 'to' {end} is before 'from' {start}")
        day = start
        while day <= end:
            if day in closed:
                raise HolidayFileError(f"{where}: {day} is already in another period")
            closed[day] = str(period["name"])
            day += timedelta(days=1)
    workdays: set[date] = set()
    for value in data.get("workdays") or []:
        where = f"{name}: workdays"
        day = in_year(_day(value, where), where)
        if day.weekday() < 5:
            raise HolidayFileError(f"{where}: {day} is a weekday; list only weekend days worked")
        if day in closed:
            raise HolidayFileError(f"{where}: {day} is also a holiday")
        workdays.add(day)
    return HolidayYear(year=year, source=source, closed=closed, workdays=frozenset(workdays))


def load_year(path: Path) -> HolidayYear:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise HolidayFileError(f"{path.name}: can't read it ({error})") from None
    return parse_year(data, path.name)


def install(path: Path, folder: Path | None = None) -> HolidayYear:
    """Checks a holiday file and installs it as <folder>/<year>.yaml (replacing that year's
    file), where `day_kind` reads it from now on."""
    loaded = load_year(path)
    folder = folder or HOLIDAYS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{loaded.year}.yaml"
    if path.resolve() != target.resolve():
        target.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return loaded


def _signature(folder: Path) -> tuple[tuple[str, int], ...]:
    try:
        files = sorted(folder.glob("*.yaml"))
    except OSError:
        return ()
    return tuple((str(f), f.stat().st_mtime_ns) for f in files)


@lru_cache(maxsize=4)
def _load(signature: tuple[tuple[str, int], ...]) -> dict[int, HolidayYear]:
    years: dict[int, HolidayYear] = {}
    for name, _ in signature:
        try:
            loaded = load_year(Path(name))
        except HolidayFileError as error:
            # A broken file counts as no data for its year: loudly, never a crash mid-booking.
            log.error("holiday file ignored: %s", error)
            continue
        years[loaded.year] = loaded
    return years


def loaded_years(folder: Path | None = None) -> dict[int, HolidayYear]:
    """The installed schedules by year (re-read when a file in the folder changes)."""
    return _load(_signature(folder or HOLIDAYS_DIR))


def _library_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=64)
def statutory_days(year: int) -> dict[date, str]:
    """The statutory public holiday days of `year` (since 2025), without bridge days."""
    spring = _lunar(year, 1, 1)
    days = {
        date(year, 1, 1): "元旦",
        spring - timedelta(days=1): "春节",  # 除夕, the last day of the lunar year
        spring: "春节",
        spring + timedelta(days=1): "春节",
        spring + timedelta(days=2): "春节",
        trigger_date("solar_term", "qingming", year, _BEIJING): "清明节",
        date(year, 5, 1): "劳动节",
        date(year, 5, 2): "劳动节",
        _lunar(year, 5, 5): "端午节",
        _lunar(year, 8, 15): "中秋节",
        date(year, 10, 1): "国庆节",
        date(year, 10, 2): "国庆节",
        date(year, 10, 3): "国庆节",
    }
    return days


def _lunar(year: int, month: int, day: int) -> date:
    solar = Lunar.fromYmd(year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def day_kind(day: date, folder: Path | None = None) -> DayKind:
    """'holiday' (closed for a public holiday), 'makeup' (a weekend day officially worked,
    调休) or 'normal'. Without a schedule for the year, the statutory holidays are closed."""
    installed = loaded_years(folder)
    schedule = installed.get(day.year)
    if schedule is None and day.month == 12:
        # December days of next year's schedule (a New Year's bridge).
        following = installed.get(day.year + 1)
        if following is not None and (day in following.closed or day in following.workdays):
            schedule = following
    if schedule is not None:
        if day in schedule.closed:
            return "holiday"
        if day in schedule.workdays:
            return "makeup"
        return "normal"
    if _library_knows(day.year):
        on_holiday, holiday_name = chinese_calendar.get_holiday_detail(day)
        workday = chinese_calendar.is_workday(day)
        # Plain weekends are "holidays" to chinese_calendar too, but without a holiday name.
        if on_holiday and holiday_name is not None and not workday:
            return "holiday"
        if workday and day.weekday() >= 5:
            return "makeup"
        return "normal"
    if day.year not in _warned:
        # The first time slot planning reaches the year in this process: a running bot says
        # so in its log when the horizon crosses into it, not only at its next start.
        _warned.add(day.year)
        log.warning("%s", missing_years_warning([day.year]))
    return "holiday" if day in statutory_days(day.year) else "normal"


def missing_years(first: date, last: date, folder: Path | None = None) -> list[int]:
    """Years in [first, last] with no published schedule (neither a file nor the package)."""
    installed = loaded_years(folder)
    return [
        year
        for year in range(first.year, last.year + 1)
        if year not in installed and not _library_knows(year)
    ]


def missing_years_warning(years: Iterable[int]) -> str | None:
    """The operator's warning for years without a schedule, or None when there are none."""
    listed = sorted(years)
    if not listed:
        return None
    shown = ", ".join(str(y) for y in listed)
    return (
        f"WARNING: no public-holiday schedule for {shown}. Until it is loaded, only the "
        f"statutory holiday days are closed for booking (bridge days stay open, make-up "
        f"working Saturdays/Sundays get no slots). When the State Council publishes it, "
        f"write content/holidays/<year>.yaml and run `jiayi holidays load FILE`."
    )


# How far ahead slots are cut (scheduler.jobs.PushJobs.slot_weeks, booking.materialize_slots).
BOOKING_HORIZON = timedelta(weeks=3)


def horizon_warning(today: date, horizon: timedelta = BOOKING_HORIZON) -> str | None:
    """The warning for the booking horizon from `today`, or None when every year in it has
    a schedule. Logged at WARNING as well, so start-up and the commands leave a trace."""
    warning = missing_years_warning(missing_years(today, today + horizon))
    if warning is not None:
        log.warning("%s", warning)
    return warning
