"""Every audience the product targets gets at least 12 distinct pushes written for it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from jiayi.content.render import Renderer
from jiayi.content.tips import load_library
from jiayi.services.content_check import COVERAGE_GROUPS, audience_coverage

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("year", [2027, 2028])
def test_every_audience_gets_twelve_distinct_pushes(year: int) -> None:
    """Mutation tried: dropping the evergreen slots from `Library.due_on` -> hyperlipidaemia
    falls to 4 and postpartum to 4, test fails."""
    counts = audience_coverage(load_library(Renderer().env), year, SHANGHAI)
    assert set(counts) == {label for label, _ in COVERAGE_GROUPS}
    assert {label: n for label, n in counts.items() if n < 12} == {}


def test_a_tip_planned_twice_in_a_year_counts_once() -> None:
    """Home blood-pressure technique has two slots a year for hypertension: one distinct push.
    Mutation tried: counting firings instead of tip ids -> hypertension 22, test fails."""
    library = load_library(Renderer().env)
    assert len(library.get("evergreen_home_bp").trigger.slots) == 2
    hypertension = sum(
        1
        for tip in library
        if any(v.audience.value == "hypertension" for v in tip.variants)
        and (not tip.evergreen or tip.trigger.slots)
    )
    assert audience_coverage(library, 2027, SHANGHAI)["hypertension"] == hypertension


def test_evergreen_slots_go_only_to_their_audiences() -> None:
    """Home blood-pressure technique is for hypertension: no healthy adult gets it planned."""
    library = load_library(Renderer().env)
    from datetime import date

    [firing] = [
        f for f in library.due_on(date(2027, 1, 16), SHANGHAI) if f.tip.id == "evergreen_home_bp"
    ]
    assert [v.audience.value for v in firing.variants] == ["hypertension"]
