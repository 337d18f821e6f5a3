"""The care-plan rules applied to one person, with dates worked out by hand from the source
documents (each test names its source). Pure functions: no database, no clock.

Sources: 国家免疫规划疫苗儿童免疫程序及说明（2021年版）; the 2025 HPV programme notice (girls
born on or after 2011-11-10, two bivalent doses six months apart, from 13); 国家基本公共卫生服务
规范（第三版, 2017）: chronic disease, maternal and 0–6 child health management."""

from __future__ import annotations

from datetime import date

import pytest

from jiayi.content.careplans import Rule, default_rules
from jiayi.services.careplans import (
    CareItem,
    Outcome,
    Person,
    Pregnancy,
    VaccineAnswer,
    awaiting_record,
    next_item,
)
from jiayi.storage.careplans import CareDone
from jiayi.storage.records import Condition, Sex

ENROLLED = date(2024, 1, 20)
CHILD_BORN = date(2024, 1, 15)


def rule(rule_id: str) -> Rule:
    found = default_rules().get(rule_id)
    assert found is not None
    return found


def child(
    born: date = CHILD_BORN, sex: Sex | None = Sex.MALE, record: dict[str, str] | None = None
) -> Person:
    return Person(
        resident_id=1,
        member_id=7,
        name="小宝",
        birth=born,
        conditions=frozenset(),
        enrolled_on=min(born, ENROLLED),
        sex=sex,
        record=record or {},
    )


def adult(
    *conditions: Condition,
    born_year: int = 1980,
    sex: Sex | None = Sex.FEMALE,
    pregnancy: Pregnancy | None = None,
) -> Person:
    return Person(
        resident_id=1,
        member_id=None,
        name="李",
        birth=date(born_year, 7, 1),
        conditions=frozenset(conditions),
        enrolled_on=ENROLLED,
        sex=sex,
        pregnancy=pregnancy,
    )


def done(person: Person, rule_id: str, *days: date, outcome: str | None = None) -> list[CareDone]:
    return [CareDone(person.key, rule_id, day, "doctor", outcome) for day in days]


def item(rule_id: str, person: Person, today: date, history: list[CareDone] | None = None):
    return next_item(rule(rule_id), person, history or [], None, today)


def due(rule_id: str, person: Person, today: date, history: list[CareDone] | None = None):
    found: CareItem | None = item(rule_id, person, today, history)
    return (found.due, found.dose) if found else None


# --- MPSV-A finishes before 24 months (2021 说明 三(八))


def test_mpsv_a_is_offered_up_to_the_day_before_24_months_and_never_after() -> None:
    """Mutation: `before_months: 35` (the old `until_months`) keeps offering it at 24 months."""
    baby = child()  # born 2024-01-15: 24 months on 2026-01-15
    assert due("nip_mpsv_a", baby, date(2026, 1, 14)) == (date(2024, 7, 15), 1)
    assert due("nip_mpsv_a", baby, date(2026, 1, 15)) is None
    assert due("nip_mpsv_a", baby, date(2026, 6, 1)) is None


def test_a_second_mpsv_a_dose_that_would_fall_after_24_months_is_not_offered() -> None:
    """Dose 1 at 22 months (2025-11-15): dose 2 needs 3 months → 2026-02-15, past 24 months.
    Mutation: checking the age on `today` instead of on the due date offers it."""
    baby = child()
    history = done(baby, "nip_mpsv_a", date(2025, 11, 15))
    assert due("nip_mpsv_a", baby, date(2025, 11, 20), history) is None


# --- MPSV-AC: cross-series intervals and the early path


def test_mpsv_ac_at_3_years_after_two_mpsv_a_doses() -> None:
    """Mutation: dropping the `early` path's `fewer_than` check moves this to 24 months."""
    baby = child()
    history = done(baby, "nip_mpsv_a", date(2024, 7, 15), date(2024, 10, 15))
    assert due("nip_mpsv_ac", baby, date(2026, 12, 1), history) == (date(2027, 1, 15), 1)


