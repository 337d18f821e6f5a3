"""Care plans on a real database (SQLite and PostgreSQL), with a controllable clock: what a
doctor notices — a digest of only their own overdue residents, in their chat and language,
nudges, doses and prescriptions they record, and an attended check-up completing the item."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from jiayi.bot.app import build_bot, build_i18n
from jiayi.bot.sender import AiogramSender
from jiayi.content.render import Renderer
from jiayi.content.tips import Library
from jiayi.sandbox.botapi import BotAPIServer, ChatClient, TgUser
from jiayi.services import booking, care_notices, careplans, points
from jiayi.services.booking import ServiceKind
from jiayi.services.careplans import DigestFrequency, ItemState
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.delivery import OutboxDispatcher
from jiayi.services.errors import DomainError, NotAllowed
from jiayi.services.residents import Condition
from jiayi.services.settings import Settings
from tests.factories import make_resident
from tests.integration.booking_support import make_schedule, make_service
from tests.integration.careplans_support import (
    BABY,
    DOCTOR_USER,
    ELDER,
    HYPERTENSIVE,
    OTHER,
    OTHER_DOCTOR_USER,
    PARENT,
    SHANGHAI,
    TODAY,
    TOKEN,
    add_baby,
    at_local,
    bound_doctor,
    contracted,
    plan,
    reminders,
)

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
