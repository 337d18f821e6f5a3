"""Care plans on a real database (SQLite and PostgreSQL), with a controllable clock: what a
resident, a parent and a doctor notice — reminders at the right time, once per step, items
that move on when done, and a digest of only the doctor's own residents."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from jiayi.bot.app import build_bot, build_i18n
from jiayi.bot.sender import AiogramSender
from jiayi.content.careplans import default_rules
from jiayi.content.render import Renderer
from jiayi.content.tips import Library
from jiayi.sandbox.botapi import BotAPIServer, ChatClient, TgUser
from jiayi.services import (
    booking,
    care_notices,
    careplans,
    family,
    points,
    residents,
    vaccine_record,
)
from jiayi.services.booking import ServiceKind
from jiayi.services.careplans import DigestFrequency, ItemState, VaccineAnswer
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.delivery import OutboxDispatcher
from jiayi.services.errors import DomainError, NotAllowed
from jiayi.services.family import NewMember, Relation
from jiayi.services.residents import Condition, Sex
from jiayi.services.settings import Settings
from jiayi.storage import models as m
from jiayi.storage.records import DoctorRecord
from tests.conftest import T0
from tests.factories import make_doctor, make_resident
from tests.integration.booking_support import make_schedule, make_service

SHANGHAI = ZoneInfo("Asia/Shanghai")
TOKEN = "123456789:TEST-token-for-careplans"
TODAY = date(2026, 11, 23)  # a Monday
PARENT = 4001
HYPERTENSIVE = 4002
ELDER = 4003
OTHER = 4004
DOCTOR_USER = 5001
OTHER_DOCTOR_USER = 5002
BABY = "小宝"


def at_local(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI).astimezone(UTC)


async def reminders(uow_factory: UnitOfWorkFactory, kind: str = "care_reminder") -> list:
    async with uow_factory() as uow:
        rows = (
            await uow.session.scalars(
                select(m.OutboxMessage)
                .where(m.OutboxMessage.kind == kind)
                .order_by(m.OutboxMessage.id)
            )
        ).all()
        # A household card (several items due the same day, one row) counts as its items,
        # each with its own reminder key: these tests are about which items are reminded.
        return [
            SimpleNamespace(
                key=key,
                status="cancelled" if payload.get("withdrawn") else r.status,
                resident_id=r.resident_id,
                doctor_id=r.doctor_id,
                payload=payload,
            )
            for r in rows
            for key, payload in _items(r.dedupe_key, json.loads(r.payload))
        ]


def _items(key: str, payload: dict) -> list[tuple[str, dict]]:
    if not all("key" in item for item in payload.get("items", [{}])):
        return [(key, payload)]
    return [(item["key"], item) for item in payload["items"]]


async def plan(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> int:
    return await careplans.plan_reminders(uow_factory, clock, SHANGHAI)


async def bound_doctor(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, user_id: int, name: str
) -> DoctorRecord:
    doctor = await make_doctor(uow_factory, clock, name=name)
    async with uow_factory() as uow:
        await uow.begin_write()
        await uow.doctors.bind_telegram_user(doctor.id, user_id)
        await uow.commit()
    return doctor


async def contracted(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, user_id: int, doctor: DoctorRecord
) -> None:
    await residents.choose_doctor(uow_factory(), clock, user_id, doctor.id, SHANGHAI)


async def add_baby(uow_factory: UnitOfWorkFactory, clock: ManualClock, born: date) -> int:
    member = await family.add_member(
        uow_factory(),
        clock,
        PARENT,
        NewMember(Relation.CHILD, BABY, born, Sex.MALE),
    )
    return member.id


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


# --- doctors ------------------------------------------------------------------------------------


async def test_digest_lists_only_the_doctors_own_overdue_residents(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    wednesday = date(2027, 4, 7)  # after the flu season: nothing is overdue on day one
    clock.set(at_local(wednesday))
    mine = await bound_doctor(uow_factory, clock, DOCTOR_USER, "王医生")
    theirs = await bound_doctor(uow_factory, clock, OTHER_DOCTOR_USER, "李医生")
    await make_resident(
        uow_factory, clock, HYPERTENSIVE, birth_year=1970, conditions=(Condition.HYPERTENSION,)
    )
    await make_resident(
        uow_factory, clock, OTHER, name="赵四", birth_year=1960, conditions=(Condition.DIABETES,)
    )
    await make_resident(uow_factory, clock, PARENT, name="年轻人", birth_year=1994)
    await contracted(uow_factory, clock, HYPERTENSIVE, mine)
    await contracted(uow_factory, clock, PARENT, mine)
    await contracted(uow_factory, clock, OTHER, theirs)
    await careplans.set_digest_frequency(
        uow_factory(), clock, DOCTOR_USER, DigestFrequency.DAILY, "en"
    )

    # Nothing is overdue yet on day one: no digest at all.
    assert await careplans.plan_digests(uow_factory, clock, SHANGHAI) == 0
    clock.set(at_local(wednesday + timedelta(days=2)))
    assert await careplans.plan_digests(uow_factory, clock, SHANGHAI) == 1  # daily: only mine
    assert await careplans.plan_digests(uow_factory, clock, SHANGHAI) == 0  # once a day
    digests = await reminders(uow_factory, "care_digest")
    assert len(digests) == 1
    assert digests[0].doctor_id == mine.id
    assert digests[0].resident_id is None
    listed = digests[0].payload["residents"]
    assert [r["name"] for r in listed] == ["张三"]
    assert {i["name_en"] for i in listed[0]["items"]} >= {"Hypertension follow-up"}

    async with uow_factory() as uow:
        overdue = await careplans.overdue_resident_ids(uow, mine.id, wednesday + timedelta(days=2))
    assert len(overdue) == 1

    # The other doctor is weekly (the default): their digest comes on Monday.
    clock.set(at_local(date(2027, 4, 12)))
    await careplans.plan_digests(uow_factory, clock, SHANGHAI)
    digests = await reminders(uow_factory, "care_digest")
    theirs_digest = [d for d in digests if d.doctor_id == theirs.id]
    assert len(theirs_digest) == 1
    assert [r["name"] for r in theirs_digest[0].payload["residents"]] == ["赵四"]


async def test_nudge_only_for_own_residents_once_a_day(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    mine = await bound_doctor(uow_factory, clock, DOCTOR_USER, "王医生")
    await bound_doctor(uow_factory, clock, OTHER_DOCTOR_USER, "李医生")
    resident = await make_resident(
        uow_factory, clock, HYPERTENSIVE, birth_year=1970, conditions=(Condition.HYPERTENSION,)
    )
    await contracted(uow_factory, clock, HYPERTENSIVE, mine)
    clock.set(at_local(TODAY + timedelta(days=3)))
    with pytest.raises(NotAllowed):
        await careplans.nudge(uow_factory(), clock, OTHER_DOCTOR_USER, resident.id, SHANGHAI)
    assert await careplans.nudge(uow_factory(), clock, DOCTOR_USER, resident.id, SHANGHAI)
    assert not await careplans.nudge(uow_factory(), clock, DOCTOR_USER, resident.id, SHANGHAI)
    nudges = await reminders(uow_factory, "care_nudge")
    assert len(nudges) == 1
    assert nudges[0].resident_id == resident.id
    assert nudges[0].payload["doctor"] == "王医生"


async def test_doctor_records_a_dose_and_a_prescription_for_own_residents_only(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    mine = await bound_doctor(uow_factory, clock, DOCTOR_USER, "王医生")
    await bound_doctor(uow_factory, clock, OTHER_DOCTOR_USER, "李医生")
    parent = await make_resident(uow_factory, clock, PARENT, birth_year=1994)
    member_id = await add_baby(uow_factory, clock, TODAY)
    await contracted(uow_factory, clock, PARENT, mine)

    with pytest.raises(NotAllowed):
        await careplans.doctor_view(
            uow_factory(), clock, OTHER_DOCTOR_USER, parent.id, member_id, SHANGHAI
        )
    with pytest.raises(NotAllowed):
        await careplans.record_done(
            uow_factory(), clock, OTHER_DOCTOR_USER, parent.id, member_id, "nip_bcg", SHANGHAI
        )
    view = await careplans.doctor_view(
        uow_factory(), clock, DOCTOR_USER, parent.id, member_id, SHANGHAI
    )
    assert view.person_name == BABY
    assert "nip_bcg" in {e.rule_id for e in view.entries}

    await plan(uow_factory, clock)
    await careplans.record_done(
        uow_factory(), clock, DOCTOR_USER, parent.id, member_id, "nip_bcg", SHANGHAI
    )
    view = await careplans.doctor_view(
        uow_factory(), clock, DOCTOR_USER, parent.id, member_id, SHANGHAI
    )
    assert "nip_bcg" not in {e.rule_id for e in view.entries}
    bcg = [r for r in await reminders(uow_factory) if r.payload["rule"] == "nip_bcg"]
    assert [r.status for r in bcg] == ["cancelled"]

    # A member's refill is the parent's to read; the prescription runs out in 8 weeks.
    runs_out = await careplans.record_prescription(
        uow_factory(), clock, DOCTOR_USER, parent.id, None, 8, SHANGHAI
    )
    assert runs_out == TODAY + timedelta(weeks=8)
    with pytest.raises(DomainError):
        await careplans.record_prescription(
            uow_factory(), clock, DOCTOR_USER, parent.id, None, 30, SHANGHAI
        )
    clock.set(at_local(runs_out - timedelta(days=7)))
    await plan(uow_factory, clock)
    refill = [r for r in await reminders(uow_factory) if r.payload["rule"] == "rx_refill"]
    assert len(refill) == 1
    assert refill[0].payload["due"] == runs_out.isoformat()


# --- delivery to doctors ------------------------------------------------------------------------


async def test_digest_reaches_the_doctors_chat_in_their_language_and_skips_unbound_doctors(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    botapi: BotAPIServer,
    test_library: Library,
) -> None:
    wednesday = date(2027, 4, 7)
    clock.set(at_local(wednesday))
    mine = await bound_doctor(uow_factory, clock, DOCTOR_USER, "王医生")
    unbound = await bound_doctor(uow_factory, clock, OTHER_DOCTOR_USER, "李医生")
    await make_resident(
        uow_factory, clock, HYPERTENSIVE, birth_year=1970, conditions=(Condition.HYPERTENSION,)
    )
    await make_resident(
        uow_factory, clock, OTHER, name="赵四", birth_year=1970, conditions=(Condition.DIABETES,)
    )
    await contracted(uow_factory, clock, HYPERTENSIVE, mine)
    await contracted(uow_factory, clock, OTHER, unbound)
    for user in (DOCTOR_USER, OTHER_DOCTOR_USER):
        await careplans.set_digest_frequency(
            uow_factory(), clock, user, DigestFrequency.DAILY, "en"
        )
    clock.set(at_local(wednesday + timedelta(days=20)))
    assert await careplans.plan_digests(uow_factory, clock, SHANGHAI) == 2
    async with uow_factory() as uow:
        await uow.begin_write()
        await uow.doctors.bind_telegram_user(unbound.id, None)
        await uow.commit()

    chat = ChatClient(botapi, TgUser(id=DOCTOR_USER, first_name="Wang"))
    chat.open()
    bot = build_bot(
        Settings(
            bot_token=TOKEN,  # type: ignore[arg-type]
            telegram_api_url=botapi.base_url,  # type: ignore[arg-type]
            _env_file=None,  # type: ignore[call-arg]
        )
    )
    try:
        dispatcher = OutboxDispatcher(
            uow_factory=uow_factory,
            sender=AiogramSender(bot, build_i18n("zh-CN")),
            library=test_library,
            clock=clock,
            zone=SHANGHAI,
        )
        care_notices.register(dispatcher, Renderer())
        report = await dispatcher.run_once()
    finally:
        await bot.session.close()
    assert (report.sent, report.skipped) == (1, 1)
    digest = await chat.wait_for("Overdue care items")
    assert "张三" in digest.text
    assert "赵四" not in digest.text
    assert digest.button_texts() == ["Remind 张三"]
    statuses = {r.doctor_id: r.status for r in await reminders(uow_factory, "care_digest")}
    assert statuses == {mine.id: "sent", unbound.id: "skipped"}


async def test_an_attended_elderly_check_up_completes_the_item_and_earns_the_assessment_once(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    doctor = await bound_doctor(uow_factory, clock, DOCTOR_USER, "王医生")
    await make_resident(uow_factory, clock, ELDER, birth_year=1959)  # 67
    await contracted(uow_factory, clock, ELDER, doctor)
    service = await make_service(
        uow_factory, clock, "health_checkup", ServiceKind.CHECKUP, centre_id=doctor.centre_id
    )
    await make_schedule(uow_factory, service, weekday=2)
    await booking.materialize_slots(uow_factory(), clock, SHANGHAI)
    days = await booking.available_days(uow_factory(), clock, ELDER, service.id, None, SHANGHAI)
    slots = await booking.slots_on(
        uow_factory(), clock, ELDER, service.id, None, days[0].day, SHANGHAI
    )
    appointment = await booking.book(uow_factory(), clock, ELDER, slots[0].id, None, SHANGHAI)

    clock.set(appointment.starts_at)
    await booking.mark_attendance(uow_factory(), clock, DOCTOR_USER, appointment.id, True)
    await booking.mark_attendance(uow_factory(), clock, DOCTOR_USER, appointment.id, True)

    entries = await careplans.plan(uow_factory(), clock, ELDER, SHANGHAI)
    check_up = next(e for e in entries if e.rule_id == "checkup_65")
    assert check_up.state is ItemState.UPCOMING
    summary = await points.my_points(uow_factory(), clock, ELDER)
    reasons = sorted(e.reason for e in summary.history)
    assert reasons == sorted([points.Rule.CHECKUP.value, points.Rule.ANNUAL_ASSESSMENT.value])
    assert summary.balance == 50 + 60
