"""Care-plan rules are data: the shipped file is valid, and `jiayi content check` names what is
wrong in a bad one."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from jiayi.content.careplans import RuleKind, check_rules, load_rules
from jiayi.content.render import Renderer
from jiayi.services.content_check import check_content

GOOD_RULE = """
rules:
  - id: htn_follow_up
    name: {zh-CN: 高血压随访, en: Hypertension follow-up}
    kind: recurring
    who: adult
    conditions: [hypertension]
    every_months: 3
    book: {kind: follow_up, codes: [chronic_follow_up]}
    source:
      - {document: 国家基本公共卫生服务规范（第三版）, edition: 2017, section: 高血压 二(二)}
    review: {state: pending}
"""
GOVERNANCE = """    source:
      - {document: 国家免疫规划疫苗儿童免疫程序及说明, edition: 2021, section: 三}
    review: {state: pending}
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
    mpsv_a = book.get("nip_mpsv_a")
    assert mpsv_a is not None
    assert mpsv_a.before_months == 24  # 2021 说明 三(八): not from 24 months
    assert nip["nip_hpv"] == [156, 162]
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
        # Governance: a source needs its edition year; a review is a state, signed off only
        # with the clinician, the date and the sections checked.
        (GOOD_RULE.replace("edition: 2017, ", ""), "edition: Field required"),
        (GOOD_RULE.replace("edition: 2017", "edition: 第三版"), "edition"),
        (
            GOOD_RULE.replace(
                GOOD_RULE[GOOD_RULE.index("    source:") : GOOD_RULE.index("    review")], ""
            ),
            "source: Field required",
        ),
        (
            GOOD_RULE.replace("{state: pending}", "{state: 'jiayi content team (pending)'}"),
            "review.state",
        ),
        (GOOD_RULE.replace("{state: pending}", "{state: signed_off}"), "names the clinician"),
        (
            GOOD_RULE.replace("{state: pending}", "{state: pending, by: Dr Wang}"),
            "a pending review has no reviewer",
        ),
        (
            """
rules:
  - id: nip_x
    name: {zh-CN: 疫苗, en: Vaccine}
    kind: series
    who: child
    before_months: 72
    doses:
      - age_months: 36
        after: [{rule: nip_missing, dose: 2, min_months: 12}]
"""
            + GOVERNANCE,
            "refers to 'nip_missing'",
        ),
        (
            """
rules:
  - id: flu
    name: {zh-CN: 流感疫苗, en: Flu vaccine}
    kind: seasonal
    opens: "13-01"
    due: "10-31"
    closes: "03-31"
"""
            + GOVERNANCE,
            "opens as MM-DD",
        ),
        (
            """
rules:
  - id: nip_x
    name: {zh-CN: 疫苗, en: Vaccine}
    kind: series
    who: child
    before_months: 12
    doses:
      - {age_months: 6}
      - {age_months: 2}
"""
            + GOVERNANCE,
            "age order",
        ),
        (
            """
rules:
  - id: nip_x
    name: {zh-CN: 疫苗, en: Vaccine}
    kind: series
    who: child
    before_months: 12
    doses:
      - {age_months: 24}
"""
            + GOVERNANCE,
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


def test_a_signed_off_review_with_clinician_date_and_sections_passes(tmp_path: Path) -> None:
    """Mutation: requiring `pending` only (rejecting every sign-off) fails this."""
    signed = GOOD_RULE.replace(
        "{state: pending}",
        "{state: signed_off, by: 张医生, date: 2026-12-01, sections: [高血压 二(二)]}",
    )
    assert check_rules(write(tmp_path, signed)) == []


def test_no_shipped_rule_claims_a_sign_off() -> None:
    """Nobody has reviewed the shipped rules in this repository: all stay pending, each with
    at least one source that has an edition year."""
    for rule in load_rules():
        assert rule.review is not None
        assert rule.review.pending, rule.id
        assert rule.sources, rule.id
        assert all(s.edition >= 1990 for s in rule.sources)