def test_mpsv_ac_at_least_12_months_after_the_second_mpsv_a_dose() -> None:
    """A second MPSV-A dose recorded at 25½ months (2026-03-01): MPSV-AC ≥ 12 months later,
    2027-03-01, not at 3 years (2027-01-15). Mutation: ignoring `after` gives 2027-01-15."""
    baby = child()
    history = done(baby, "nip_mpsv_a", date(2024, 7, 15), date(2026, 3, 1))
    assert due("nip_mpsv_ac", baby, date(2026, 12, 1), history) == (date(2027, 3, 1), 1)


def test_a_child_who_never_had_mpsv_a_has_mpsv_ac_from_24_months() -> None:
    """Mutation: without the `early` rule the first MPSV-AC waits for 36 months (2027-01-15)."""
    baby = child()
    assert due("nip_mpsv_ac", baby, date(2026, 2, 1), []) == (date(2026, 1, 15), 1)


def test_one_mpsv_a_dose_then_mpsv_ac_3_months_after_it_from_24_months() -> None:
    """One MPSV-A at 22½ months (2025-12-01): MPSV-AC from 24 months but ≥ 3 months after it
    → 2026-03-01. Mutation: dropping the dose-1 `after` entry gives 2026-01-15."""
    baby = child()
    history = done(baby, "nip_mpsv_a", date(2025, 12, 1))
    assert due("nip_mpsv_ac", baby, date(2026, 2, 1), history) == (date(2026, 3, 1), 1)


def test_second_mpsv_ac_at_6_years_and_at_least_3_years_after_the_first() -> None:
    """First MPSV-AC early (2026-03-01): the second at 6 years (2030-01-15); a first one given
    late (2027-06-01) pushes it to 2030-06-01. Mutation: `min_interval_months: 36` → 0."""
    baby = child()
    early = done(baby, "nip_mpsv_ac", date(2026, 3, 1))
    assert due("nip_mpsv_ac", baby, date(2029, 12, 1), early) == (date(2030, 1, 15), 2)
    late = done(baby, "nip_mpsv_ac", date(2027, 6, 1))
    assert due("nip_mpsv_ac", baby, date(2029, 12, 1), late) == (date(2030, 6, 1), 2)


# --- HPV (2025 programme): girls, from 13, born on or after 2011-11-10


def test_hpv_for_girls_at_13_and_the_second_dose_six_months_after_the_first() -> None:
    """Mutation: removing `sex: female` from the rule gives the boy an item."""
    girl = child(date(2013, 5, 20), Sex.FEMALE)
    assert due("nip_hpv", girl, date(2026, 5, 1)) == (date(2026, 5, 20), 1)
    history = done(girl, "nip_hpv", date(2026, 6, 1))
    assert due("nip_hpv", girl, date(2026, 6, 2), history) == (date(2026, 12, 1), 2)
    assert due("nip_hpv", child(date(2013, 5, 20), Sex.MALE), date(2026, 5, 1)) is None
    assert due("nip_hpv", child(date(2013, 5, 20), None), date(2026, 5, 1)) is None


def test_hpv_only_for_the_birth_cohort_of_the_programme() -> None:
    """Born 2011-11-09: outside the programme. Mutation: dropping `born_from`."""
    assert due("nip_hpv", child(date(2011, 11, 9), Sex.FEMALE), date(2025, 12, 1)) is None
    assert due("nip_hpv", child(date(2011, 11, 10), Sex.FEMALE), date(2025, 12, 1)) == (
        date(2024, 11, 10),
        1,
    )


# --- catch-up ends before the 18th birthday


def test_no_catch_up_on_the_18th_birthday() -> None:
    """Mutation: comparing `age > before_months` admits the child on their 18th birthday."""
    teen = child(date(2008, 12, 7))
    assert due("nip_hepb", teen, date(2026, 12, 6)) is not None
    assert due("nip_hepb", teen, date(2026, 12, 7)) is None


