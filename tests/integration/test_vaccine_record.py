"""The children's vaccination record on a real database (SQLite and PostgreSQL): a child added
late gets no "overdue" vaccine reminders before the parent answered the record question, and
the answers decide what is reminded next; a doctor's "not controlled" follow-up comes back in
two weeks; a recorded expected delivery date brings the antenatal visits."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from jiayi.content.careplans import default_rules
from jiayi.services import careplans, family, maternal_care, vaccine_record
from jiayi.services.careplans import Outcome, VaccineAnswer
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.errors import DomainError, NotAllowed
from jiayi.services.family import NewMember, Relation
from jiayi.services.residents import Condition, Sex
from tests.factories import make_resident
from tests.integration.careplans_support import (
    DOCTOR_USER,
    HYPERTENSIVE,
    OTHER,
    PARENT,
    SHANGHAI,
    TODAY,
    add_baby,
    at_local,
    bound_doctor,
    contracted,
    plan,
    reminders,
)

THREE_YEARS_AGO = date(2023, 11, 10)  # the child is 3 years old on TODAY (2026-11-23)


def child_vaccine_reminders(rows: list) -> list:
    record = {r.id for r in default_rules() if r.record}
    return [r for r in rows if r.payload["rule"] in record]


async def test_a_child_added_at_3_years_gets_no_overdue_reminder_before_the_record_is_answered(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation: `awaiting_record` returning False queues ~13 overdue doses at once (HepB ×3,
    BCG, polio ×3, DTaP ×4, MMR ×2, JE ×2, MPSV-A ×… — one per vaccine, each overdue)."""
    await make_resident(uow_factory, clock, PARENT, birth_year=1994)
    member_id = await add_baby(uow_factory, clock, THREE_YEARS_AGO)

    for days in (0, 1, 15, 30):
        clock.set(at_local(TODAY + timedelta(days=days)))
        await plan(uow_factory, clock)
    assert child_vaccine_reminders(await reminders(uow_factory)) == []

    # The record asks about every vaccine the schedule gives by 3 years.
    record = await vaccine_record.child_record(uow_factory(), clock, PARENT, member_id, SHANGHAI)
    asked = {q.rule_id for q in record.questions}
    assert {"nip_hepb", "nip_bcg", "nip_dtap", "nip_mmr", "nip_mpsv_a"} <= asked
    assert "nip_hpv" not in asked
    hepb = next(q for q in record.questions if q.rule_id == "nip_hepb")
    assert hepb.doses_by_now == 3

    # "Done" for all but HepB (not given) and MMR (don't know).
    for question in record.questions:
        given = {"nip_hepb": VaccineAnswer.NOT_DONE, "nip_mmr": VaccineAnswer.UNKNOWN}.get(
            question.rule_id, VaccineAnswer.DONE
        )
        record = await vaccine_record.answer(
            uow_factory(), clock, PARENT, member_id, question.rule_id, given, SHANGHAI
        )
    assert record.next_question is None

    clock.set(at_local(TODAY + timedelta(days=31)))
    await plan(uow_factory, clock)
    queued = child_vaccine_reminders(await reminders(uow_factory))
    # Only the vaccine the parent said was not given is reminded; it asks to check the
    # certificate first.
    assert {r.payload["rule"] for r in queued} == {"nip_hepb"}
    assert all(r.payload["check_record"] for r in queued)
    assert queued[0].payload["dose"] == 1

    # Vaccines answered "done" moved on: their doses due by now are recorded (on their
    # scheduled days), so nothing of theirs is overdue; MMR ("don't know") is listed as
    # "check the certificate".
    entries = await careplans.plan(uow_factory(), clock, PARENT, SHANGHAI)
    vaccines = {r.id for r in default_rules() if r.record}
    states = {e.rule_id: e.state for e in entries if e.rule_id in vaccines}
    assert {r for r, s in states.items() if s is careplans.ItemState.OVERDUE} == {"nip_hepb"}
    assert {r for r, s in states.items() if s is careplans.ItemState.CHECK_RECORD} == {"nip_mmr"}


