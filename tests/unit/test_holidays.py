"""Public holidays: installed schedules, the package's data, and the statutory days closed in
years without a schedule (2027 at the time of writing)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from typer.testing import CliRunner

from jiayi.bot import cli
from jiayi.services import booking, holidays

SCHEDULE_2027 = """
year: 2027
source: test schedule (not the State Council's)
holidays:
  - {name: 春节, from: 2027-02-05, to: 2027-02-11}
workdays: [2027-02-13]
"""


def test_without_a_schedule_the_statutory_days_are_closed(tmp_path: Path) -> None:
    """Spring Festival 2027 (正月初一 = 6 February) is unknown to chinesecalendar. Mutation
    caught: the fallback returning "normal" (slots opened on 除夕 … 初三), as before."""
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 2, 6))
    kinds = {d: holidays.day_kind(d, tmp_path) for d in _days(date(2027, 2, 4), 6)}
    assert kinds == {
        date(2027, 2, 4): "normal",
        date(2027, 2, 5): "holiday",  # 除夕
        date(2027, 2, 6): "holiday",
        date(2027, 2, 7): "holiday",
        date(2027, 2, 8): "holiday",
        date(2027, 2, 9): "normal",  # a bridge day: unknown until the schedule is loaded
    }


def test_statutory_days_of_2027() -> None:
    """The 13 days of 全国年节及纪念日放假办法 (2025 text) from the solar and lunar calendars.
    Mutation caught: 春节 without 除夕, 劳动节 with one day (the pre-2025 rules)."""
    days = holidays.statutory_days(2027)
    assert len(days) == 13
    assert {d for d, name in days.items() if name == "春节"} == set(_days(date(2027, 2, 5), 4))
    assert {d for d, name in days.items() if name == "劳动节"} == {
        date(2027, 5, 1),
        date(2027, 5, 2),
    }
    assert days[date(2027, 4, 5)] == "清明节"  # the 清明 solar term
    assert days[date(2027, 1, 1)] == "元旦"
    assert {d for d, name in days.items() if name == "国庆节"} == set(_days(date(2027, 10, 1), 3))


def test_an_installed_schedule_decides_its_year(tmp_path: Path) -> None:
    """Mutation caught: `day_kind` consulting the statutory days before the file (bridge days
    stay open, the make-up Saturday gets no slots)."""
    source = tmp_path / "incoming.yaml"
    source.write_text(SCHEDULE_2027, encoding="utf-8")
    folder = tmp_path / "holidays"
    loaded = holidays.install(source, folder)
    assert (folder / "2027.yaml").exists()
    assert len(loaded.closed) == 7
    assert holidays.day_kind(date(2027, 2, 10), folder) == "holiday"  # a bridge day
    assert holidays.day_kind(date(2027, 2, 13), folder) == "makeup"  # a Saturday worked
    assert holidays.day_kind(date(2027, 10, 1), folder) == "normal"  # as the file says
    assert holidays.missing_years(date(2026, 12, 20), date(2027, 1, 10), folder) == []


def test_the_shipped_2026_schedule_matches_the_package(tmp_path: Path) -> None:
    """content/holidays/2026.yaml (typed from the State Council notice) agrees with
    chinesecalendar on every day of 2026."""
    for day in _days(date(2026, 1, 1), 365):
        assert booking.day_kind(day) == _library_kind(day), day


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("year: 2027\nholidays: [{name: x, from: 2027-01-01}]", "source"),
        (
            "year: 2027\nsource: s\nholidays: [{name: x, from: 2027-02-05, to: 2027-02-01}]",
            "before",
        ),
        (
            "year: 2027\nsource: s\nholidays: [{name: x, from: 2027-02-05}]\n"
            "workdays: [2027-02-10]",
            "weekday",
        ),
        ("year: 2027\nsource: s\nholidays: [{name: x, from: 2028-02-05}]", "not in 2027"),
    ],
)
def test_a_broken_schedule_is_refused_with_the_reason(
    tmp_path: Path, body: str, reason: str
) -> None:
    """Mutation caught: dropping any of the checks in `parse_year` (the file installs)."""
    source = tmp_path / "bad.yaml"
    source.write_text(body, encoding="utf-8")
    result = CliRunner().invoke(cli.app, ["holidays", "load", str(source)])
    assert result.exit_code == 1
    assert reason in result.output
    assert not (holidays.HOLIDAYS_DIR / "2027.yaml").exists()


def test_booking_and_report_commands_warn_when_the_horizon_reaches_a_year_without_data(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Mutation caught: the `booking`/`report` group callbacks not calling `_holiday_warning`."""
    monkeypatch.setenv("JIAYI_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
    monkeypatch.setattr(holidays, "BOOKING_HORIZON", timedelta(days=800))
    for command in (["report", "privacy"], ["booking", "load", str(tmp_path / "none.yaml")]):
        result = CliRunner().invoke(cli.app, command)
        assert "no public-holiday schedule for 2027" in result.output, result.output
    assert holidays.horizon_warning(date(2026, 12, 20)) is not None  # 3 weeks: into 2027
    assert holidays.horizon_warning(date(2026, 6, 1)) is None


def _days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=n) for n in range(count)]


def _library_kind(day: date) -> str:
    on_holiday, name = chinese_calendar.get_holiday_detail(day)
    workday = chinese_calendar.is_workday(day)
    if on_holiday and name is not None and not workday:
        return "holiday"
    if workday and day.weekday() >= 5:
        return "makeup"
    return "normal"


def test_planning_into_a_year_without_data_logs_a_warning_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bot running since before the horizon reached 2027 says so when slot planning first
    asks about a 2027 day. Mutation caught: the warning in `day_kind`'s fallback removed."""
    monkeypatch.setattr(holidays, "_warned", set())
    for day in _days(date(2027, 1, 1), 10):
        holidays.day_kind(day, tmp_path)
    warnings = [r for r in caplog.records if "no public-holiday schedule for 2027" in r.message]
    assert len(warnings) == 1
