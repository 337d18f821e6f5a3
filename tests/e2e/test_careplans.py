"""Care plans end to end: the real bot, the outbox and the Bot API test server. A resident is
reminded, books in one tap, snoozes and reports done elsewhere; a doctor chooses a daily
digest, nudges a resident and records a follow-up; forged buttons get a short refusal."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from jiayi.bot.callbacks import CareAction, CareItemCD, CareRecordCD
from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services import booking, careplans, doctors, residents
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.demo import seed_demo
from jiayi.services.residents import Condition
from tests.e2e.conftest import RunningBot, make_chat, open_resident_card
from tests.factories import make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
RESIDENT = 6001
STRANGER = 6002
DOCTOR = 6999
DOCTOR_NAME = "王医生 Dr Wang"


async def _setup(clock: ManualClock, uow_factory: UnitOfWorkFactory, jiayi: RunningBot) -> int:
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    await jiayi.jobs.materialize()
    link = await doctors.create_invite(
        uow_factory(),
        clock,
        name=DOCTOR_NAME,
        centre_code="demo",
        ttl=timedelta(hours=1),
        rebind="demowang",  # the demo's 王医生, with their residents
    )
    await doctors.accept_invite(uow_factory(), clock, token=link.token, telegram_user_id=DOCTOR)
    resident = await make_resident(
        uow_factory,
        clock,
        RESIDENT,
        name="Chen",
        locale="en",
        birth_year=1960,
        conditions=(Condition.HYPERTENSION,),
    )
    await residents.choose_doctor(uow_factory(), clock, RESIDENT, link.doctor.id, SHANGHAI)
    return resident.id


async def test_resident_is_reminded_and_books_in_one_tap(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    await _setup(clock, uow_factory, jiayi)
    chat = make_chat(botapi, RESIDENT, language_code="en")
    chat.open()

    await jiayi.jobs.plan_care()
    await jiayi.jobs.dispatch()
    # Everything due today comes in one card, one line and one button per item; each button
    # opens that item's own reminder.
    card = await chat.wait_for("Hypertension follow-up")
    assert {"Hypertension follow-up", "Pneumococcal vaccine", "Autumn flu vaccine"} <= set(
        card.button_texts()
    )
    assert "Pneumococcal vaccine" in card.text
    assert "Autumn flu vaccine" in card.text
    assert [m.message_id for m in chat.messages() if "Autumn flu vaccine" in m.text] == [
        card.message_id
    ]
    await chat.press("Hypertension follow-up", message=card)
    follow_up = await chat.wait_for(
        predicate=lambda m: m.message_id != card.message_id and "Hypertension" in m.text
    )
    assert follow_up.button_texts() == [
        "Book now",
        "Remind me later",
        "Done elsewhere",
        "Record blood pressure or glucose",  # home readings before a chronic follow-up
    ]
    await chat.press("Pneumococcal vaccine", message=card)
    checkup = await chat.wait_for("Pneumococcal vaccine")
    await chat.press("Autumn flu vaccine", message=card)
    flu = await chat.wait_for("Overdue: Autumn flu vaccine")

    # "Book now" opens the booking flow with the service and the person already chosen.
    await chat.press("Book now", message=follow_up)
    days = await chat.wait_for("Choose a day:")
    await chat.press(next(t for t in days.button_texts() if "free" in t))
    times = await chat.wait_for("choose a time")
    await chat.press(next(t for t in times.button_texts() if "free" in t))
    await chat.wait_for("Please check and confirm")
    await chat.press("Confirm booking")
    await chat.wait_for("Booked ✓")
    # A chronic follow-up booked: reminders to measure at home are offered (off by default).
    offer = await chat.wait_for("reminders to measure your blood pressure or glucose")
    assert offer.button_texts() == ["Yes, remind me"]

    await chat.press("Remind me later", message=checkup)
    await chat.wait_for("OK, I'll remind you again on")

    await chat.send("/plan")
    plan = await chat.wait_for("Care plan")
    assert "Hypertension follow-up" in plan.text
    assert "booked" in plan.text

    # This season's flu vaccine was done elsewhere: recorded; next autumn's is the one listed.
    await chat.press("Done elsewhere", message=flu)
    await chat.wait_for("Noted as done")
    await chat.send("/plan")
    plan = await chat.wait_for(predicate=lambda m: "Care plan" in m.text and m is not plan)
    assert "Autumn flu vaccine\nYou · due Sun 31 Oct 2027" in plan.text

    # Stale and forged buttons get a short answer, not silence.
    # (pressed again, e.g. from another device that still shows the buttons)
    stale = CareItemCD(action=CareAction.DONE, rule="flu", member_id=0, due=20261031)
    await chat.press_data(stale.pack())
    await chat.wait_for("already recorded or has moved on")
    forged = CareItemCD(action=CareAction.DONE, rule="nip_hepb", member_id=1, due=20261123)
    await chat.press_data(forged.pack())
    await chat.wait_for("Sorry, you can't do that.")

    # Once the visit is attended, the next follow-up is three months on.
    [appointment] = await booking.my_appointments(uow_factory(), clock, RESIDENT)
    clock.set(appointment.starts_at)
    await booking.mark_attendance(uow_factory(), clock, DOCTOR, appointment.id, True)
    entries = await careplans.plan(uow_factory(), clock, RESIDENT, SHANGHAI)
    visit_day = appointment.starts_at.astimezone(SHANGHAI).date()
    follow = next(e for e in entries if e.rule_id == "htn_follow_up")
    assert follow.due == careplans.add_months(visit_day, 3)


async def test_doctor_digest_nudge_and_record(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    """Mutations tried: `resident_card` (bot/doctor/console_keyboards.py) without the record
    button (the doctor can't press it on Chen's card); the contract check in
    `careplans._own_household` removed (another doctor of the centre opens Chen's record; the
    old test used a resident, refused as "not a doctor" before that check is reached)."""
    resident_id = await _setup(clock, uow_factory, jiayi)
    doctor = make_chat(botapi, DOCTOR, language_code="en")
    chat = make_chat(botapi, RESIDENT, language_code="en")
    chat.open()

    await doctor.send("/digest")
    await doctor.wait_for("How often would you like the digest")
    await doctor.press("Daily")
    await doctor.wait_for("You'll get the digest every morning.")

    # Three weeks on, the follow-up is overdue: one digest, only the doctor's residents.
    clock.advance(timedelta(days=21))
    await jiayi.jobs.plan_care()
    await jiayi.jobs.dispatch()
    digest = await doctor.wait_for("Overdue care items")
    assert "Chen" in digest.text
    assert "Hypertension follow-up" in digest.text
    assert "Xiaobao" not in digest.text  # Dr Li's resident's child
    await doctor.press("Remind Chen", message=digest)
    await doctor.wait_for("Reminder queued.")
    await jiayi.jobs.dispatch()
    nudge = await chat.wait_for(f"A reminder from {DOCTOR_NAME}")
    assert nudge.button_texts() == ["My care plan"]

    # The resident card's button: the doctor records the follow-up done today.
    card = await open_resident_card(doctor, "Chen")
    await doctor.press("Record a follow-up, dose or prescription", message=card)
    record = await doctor.wait_for("Care record · Chen")
    # A follow-up is recorded with its finding: not controlled brings the next one to 2 weeks
    # (规范 第三版 分类干预); controlled, to 3 months.
    assert "✗ Hypertension follow-up: not controlled" in record.button_texts()
    await doctor.press("✗ Hypertension follow-up: not controlled", message=record)
    await doctor.wait_for("not controlled: the next follow-up is due in 2 weeks")
    entries = await careplans.plan(uow_factory(), clock, RESIDENT, SHANGHAI)
    today = clock.now().astimezone(SHANGHAI).date()
    follow_up = next(e for e in entries if e.rule_id == "htn_follow_up")
    assert follow_up.due == today + timedelta(days=14)
    clock.advance(timedelta(days=14))
    await doctor.press_data(CareRecordCD(resident_id=resident_id).pack())
    record = await doctor.wait_for("Care record · Chen")
    await doctor.press("✓ Hypertension follow-up: controlled", message=record)
    await doctor.wait_for("Recorded: Hypertension follow-up, done today.")
    entries = await careplans.plan(uow_factory(), clock, RESIDENT, SHANGHAI)
    today = clock.now().astimezone(SHANGHAI).date()
    assert next(e for e in entries if e.rule_id == "htn_follow_up").due == careplans.add_months(
        today, 3
    )

    # Another doctor of the same centre, who isn't Chen's, can't open the record even with
    # forged button data (their own card for Chen offers no record button).
    colleague = await doctors.create_invite(
        uow_factory(), clock, name="李医生 Dr Li", centre_code="demo", ttl=timedelta(hours=1)
    )
    await doctors.accept_invite(
        uow_factory(), clock, token=colleague.token, telegram_user_id=STRANGER
    )
    stranger = make_chat(botapi, STRANGER, language_code="en")
    await stranger.send("/residents")
    theirs = await stranger.wait_for("My residents")
    assert "Chen" not in theirs.button_texts()  # (the demo's "Chen Ming" is theirs)
    await stranger.press_data(CareRecordCD(resident_id=resident_id).pack(), message=theirs)
    await stranger.wait_for("That resident isn't contracted to you.")
