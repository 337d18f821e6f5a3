"""`jiayi content check` refuses unsafe or ungoverned tips: heat on skin without the diabetic
caveat, a source without its edition year, a review that is not a state."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from jiayi.content.render import Renderer
from jiayi.content.tips import LibraryError, load_library
from jiayi.services.content_check import check_content

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 23)

GOOD_SOURCES = """sources:
  - cite: "中国糖尿病足防治指南（2019版）"
    edition: 2019
"""
PENDING = "review:\n  state: pending\n"

SAFE_DIABETES = """  - audience: diabetes
    body:
      zh-CN: "泡脚水低于37℃，先用手肘或温度计试温。"
      en: "Keep foot-soak water below 37 °C, tested with your elbow or a thermometer."
"""


def tip_text(*, sources: str = GOOD_SOURCES, review: str = PENDING, extra: str = "") -> str:
    return (
        "id: foot_soak\ntopic: seasonal\ntrigger: {kind: evergreen}\naction: more_tips\n"
        + sources
        + review
        + "review_by: 2030-01-01\nvariants:\n"
        + "  - audience: everyone\n    body:\n"
        + '      zh-CN: "睡前用温水泡脚10分钟。"\n'
        + '      en: "Soak your feet in warm water for 10 minutes before bed."\n'
        + extra
    )


def problems_for(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "foot_soak.yaml").write_text(text, encoding="utf-8")
    report = check_content(Renderer(), SHANGHAI, TODAY, yearly_minimum=0, tips_dir=tmp_path)
    return report.problems


def test_heat_on_skin_without_a_diabetes_variant_fails(tmp_path: Path) -> None:
    """Mutation tried: `check_tip_safety` not called from check_content -> passes, test fails."""
    problems = problems_for(tmp_path, tip_text())
    assert any("foot_soak: advises heat on skin" in p for p in problems), problems


def test_diabetes_variant_without_the_caveat_fails(tmp_path: Path) -> None:
    """Mutation tried: caveat regex matching any "37" -> this variant passes, test fails."""
    vague = SAFE_DIABETES.replace("先用手肘或温度计试温", "不要太烫").replace(
        "tested with your elbow or a thermometer", "not too hot"
    )
    problems = problems_for(tmp_path, tip_text(extra=vague))
    assert any("[diabetes, zh-CN]: advises heat on skin" in p for p in problems), problems
    assert any("[diabetes, en]: advises heat on skin" in p for p in problems), problems


def test_the_caveat_in_a_diabetes_variant_passes(tmp_path: Path) -> None:
    assert problems_for(tmp_path, tip_text(extra=SAFE_DIABETES)) == []


def test_a_source_without_an_edition_year_fails(tmp_path: Path) -> None:
    """Mutation tried: `edition` optional on Source -> loads, test fails."""
    no_year = 'sources:\n  - cite: "老年人跌倒干预技术指南"\n'
    problems = problems_for(tmp_path, tip_text(sources=no_year, extra=SAFE_DIABETES))
    assert any("sources.0.edition" in p for p in problems), problems
    wrong_year = 'sources:\n  - cite: "中国糖尿病防治指南（2020年版）"\n    edition: 2024\n'
    problems = problems_for(tmp_path, tip_text(sources=wrong_year, extra=SAFE_DIABETES))
    assert any("does not name its edition year" in p for p in problems), problems


@pytest.mark.parametrize(
    "review",
    [
        'reviewed_by: "jiayi content team (pending clinical review)"\n',
        'review:\n  state: "Dr Wang"\n',
        # Signed off, but nobody named: a sign-off needs a clinician, date and sections.
        "review:\n  state: signed_off\n",
        # Pending, but naming someone: a reviewer is never invented.
        "review:\n  state: pending\n  clinician: 王医生\n",
    ],
)
def test_a_review_that_is_not_a_state_fails(tmp_path: Path, review: str) -> None:
    """Mutation tried: `Review._complete` returning early -> the last two cases load, fail."""
    problems = problems_for(tmp_path, tip_text(review=review, extra=SAFE_DIABETES))
    assert problems
    assert all("foot_soak.yaml" in p for p in problems), problems


def test_a_full_sign_off_loads(tmp_path: Path) -> None:
    signed = (
        "review:\n  state: signed_off\n  clinician: 王某某（主任医师）\n  signed_on: 2026-12-01\n"
        '  sections_checked: ["中国糖尿病足防治指南（2019版）足部护理"]\n'
    )
    (tmp_path / "foot_soak.yaml").write_text(
        tip_text(review=signed, extra=SAFE_DIABETES), encoding="utf-8"
    )
    tip = load_library(Renderer().env, tmp_path).get("foot_soak")
    assert not tip.review.pending


def test_shipped_tips_are_all_pending_and_reported() -> None:
    """Nobody is named as a reviewer who did not sign: every shipped tip is pending."""
    report = check_content(Renderer(), SHANGHAI, TODAY)
    assert report.problems == []
    library = load_library(Renderer().env)
    assert sorted(report.pending) == sorted(t.id for t in library)


def test_broken_library_raises(tmp_path: Path) -> None:
    (tmp_path / "foot_soak.yaml").write_text(tip_text(sources=""), encoding="utf-8")
    with pytest.raises(LibraryError):
        load_library(Renderer().env, tmp_path)