def test_bcg_reminder_carries_the_ppd_note_and_stops_at_4_years() -> None:
    """2021 说明 三(二): 3 months–3 years after a negative PPD test; not from 4 years.
    Mutation: removing the note, or `before_months: 48` → 49."""
    bcg = rule("nip_bcg")
    note = bcg.note("zh-CN")
    assert note is not None
    assert "PPD" in note
    assert "PPD" in (bcg.note("en") or "")
    baby = child(date(2022, 12, 7))
    assert due("nip_bcg", baby, date(2026, 12, 6)) is not None
    assert due("nip_bcg", baby, date(2026, 12, 7)) is None


# --- hypertension and type 2 diabetes (规范 第三版)


@pytest.mark.parametrize("condition", [Condition.HYPERTENSION, Condition.DIABETES])
def test_yearly_check_up_for_every_hypertension_and_diabetes_patient_whatever_the_age(
    condition: Condition,
) -> None:
    """A 43-year-old patient: due from enrolment, then a year after the last one. Mutation:
    `min_age: 65` on chronic_checkup, or dropping one of its conditions."""
    patient = adult(condition, born_year=1983)
    assert due("chronic_checkup", patient, date(2024, 2, 1)) == (ENROLLED, None)
    history = done(patient, "chronic_checkup", date(2024, 3, 1))
    assert due("chronic_checkup", patient, date(2024, 4, 1), history) == (date(2025, 3, 1), None)
    assert due("chronic_checkup", adult(born_year=1983), date(2024, 2, 1)) is None


@pytest.mark.parametrize("rule_id", ["htn_follow_up", "dm_follow_up"])
def test_a_follow_up_found_not_controlled_is_followed_up_in_two_weeks(rule_id: str) -> None:
    """Recorded 2026-03-02 as not controlled → due 2026-03-16; controlled → 2026-06-02.
    Mutation: ignoring `outcome` in the recurring rule."""
    patient = adult(Condition.HYPERTENSION, Condition.DIABETES)
    bad = done(patient, rule_id, date(2026, 3, 2), outcome=Outcome.UNCONTROLLED.value)
    found = item(rule_id, patient, date(2026, 3, 3), bad)
    assert found is not None
    assert found.due == date(2026, 3, 16)
    assert found.opens >= date(2026, 3, 2)
    good = done(patient, rule_id, date(2026, 3, 2), outcome=Outcome.CONTROLLED.value)
    assert due(rule_id, patient, date(2026, 3, 3), good) == (date(2026, 6, 2), None)


# --- flu: pregnant women and children 6–59 months


def test_flu_for_pregnant_women_and_children_from_6_to_59_months() -> None:
    """Season 2026: opens 09-01, due 10-31. Mutation: `from_months: 6` → 0 reminds a
    3-month-old from September; `before_months: 60` → 72 includes a 5-year-old."""
    pregnant = adult(Condition.PREGNANT)
    assert due("flu_pregnant", pregnant, date(2026, 9, 15)) == (date(2026, 10, 31), None)
    assert due("flu_pregnant", adult(), date(2026, 9, 15)) is None
    assert due("flu_child", child(date(2025, 6, 1)), date(2026, 9, 15)) == (
        date(2026, 10, 31),
        None,
    )
    assert due("flu_child", child(date(2021, 6, 1)), date(2026, 9, 15)) is None
    young = item("flu_child", child(date(2026, 6, 1)), date(2026, 9, 15))
    assert young is not None
    assert young.opens == date(2026, 12, 1)  # six months old
    assert young.due == date(2026, 12, 1)


# --- maternal care (规范 第三版 孕产妇健康管理)

EXPECTED = date(2027, 6, 30)  # 40 weeks; week 0 = 2026-09-23


def test_antenatal_visits_by_weeks_of_pregnancy() -> None:
    """Visits due at weeks 13, 20, 24, 36 and 40: 2026-12-23, 2027-02-10, 2027-03-10,
    2027-06-02, 2027-06-30. Mutation: counting from the expected date instead of 280 days
    before it."""
    mother = adult(pregnancy=Pregnancy(EXPECTED))
    assert due("antenatal", mother, date(2026, 11, 1)) == (date(2026, 12, 23), 1)
    visits = done(mother, "antenatal", date(2026, 12, 20))
    assert due("antenatal", mother, date(2026, 12, 21), visits) == (date(2027, 2, 10), 2)


