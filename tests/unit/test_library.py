"""The shipped tip library: valid, both languages, and enough pushes for every audience."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from jiayi.content import calendar as cal
from jiayi.content.render import Renderer
from jiayi.content.tips import Audience, LibraryError, load_library
from jiayi.services.content_check import check_content, push_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 23)


def test_shipped_content_passes_the_check() -> None:
    report = check_content(Renderer(), SHANGHAI, TODAY)
    assert report.problems == []
    for year in (2027, 2028):
        assert min(report.pushes_per_year[year].values()) >= 12


def test_library_covers_every_trigger_the_issue_names() -> None:
    library = load_library(Renderer().env)
    names = {(t.trigger.kind, t.trigger.name) for t in library}
    for term in cal.SOLAR_TERMS:
        assert ("solar_term", term.key) in names, term.key
    for day in cal.FIXED_DAYS:
        assert ("fixed_day", day) in names, day
    assert ("lunar_day", "double_ninth") in names
    lidong = library.get("lidong")
    assert {Audience.HYPERTENSION, Audience.DIABETES, Audience.AGE_65, Audience.EVERYONE} <= {
        v.audience for v in lidong.variants
    }
    assert len(library.evergreen()) >= 10


def test_calendar_lists_lidong_with_its_audiences() -> None:
    library = load_library(Renderer().env)
    entries = [e for e in push_calendar(library, 2026, SHANGHAI) if e.tip_id == "lidong"]
    assert [(e.day, e.occasion_zh) for e in entries] == [(date(2026, 11, 7), "立冬")]
    assert "hypertension" in entries[0].audiences


def test_broken_tip_files_are_reported_together(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: a\ntopic: nonsense\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(LibraryError) as caught:
        load_library(Renderer().env, tmp_path)
    lines = str(caught.value).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("a.yaml")
    assert lines[1].startswith("b.yaml")


def test_overdue_review_fails_the_check() -> None:
    report = check_content(Renderer(), SHANGHAI, date(2031, 1, 1))
    assert any("review was due" in p for p in report.problems)
