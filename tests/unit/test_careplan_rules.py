"""Care-plan rules are data: the shipped file is valid, and `jiayi content check` names what is
wrong in a bad one."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from content.careplans import RuleKind, check_rules, load_rules
from content.render import Renderer
from services.content_check import check_content

GOOD_RULE = """
rules:
  - id: htn_follow_up
    name: {zh-CN: 高血压随访, en: Hypertension follow-up}
    kind: recurring
    who: adult
    conditions: [hypertension]
    every_months: 3
    book: {kind: follow_up, codes: [chronic_follow_up]}
"""


def write(tmp_path: Path, text: str, name: str = "rules.yaml") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_shipped_rules_cover_the_programme_and_the_chronic_follow_ups() -> None:
    book = load_rules()
    assert check_rules() == []
    nip = {r.id: [d.age_months for d in r.doses] for r in book if r.kind is RuleKind.SERIES}
    assert nip["nip_hepb"] == [0, 1, 6]
    assert nip["nip_bcg"] == [0]
    assert nip["nip_polio"] == [2, 3, 4, 48]
    assert nip["nip_mmr"] == [8, 18]
    assert nip["nip_je"] == [8, 24]
    assert nip["nip_mpsv_a"] == [6, 9]
    assert nip["nip_mpsv_ac"] == [36, 72]
    assert nip["nip_hepa"] == [18]
    follow_up = book.get("htn_follow_up")
    assert follow_up is not None
    assert follow_up.every_months == 3  # at least four a year
    for rule in book:
        assert rule.name("zh-CN")
        assert rule.name("en")


def test_a_good_file_passes(tmp_path: Path) -> None:
    assert check_rules(write(tmp_path, GOOD_RULE)) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (GOOD_RULE.replace("en: Hypertension follow-up", "en: ''"), "name in en is missing"),
        (GOOD_RULE.replace("    every_months: 3\n", ""), "needs every_months"),
        (GOOD_RULE.replace("kind: recurring", "kind: sometimes"), "kind"),
        (GOOD_RULE.replace("[hypertension]", "[flu]"), "conditions"),
        (GOOD_RULE.replace("kind: follow_up", "kind: massage"), "book.kind"),
        (GOOD_RULE.replace("id: htn_follow_up", "id: Hypertension-Follow-Up"), "lower_snake"),
        (GOOD_RULE + GOOD_RULE.replace("rules:\n", ""), "used twice"),
        (GOOD_RULE.replace("every_months: 3", "every_months: 3\n    colour: red"), "colour"),
        ("rules: [", "not valid YAML"),
        (
            """
rules:
  - id: flu
    name: {zh-CN: 流感疫苗, en: Flu vaccine}
    kind: seasonal
    opens: "13-01"
    due: "10-31"
    closes: "03-31"
""",
            "opens as MM-DD",
        ),
        (
            """
rules:
  - id: nip_x
    name: {zh-CN: 疫苗, en: Vaccine}
    kind: series
    who: child
    until_months: 12
    doses:
      - {age_months: 6}
      - {age_months: 2}
""",
            "age order",
        ),
        (
            """
rules:
  - id: nip_x
    name: {zh-CN: 疫苗, en: Vaccine}
    kind: series
    who: child
    until_months: 12
    doses:
      - {age_months: 24}
""",
            "after the catch-up age limit",
        ),
    ],
)
def test_bad_rule_files_are_reported(tmp_path: Path, text: str, problem: str) -> None:
    problems = check_rules(write(tmp_path, text))
    assert any(problem in p for p in problems), problems


def test_content_check_fails_on_bad_rules(tmp_path: Path) -> None:
    bad = write(tmp_path, GOOD_RULE.replace("    every_months: 3\n", ""))
    report = check_content(
        Renderer(), ZoneInfo("Asia/Shanghai"), date(2026, 11, 23), careplans_dir=bad
    )
    assert not report.ok
    assert any(p.startswith("careplans/") and "every_months" in p for p in report.problems)
