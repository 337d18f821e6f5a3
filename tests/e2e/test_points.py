"""Health points end to end, through the Bot API test server: a resident attends a check-up,
earns points, redeems a TCM session, and the doctor redeems the voucher once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from jiayi.bot.callbacks import LectureCD, RewardCD, VoucherAction, VoucherCD
from jiayi.content.tips import Audience
from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services import booking, doctors, points, residents
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.demo import seed_demo
from jiayi.services.pushes import tip_payload
from tests.e2e.conftest import RunningBot, make_chat, open_resident_card
from tests.factories import make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
RESIDENT = 4101
DOCTOR = 4199
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def make_doctor_and_resident(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> int:
    """The demo centre with a doctor on Telegram, and a resident signed with them."""
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    link = await doctors.create_invite(
        uow_factory(),
        clock,
        name="王医生 Dr Wang",
        centre_code="demo",
        ttl=timedelta(hours=1),
        rebind="demowang",  # the demo's 王医生, with their residents
    )
    doctor = await doctors.accept_invite(
        uow_factory(), clock, token=link.token, telegram_user_id=DOCTOR
    )
    resident = await make_resident(
        uow_factory, clock, RESIDENT, name="Chen", locale="en", birth_year=1975
    )
    await residents.choose_doctor(uow_factory(), clock, RESIDENT, doctor.id, SHANGHAI)
    return resident.id


async def test_checkup_earns_points_redeemed_for_tcm_and_the_voucher_works_once(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    await make_doctor_and_resident(uow_factory, clock)
    await jiayi.jobs.materialize()
    services = await booking.list_services(uow_factory(), RESIDENT)
    checkup = next(s for s in services if s.code == "health_checkup")
    day = next(
        d.day
        for d in await booking.available_days(
            uow_factory(), clock, RESIDENT, checkup.id, None, SHANGHAI
        )
        if d.free
    )
    slot = next(
        s
        for s in await booking.slots_on(
            uow_factory(), clock, RESIDENT, checkup.id, None, day, SHANGHAI
        )
        if s.free
    )
    await booking.book(uow_factory(), clock, RESIDENT, slot.id, None, SHANGHAI)
    clock.set(datetime.combine(day, datetime.min.time(), SHANGHAI).astimezone(UTC))
    clock.advance(timedelta(hours=11))  # 11:00 in Shanghai, after the appointment

    # The doctor marks the resident attended from today's list.
    doctor = make_chat(botapi, DOCTOR, language_code="en")
    await doctor.send("/today")
    listed = await doctor.wait_for("Appointments")
    attended = next(t for t in listed.button_texts() if t.startswith("✓") and "Chen" in t)
    await doctor.press(attended, message=listed)
    await doctor.wait_for(
        predicate=lambda m: m.edited and "Chen" in m.text and "✓" not in str(m.buttons)
    )

    # The resident sees the points, and redeems a TCM session from the menu.
    resident = make_chat(botapi, RESIDENT, language_code="en")
    await resident.send("/points")
    home = await resident.wait_for("My health points: 50")
    assert "Attended a health check-up" in home.text
    await resident.press("Redeem points", message=home)
    rewards = await resident.wait_for("Rewards at your centre")
    # Only what 50 points can buy is offered as a button.
    assert rewards.button_texts() == [
        "TCM moxibustion session · 40",
        "TCM cupping session · 40",
        "Back",
    ]
    await resident.press("TCM moxibustion session · 40", message=rewards)
    await resident.wait_for("Redeem TCM moxibustion session for 40 points?")
    await resident.press("Yes, redeem")
    photo = await resident.wait_for(predicate=lambda m: m.kind == "photo")
    [voucher] = await points.my_vouchers(uow_factory(), RESIDENT)
    assert f"Code: {voucher.code}" in photo.text
    assert "Voucher: TCM moxibustion session" in photo.text
    assert photo.file is not None
    assert photo.file.data is not None
    assert photo.file.data.startswith(PNG_SIGNATURE)
    assert photo.button_texts() == ["Cancel voucher", "My points"]

    # The doctor redeems the code; a second try is refused, typed or through the prompt.
    await doctor.send(f"/redeem {voucher.code.lower()}")
    await doctor.wait_for(f"Voucher {voucher.code} redeemed ✓")
    used = await doctor.wait_for("TCM moxibustion session for Chen")
    assert used
    await doctor.send(f"/redeem {voucher.code}")
    refused = await doctor.wait_for("This voucher was already redeemed on")
    assert "It can't be used again." in refused.text
    assert "already redeemed on Tue 24 Nov, " in refused.text  # in words, not 2026-11-24 …
    await doctor.send("/redeem")
    await doctor.wait_for("Send the voucher code")
    await doctor.send(voucher.code)
    await doctor.wait_for(
        predicate=lambda m: m.message_id > refused.message_id and "already redeemed" in m.text
    )

    # The resident can't cancel a used voucher for a refund: they are shown it's used.
    await resident.press("Cancel voucher", message=photo)
    await resident.wait_for("Used ✓")
    await resident.send("/points")
    await resident.wait_for("My health points: 10")

    # A resident typing /redeem is told it's for doctors.
    await resident.send(f"/redeem {voucher.code}")
    await resident.wait_for("This command is for family doctors.")

    # A month before the end of next year, the 10 points left are about to expire.
    clock.set(datetime(2027, 12, 1, 2, tzinfo=UTC))
    await jiayi.jobs.points()
    await jiayi.jobs.dispatch()
    reminder = await resident.wait_for("10 health points expire on Fri 31 Dec")
    assert "2027" not in reminder.text  # sent in 2027: the date needs no year
    await resident.press("My points", message=reminder)
    await resident.wait_for(
        predicate=lambda m: "Expiring soon" in m.text and "10 points on Fri 31 Dec\n" in m.text
    )


async def test_lecture_attendance_and_a_tip_quiz_earn_points(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    """Mutation tried: `resident_card` (bot/doctor/console_keyboards.py) without the lecture
    button: the doctor cannot press it on Chen's card (the forged press used to pass)."""
    resident_id = await make_doctor_and_resident(uow_factory, clock)

    doctor = make_chat(botapi, DOCTOR, language_code="en")
    # The doctor's own way: Chen's card offers the lecture button.
    card = await open_resident_card(doctor, "Chen")
    await doctor.press("Attended a health lecture", message=card)
    await doctor.wait_for("Record that Chen attended a health lecture today? (+15 points)")
    await doctor.press("Yes, record it")
    await doctor.wait_for("Recorded: Chen attended a health lecture, +15 points.")
    # Someone else's resident (forged button data, as only an attacker could send): refused.
    stranger = await make_resident(uow_factory, clock, 4102, name="Li", locale="en")
    await doctor.press_data(LectureCD(resident_id=stranger.id).pack())
    await doctor.wait_for("That resident isn't contracted to you.")

    # A tip with a quiz arrives with a quiz button; the right answer earns once.
    library = jiayi.jobs.library
    async with uow_factory() as uow:
        await uow.begin_write()
        await uow.outbox.enqueue(
            resident_id=resident_id,
            kind="tip",
            dedupe_key="test:quiz",
            payload=tip_payload(library.get("evergreen_salt"), Audience.EVERYONE, None),
            not_before=clock.now(),
            now=clock.now(),
            tip_id="evergreen_salt",
        )
        await uow.commit()
    resident = make_chat(botapi, RESIDENT, language_code="en")
    resident.open()  # they started the bot (signed up in chat)
    await jiayi.jobs.dispatch()
    tip = await resident.wait_for("Less salt")
    await resident.press("Quiz: earn health points", message=tip)
    question = await resident.wait_for("How much salt a day")
    await resident.press("9 g", message=question)
    await resident.wait_for("Not quite.")
    await resident.press("5 g", message=question)
    await resident.wait_for("Correct! +2 health points.")
    await resident.press("Quiz: earn health points", message=tip)
    again = await resident.wait_for(
        predicate=lambda m: m.message_id > question.message_id and "How much salt" in m.text
    )
    await resident.press("5 g", message=again)
    await resident.wait_for("already earned points for this quiz")

    # Stale or forged buttons get words, not silence.
    await resident.press_data(VoucherCD(action=VoucherAction.OPEN, voucher_id=999).pack())
    await resident.wait_for("That voucher no longer exists.")
    await resident.press_data(RewardCD(reward_id=999).pack())
    await resident.wait_for("That reward is no longer offered.")

    await resident.send("More")
    menu = await resident.wait_for(predicate=lambda m: "My points" in m.button_texts())
    await resident.press("My points", message=menu)
    home = await resident.wait_for("My health points: 17")
    assert "Attended a health lecture" in home.text
    assert "Read a health tip and answered its quiz" in home.text
