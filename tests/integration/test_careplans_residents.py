"""Care plans on a real database (SQLite and PostgreSQL), with a controllable clock: what a
resident and a parent notice — reminders at the right time, once per step, items that move
on when done: programme vaccines, chronic follow-ups, older people's items, snoozing."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from jiayi.content.careplans import default_rules
from jiayi.services import booking, careplans, vaccine_record
from jiayi.services.booking import ServiceKind
from jiayi.services.careplans import ItemState, VaccineAnswer
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.errors import DomainError, NotAllowed
from jiayi.services.residents import Condition
from tests.conftest import T0
from tests.factories import make_resident
from tests.integration.booking_support import make_schedule, make_service
from tests.integration.careplans_support import (
    BABY,
    DOCTOR_USER,
    ELDER,
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

# --- children: the national immunisation programme -------------------------------------------


def _first_doses() -> list[tuple[str, int, int]]:
    return [
        (rule.id, rule.doses[0].age_months, rule.window_days)
        for rule in default_rules()
        # The programme's vaccines (MPSV-AC at 3 years and HPV at 13 are pinned by the unit
        # tests of the schedule).
        if rule.record and rule.id not in ("nip_mpsv_ac", "nip_hpv")
    ]


@pytest.mark.parametrize(("rule_id", "age_months", "window_days"), _first_doses())
async def test_each_programme_vaccine_reminds_at_its_age_and_not_before(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    rule_id: str,
    age_months: int,
    window_days: int,
) -> None:
    born = TODAY
    await make_resident(uow_factory, clock, PARENT, birth_year=1994)
    await add_baby(uow_factory, clock, born)
    due = careplans.add_months(born, age_months)
    opens = max(due - timedelta(days=window_days), born)

    if opens > born:
        clock.set(at_local(opens - timedelta(days=1)))
        await plan(uow_factory, clock)
        assert not [r for r in await reminders(uow_factory) if r.payload["rule"] == rule_id]

    clock.set(at_local(opens))
    await plan(uow_factory, clock)
    mine = [r for r in await reminders(uow_factory) if r.payload["rule"] == rule_id]
    assert len(mine) == 1
    assert mine[0].payload["person"] == BABY
    assert mine[0].payload["due"] == due.isoformat()
    assert mine[0].payload["dose"] == 1


async def test_next_dose_follows_the_recorded_one_and_late_doses_catch_up(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    born = TODAY - timedelta(days=400)  # 13 months old: HepB dose 1 is long overdue
    await make_resident(uow_factory, clock, PARENT, birth_year=1994)
    member_id = await add_baby(uow_factory, clock, born)
    entries = await careplans.plan(uow_factory(), clock, PARENT, SHANGHAI)
    hepb = next(e for e in entries if e.rule_id == "nip_hepb")
    # Not confirmed from the vaccination certificate yet: "check the record", not overdue.
    assert hepb.state is ItemState.CHECK_RECORD
    await vaccine_record.answer(
        uow_factory(), clock, PARENT, member_id, "nip_hepb", VaccineAnswer.NOT_DONE, SHANGHAI
    )
    entries = await careplans.plan(uow_factory(), clock, PARENT, SHANGHAI)
    hepb = next(e for e in entries if e.rule_id == "nip_hepb")
    assert hepb.state is ItemState.OVERDUE
    assert hepb.dose == 1
    # Overdue items come first, by due date.
    assert [e.due for e in entries] == sorted(e.due for e in entries)

    following = await careplans.done_elsewhere(
        uow_factory(), clock, PARENT, SHANGHAI, "nip_hepb", member_id, hepb.due
    )
    assert following is not None
    assert following.dose == 2
    # Catch-up: the second dose is due a minimum interval after the late first one.
    assert following.due == TODAY + timedelta(days=28)


async def test_no_programme_reminders_for_adults_or_grown_children(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, PARENT, birth_year=1994)
    await add_baby(uow_factory, clock, date(2000, 1, 1))
    entries = await careplans.plan(uow_factory(), clock, PARENT, SHANGHAI)
    assert not [e for e in entries if e.rule_id.startswith("nip_")]


# --- chronic follow-up ------------------------------------------------------------------------


async def test_hypertension_follow_up_quarterly_and_an_attended_visit_moves_the_next(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    doctor = await bound_doctor(uow_factory, clock, DOCTOR_USER, "王医生")
    await make_resident(
        uow_factory, clock, HYPERTENSIVE, birth_year=1970, conditions=(Condition.HYPERTENSION,)
    )
    await contracted(uow_factory, clock, HYPERTENSIVE, doctor)
    service = await make_service(
        uow_factory, clock, "chronic_follow_up", ServiceKind.FOLLOW_UP, centre_id=doctor.centre_id
    )
    await make_schedule(uow_factory, service, weekday=2)  # Wednesdays
    await booking.materialize_slots(uow_factory(), clock, SHANGHAI)

    await plan(uow_factory, clock)
    await plan(uow_factory, clock)  # idempotent
    follow = [r for r in await reminders(uow_factory) if r.payload["rule"] == "htn_follow_up"]
    assert len(follow) == 1
    assert follow[0].payload["service_id"] == service.id  # "Book now" goes straight to it
    assert follow[0].status == "pending"

    # Booking the follow-up withdraws the pending "please book" reminder.
    days = await booking.available_days(
        uow_factory(), clock, HYPERTENSIVE, service.id, None, SHANGHAI
    )
    slots = await booking.slots_on(
        uow_factory(), clock, HYPERTENSIVE, service.id, None, days[0].day, SHANGHAI
    )
    appointment = await booking.book(
        uow_factory(), clock, HYPERTENSIVE, slots[0].id, None, SHANGHAI
    )
    follow = [r for r in await reminders(uow_factory) if r.payload["rule"] == "htn_follow_up"]
    assert [r.status for r in follow] == ["cancelled"]

    # While booked, no new reminder; once attended, the next falls due three months later.
    clock.set(appointment.starts_at)
    await plan(uow_factory, clock)
    await booking.mark_attendance(uow_factory(), clock, DOCTOR_USER, appointment.id, True)
    visit_day = appointment.starts_at.astimezone(SHANGHAI).date()
    entries = await careplans.plan(uow_factory(), clock, HYPERTENSIVE, SHANGHAI)
    follow_up = next(e for e in entries if e.rule_id == "htn_follow_up")
    assert follow_up.due == careplans.add_months(visit_day, 3)
    assert follow_up.state is ItemState.UPCOMING

    # The next quarterly reminder comes when its window opens, not before.
    clock.set(at_local(follow_up.due - timedelta(days=15)))
    await plan(uow_factory, clock)
    assert (
        len([r for r in await reminders(uow_factory) if r.payload["rule"] == "htn_follow_up"]) == 1
    )
    clock.set(at_local(follow_up.due - timedelta(days=14)))
    await plan(uow_factory, clock)
    follow = [r for r in await reminders(uow_factory) if r.payload["rule"] == "htn_follow_up"]
    assert len(follow) == 2
    assert follow[-1].payload["due"] == follow_up.due.isoformat()

    # A correction to no-show takes the completion back.
    await booking.mark_attendance(uow_factory(), clock, DOCTOR_USER, appointment.id, False)
    entries = await careplans.plan(uow_factory(), clock, HYPERTENSIVE, SHANGHAI)
    assert next(e for e in entries if e.rule_id == "htn_follow_up").state is ItemState.OVERDUE


async def test_accepting_a_waiting_list_seat_withdraws_the_follow_up_reminder(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    doctor = await bound_doctor(uow_factory, clock, DOCTOR_USER, "王医生")
    await make_resident(
        uow_factory, clock, HYPERTENSIVE, birth_year=1970, conditions=(Condition.HYPERTENSION,)
    )
    await make_resident(uow_factory, clock, OTHER, birth_year=1980)
    await contracted(uow_factory, clock, HYPERTENSIVE, doctor)
    service = await make_service(
        uow_factory, clock, "chronic_follow_up", ServiceKind.FOLLOW_UP, centre_id=doctor.centre_id
    )
    await make_schedule(uow_factory, service, weekday=2, end=time(9), capacity=1)
    await booking.materialize_slots(uow_factory(), clock, SHANGHAI)
    await plan(uow_factory, clock)

    # The only seat of the first Wednesday is taken; the resident queues for it.
    days = await booking.available_days(uow_factory(), clock, OTHER, service.id, None, SHANGHAI)
    slot = (
        await booking.slots_on(
            uow_factory(), clock, OTHER, service.id, None, days[0].day, SHANGHAI
        )
    )[0]
    taken = await booking.book(uow_factory(), clock, OTHER, slot.id, None, SHANGHAI)
    entry = await booking.join_waitlist(uow_factory(), clock, HYPERTENSIVE, slot.id, None)
    follow = [r for r in await reminders(uow_factory) if r.payload["rule"] == "htn_follow_up"]
    assert [r.status for r in follow] == ["pending"]  # queueing isn't booking

    # The seat frees up, is offered, and accepting it books the follow-up: no more "please
    # book" reminder, and the plan shows the item as booked.
    await booking.cancel(uow_factory(), clock, OTHER, taken.id)
    await booking.accept_offer(uow_factory(), clock, HYPERTENSIVE, entry.id, SHANGHAI)
    follow = [r for r in await reminders(uow_factory) if r.payload["rule"] == "htn_follow_up"]
    assert [r.status for r in follow] == ["cancelled"]
    entries = await careplans.plan(uow_factory(), clock, HYPERTENSIVE, SHANGHAI)
    assert next(e for e in entries if e.rule_id == "htn_follow_up").booked


async def test_late_step_reminds_once_more_and_then_stops(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(
        uow_factory, clock, HYPERTENSIVE, birth_year=1970, conditions=(Condition.HYPERTENSION,)
    )
    for days in (0, 1, 14, 15, 30, 60):
        clock.set(at_local(TODAY + timedelta(days=days)))
        await plan(uow_factory, clock)
    follow = [r for r in await reminders(uow_factory) if r.payload["rule"] == "htn_follow_up"]
    assert [r.key.rsplit(":", 1)[1] for r in follow] == ["open", "late"]


# --- older people -------------------------------------------------------------------------------


async def test_a_66_year_old_gets_the_check_up_and_the_autumn_flu_reminders(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    clock.set(at_local(date(2027, 4, 10)))  # after last season's flu window closed
    await make_resident(uow_factory, clock, ELDER, birth_year=1961)  # 66 in 2027
    await plan(uow_factory, clock)
    rules = {r.payload["rule"] for r in await reminders(uow_factory)}
    assert "checkup_65" in rules
    assert "pneumo_60" in rules
    assert "flu" not in rules  # the flu window opens on 1 September

    clock.set(at_local(date(2027, 8, 31)))
    await plan(uow_factory, clock)
    assert "flu" not in {r.payload["rule"] for r in await reminders(uow_factory)}
    clock.set(at_local(date(2027, 9, 1)))
    await plan(uow_factory, clock)
    flu = [r for r in await reminders(uow_factory) if r.payload["rule"] == "flu"]
    assert len(flu) == 1
    assert flu[0].payload["due"] == "2027-10-31"

    # Done elsewhere: this season is complete; next autumn's comes next.
    await careplans.done_elsewhere(
        uow_factory(), clock, ELDER, SHANGHAI, "flu", None, date(2027, 10, 31)
    )
    entries = await careplans.plan(uow_factory(), clock, ELDER, SHANGHAI)
    assert all(e.due == date(2028, 10, 31) for e in entries if e.rule_id == "flu")
    clock.set(at_local(date(2027, 11, 20)))
    await plan(uow_factory, clock)
    assert len([r for r in await reminders(uow_factory) if r.payload["rule"] == "flu"]) == 1


async def test_a_50_year_old_without_conditions_gets_no_elderly_items(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, OTHER, birth_year=1976)
    entries = await careplans.plan(uow_factory(), clock, OTHER, SHANGHAI)
    assert {e.rule_id for e in entries} <= {"contract_renew"}


# --- snooze, done elsewhere, forged input -------------------------------------------------------


async def test_snooze_reminds_again_three_days_later_once_per_day(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(
        uow_factory, clock, HYPERTENSIVE, birth_year=1970, conditions=(Condition.HYPERTENSION,)
    )
    await plan(uow_factory, clock)
    at = await careplans.snooze(
        uow_factory(), clock, HYPERTENSIVE, SHANGHAI, "htn_follow_up", None, TODAY
    )
    assert at == T0 + careplans.SNOOZE
    await careplans.snooze(
        uow_factory(), clock, HYPERTENSIVE, SHANGHAI, "htn_follow_up", None, TODAY
    )
    follow = [r for r in await reminders(uow_factory) if r.payload["rule"] == "htn_follow_up"]
    assert len(follow) == 2

    # Done elsewhere: pending reminders (the snoozed one too) are withdrawn.
    await careplans.done_elsewhere(
        uow_factory(), clock, HYPERTENSIVE, SHANGHAI, "htn_follow_up", None, TODAY
    )
    follow = [r for r in await reminders(uow_factory) if r.payload["rule"] == "htn_follow_up"]
    assert [r.status for r in follow] == ["pending", "cancelled"] or all(
        r.status == "cancelled" for r in follow
    )
    # Pressing the stale button again changes nothing.
    with pytest.raises(DomainError) as caught:
        await careplans.done_elsewhere(
            uow_factory(), clock, HYPERTENSIVE, SHANGHAI, "htn_follow_up", None, TODAY
        )
    assert caught.value.code == "care_item_gone"


async def test_forged_buttons_are_refused(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, PARENT, birth_year=1994)
    member_id = await add_baby(uow_factory, clock, TODAY)
    await make_resident(uow_factory, clock, OTHER, birth_year=1970)
    # Someone else's child.
    with pytest.raises(NotAllowed):
        await careplans.done_elsewhere(
            uow_factory(), clock, OTHER, SHANGHAI, "nip_hepb", member_id, TODAY
        )
    # An unknown rule.
    with pytest.raises(DomainError) as caught:
        await careplans.snooze(uow_factory(), clock, PARENT, SHANGHAI, "nope", member_id, TODAY)
    assert caught.value.code == "care_item_gone"