def test_a_woman_recorded_at_30_weeks_is_not_sent_the_missed_early_visits() -> None:
    """At 30 weeks (2027-04-21) the 28–36-week visit (due 2027-06-02) is next: no catch-up of
    the visits of weeks 13–24. Mutation: `catch_up: true` gives visit 1 (2026-12-23)."""
    mother = adult(pregnancy=Pregnancy(EXPECTED))
    assert due("antenatal", mother, date(2027, 4, 21)) == (date(2027, 6, 2), 4)


def test_postnatal_visits_at_7_and_42_days_after_delivery_and_antenatal_ends() -> None:
    """Delivered 2027-06-25: visits due 2027-07-02 and 2027-08-06; no antenatal visit.
    Mutation: counting postnatal days from the expected date (→ 2027-07-07)."""
    mother = adult(pregnancy=Pregnancy(EXPECTED, date(2027, 6, 25)))
    assert due("postpartum", mother, date(2027, 6, 26)) == (date(2027, 7, 2), 1)
    visits = done(mother, "postpartum", date(2027, 7, 1))
    assert due("postpartum", mother, date(2027, 7, 2), visits) == (date(2027, 8, 6), 2)
    assert due("antenatal", mother, date(2027, 6, 26)) is None
    assert due("antenatal", adult(), date(2026, 11, 1)) is None
    assert (
        due("antenatal", adult(sex=Sex.MALE, pregnancy=Pregnancy(EXPECTED)), date(2026, 11, 1))
        is None
    )


# --- child health management 0–6 years (规范 第三版)


def test_newborn_home_visit_and_check_ups_from_one_month() -> None:
    """Born 2026-01-10: home visit due 2026-01-17, first check-up 2026-02-10; after the
    1-month one, the 3-month one (2026-04-10). Mutation: dropping a dose from the schedule."""
    baby = child(date(2026, 1, 10))
    assert due("newborn_visit", baby, date(2026, 1, 11)) == (date(2026, 1, 17), 1)
    assert due("child_checkup", baby, date(2026, 1, 11)) == (date(2026, 2, 10), 1)
    history = done(baby, "child_checkup", date(2026, 2, 11))
    assert due("child_checkup", baby, date(2026, 2, 12), history) == (date(2026, 4, 10), 2)
    months = [d.age_months for d in rule("child_checkup").doses]
    assert months == [1, 3, 6, 8, 12, 18, 24, 30, 36, 48, 60, 72]


def test_a_3_year_old_added_late_is_due_only_the_36_month_check_up() -> None:
    """Born 2023-11-01, added 2026-11-20: the 36-month check-up (2026-11-01), not the missed
    ones; after it, the 4-year one (2027-11-01); nothing from 7. Mutation: `catch_up: true`."""
    kid = child(date(2023, 11, 1))
    assert due("child_checkup", kid, date(2026, 11, 20)) == (date(2026, 11, 1), 9)
    assert due("newborn_visit", kid, date(2026, 11, 20)) is None
    history = done(kid, "child_checkup", date(2026, 11, 25))
    assert due("child_checkup", kid, date(2026, 11, 26), history) == (date(2027, 11, 1), 10)
    assert due("child_checkup", child(date(2019, 11, 1)), date(2026, 11, 20)) is None


# --- the vaccination record gate


def test_overdue_child_vaccine_waits_for_the_record_answer() -> None:
    """Unanswered or "don't know": an overdue dose is held back; "not done": reminded.
    Mutation: `awaiting_record` returning False always."""
    today = date(2027, 1, 20)  # 3 years old
    for answers, held in (
        ({}, True),
        ({"nip_hepb": VaccineAnswer.UNKNOWN.value}, True),
        ({"nip_hepb": VaccineAnswer.NOT_DONE.value}, False),
    ):
        found = item("nip_hepb", child(record=answers), today)
        assert found is not None
        assert awaiting_record(found, today) is held
    follow_up = item("htn_follow_up", adult(Condition.HYPERTENSION), today)
    assert follow_up is not None
    assert not awaiting_record(follow_up, today)