async def test_the_record_is_only_for_the_parents_own_children(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation: skipping `_child` in `answer` lets another resident write the record;
    dropping the age check in `_questions` asks the grandmother too."""
    await make_resident(uow_factory, clock, PARENT, birth_year=1994)
    await make_resident(uow_factory, clock, OTHER, birth_year=1990)
    member_id = await add_baby(uow_factory, clock, THREE_YEARS_AGO)
    with pytest.raises(NotAllowed):
        await vaccine_record.answer(
            uow_factory(), clock, OTHER, member_id, "nip_hepb", VaccineAnswer.DONE, SHANGHAI
        )
    # An elderly parent in the same family has no vaccination record to fill in.
    await family.add_member(
        uow_factory(),
        clock,
        PARENT,
        NewMember(Relation.PARENT, "奶奶", date(1950, 3, 1), Sex.FEMALE),
    )
    waiting = await vaccine_record.children_awaiting(uow_factory(), clock, PARENT, SHANGHAI)
    assert [c.member_id for c in waiting] == [member_id]
    assert await vaccine_record.children_awaiting(uow_factory(), clock, OTHER, SHANGHAI) == []


async def test_a_newborn_still_gets_the_birth_doses_reminded_on_the_day(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """The gate holds back only doses already past their date. Mutation: gating every child
    vaccine reminder on the record hides the birth doses."""
    await make_resident(uow_factory, clock, PARENT, birth_year=1994)
    await add_baby(uow_factory, clock, TODAY)
    await plan(uow_factory, clock)
    rules = {r.payload["rule"] for r in child_vaccine_reminders(await reminders(uow_factory))}
    assert {"nip_hepb", "nip_bcg"} <= rules


async def test_a_follow_up_recorded_not_controlled_is_due_again_in_two_weeks(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """规范 第三版 分类干预: not controlled → follow-up within 2 weeks. Mutation: dropping
    `outcome` in `record_done` (the next one is due in three months)."""
    doctor = await bound_doctor(uow_factory, clock, DOCTOR_USER, "王医生")
    patient = await make_resident(
        uow_factory, clock, HYPERTENSIVE, birth_year=1970, conditions=(Condition.HYPERTENSION,)
    )
    await contracted(uow_factory, clock, HYPERTENSIVE, doctor)
    await careplans.record_done(
        uow_factory(),
        clock,
        DOCTOR_USER,
        patient.id,
        None,
        "htn_follow_up",
        SHANGHAI,
        outcome=Outcome.UNCONTROLLED,
    )
    entries = await careplans.plan(uow_factory(), clock, HYPERTENSIVE, SHANGHAI)
    follow_up = next(e for e in entries if e.rule_id == "htn_follow_up")
    assert follow_up.due == TODAY + timedelta(days=14)
    checkup = next(e for e in entries if e.rule_id == "chronic_checkup")
    assert checkup.due == TODAY  # every hypertension patient, at 56 years too

    clock.set(at_local(TODAY + timedelta(days=14)))
    await careplans.record_done(
        uow_factory(),
        clock,
        DOCTOR_USER,
        patient.id,
        None,
        "htn_follow_up",
        SHANGHAI,
        outcome=Outcome.CONTROLLED,
    )
    entries = await careplans.plan(uow_factory(), clock, HYPERTENSIVE, SHANGHAI)
    follow_up = next(e for e in entries if e.rule_id == "htn_follow_up")
    assert follow_up.due == careplans.add_months(TODAY + timedelta(days=14), 3)


async def test_a_recorded_expected_date_brings_antenatal_visits_and_the_pregnancy_flu_vaccine(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Expected 2027-06-30 (week 0 = 2026-09-23): the first antenatal visit is due by week
    13, 2026-12-23; recorded on 2026-11-23 (week 8–9). Delivered 2027-06-25 → postnatal
    visit due 2027-07-02. Mutation: not reading `care_pregnancies` in the household."""
    await make_resident(uow_factory, clock, PARENT, birth_year=1994)
    await maternal_care.record_pregnancy(
        uow_factory(), clock, PARENT, None, date(2027, 6, 30), SHANGHAI
    )
    entries = {e.rule_id: e for e in await careplans.plan(uow_factory(), clock, PARENT, SHANGHAI)}
    assert entries["antenatal"].due == date(2026, 12, 23)
    assert entries["antenatal"].dose == 1
    assert "flu_pregnant" in entries
    with pytest.raises(DomainError):
        await maternal_care.record_pregnancy(
            uow_factory(), clock, PARENT, None, date(2028, 6, 30), SHANGHAI
        )

    clock.set(at_local(date(2027, 6, 26)))
    await maternal_care.record_pregnancy(
        uow_factory(), clock, PARENT, None, date(2027, 6, 30), SHANGHAI, date(2027, 6, 25)
    )
    entries = {e.rule_id: e for e in await careplans.plan(uow_factory(), clock, PARENT, SHANGHAI)}
    assert "antenatal" not in entries
    assert entries["postpartum"].due == date(2027, 7, 2)
