"""The points rules, reward catalogues and tip quizzes are validated before anyone earns."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from jiayi.content.points import (
    DEMO_CATALOGUE,
    RULES_FILE,
    PointsDataError,
    Rule,
    parse_catalogue,
    parse_rules,
)
from jiayi.content.render import Renderer
from jiayi.content.tips import Quiz, load_library

GOVERNANCE = (
    "source: [{document: 国卫办基层发〔2025〕21号, edition: 2025, section: 三(九)}], "
    "review: {state: pending}"
)


def test_shipped_rules_cover_every_rule_in_both_languages() -> None:
    book = parse_rules(RULES_FILE)
    assert set(book.rules) == set(Rule)
    for rule in book.rules.values():
        assert rule.label("zh-CN") != rule.label("en")
        assert rule.cap >= rule.points


def test_shipped_catalogue_has_the_rewards_the_policy_names() -> None:
    codes = {r.code for r in parse_catalogue(DEMO_CATALOGUE).rewards}
    assert {"blood_lipid_test", "hba1c_test", "tcm_moxibustion", "tcm_cupping"} <= codes
    assert {"bp_monitor_loan", "glucose_strips"} <= codes


@pytest.mark.parametrize(
    ("name", "problem"),
    [("{zh-CN: 体检, en: Check-up}", "rules missing"), ("{en: Check-up}", "missing ['zh-CN']")],
)
def test_a_missing_rule_or_a_one_language_name_is_reported(
    tmp_path: Path, name: str, problem: str
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(
        "reminder_days_before: 31\n"
        "rules:\n"
        f"  checkup: {{name: {name}, points: 5, period: year, cap: 10, {GOVERNANCE}}}\n",
        encoding="utf-8",
    )
    with pytest.raises(PointsDataError) as caught:
        parse_rules(path)
    assert problem in str(caught.value)


@pytest.mark.parametrize(
    ("governance", "problem"),
    [
        (GOVERNANCE.replace("edition: 2025, ", ""), "edition"),
        (GOVERNANCE.replace("edition: 2025", "edition: 最新版"), "edition"),
        (GOVERNANCE.replace("{state: pending}", "{state: reviewed by the team}"), "review.state"),
        (GOVERNANCE.replace("{state: pending}", "{state: signed_off}"), "names the clinician"),
        ("review: {state: pending}", "source"),
    ],
)
def test_points_rules_carry_a_source_with_an_edition_and_a_review_state(
    tmp_path: Path, governance: str, problem: str
) -> None:
    """Mutation: dropping `source`/`review` from EarnRule accepts these files."""
    path = tmp_path / "rules.yaml"
    lines = [
        f"  {rule.value}: {{name: {{zh-CN: 规则{rule.value}, en: Rule {rule.value}}}, points: 5,"
        f" period: year, cap: 10, {governance if rule is Rule.CHECKUP else GOVERNANCE}}}"
        for rule in Rule
    ]
    path.write_text("reminder_days_before: 31\nrules:\n" + "\n".join(lines) + "\n", "utf-8")
    with pytest.raises(PointsDataError) as caught:
        parse_rules(path)
    assert problem in str(caught.value)
    path.write_text(
        "reminder_days_before: 31\nrules:\n"
        + "\n".join(line.replace(governance, GOVERNANCE) for line in lines)
        + "\n",
        "utf-8",
    )
    assert len(parse_rules(path).rules) == len(Rule)


def test_a_quiz_answer_must_be_one_of_its_options() -> None:
    option = {"zh-CN": "是", "en": "Yes"}
    with pytest.raises(ValidationError):
        Quiz(question={"zh-CN": "问", "en": "Q"}, options=(option, option), answer=2)


def test_some_shipped_tips_carry_a_quiz() -> None:
    library = load_library(Renderer().env)
    assert sum(1 for tip in library if tip.quiz is not None) >= 3
