"""Appointment reminders arrive when they are useful (#21, "Safety first"): quiet hours do
not hold them back, the time left is the real one, and buttons that would only be refused
are not shown. The real bot polling the Bot API test server, both languages."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services import booking
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.demo import seed_demo
from tests.e2e.conftest import RunningBot, make_chat
from tests.factories import make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
ZH = 5001
EN = 5002
EIGHT_THIRTY = time(8, 30)
# Made up for the test (the demo centre has no contact details: none are invented for it).
PHONE = "0000-12345"
ADDRESS = "幸福路1号"


async def _book_eight_thirty(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, user: int
) -> booking.AppointmentRecord:
    services = await booking.list_services(uow_factory(), user)
    [flu] = [s for s in services if s.code == "flu_vaccine"]
    days = await booking.available_days(uow_factory(), clock, user, flu.id, None, SHANGHAI)
    today = clock.now().astimezone(SHANGHAI).date()
    for day in (d.day for d in days if d.free and d.day >= today + timedelta(days=2)):
        for slot in await booking.slots_on(
            uow_factory(), clock, user, flu.id, None, day, SHANGHAI
        ):
            if slot.starts_at.astimezone(SHANGHAI).time() == EIGHT_THIRTY and slot.free:
                return await booking.book(uow_factory(), clock, user, slot.id, None, SHANGHAI)
    raise AssertionError("the demo has no free 08:30 flu slot")


async def test_two_hour_reminder_for_0830_arrives_in_quiet_hours_with_real_minutes(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    """Mutations tried: (1) notices.register without despite_quiet=True — nothing was sent at
    06:50 (held until 08:00), `sent == 2` failed; (2) minutes from the planned lead (120)
    instead of the send time — "100 minutes" failed; (3) can_change always True — the dead
    "Cancel appointment"/"Reschedule" buttons were back and the button assert failed;
    (4) the reminder payload without centre_phone — the phone asserts failed; (5) _card
    (bot/resident/booking.py) without phone — the card assert failed."""
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    await jiayi.jobs.materialize()
    async with uow_factory() as uow:
        centre = await uow.centres.by_code("demo")
        assert centre is not None
        await uow.centres.set_contact(centre.id, phone=PHONE, address=ADDRESS)
        await uow.commit()
    await make_resident(uow_factory, clock, ZH, name="张阿姨", locale="zh-CN", birth_year=1956)
    await make_resident(uow_factory, clock, EN, name="Ann", locale="en", birth_year=1960)
    zh = make_chat(botapi, ZH, language_code="zh-hans")
    en = make_chat(botapi, EN, first_name="Ann", language_code="en")
    zh.open()
    en.open()
    appointment = await _book_eight_thirty(uow_factory, clock, ZH)
    other = await _book_eight_thirty(uow_factory, clock, EN)
    assert other.starts_at == appointment.starts_at
    # The appointment card (typed menu label → My appointments → the appointment) too.
    await en.send("My appointments")
    listing = await en.wait_for("Your upcoming appointments:")
    await en.press(next(t for t in listing.button_texts() if "Flu" in t), message=listing)
    card = await en.wait_for("Check-in code")
    assert f"Centre phone: {PHONE}" in card.text
    starts = appointment.starts_at

    # The day before at 08:30 (outside quiet hours): the day-before reminder, all buttons.
    clock.set(starts - timedelta(hours=24))
    assert (await jiayi.jobs.dispatch()).sent == 2
    day_before = await en.wait_for("Reminder: Flu vaccination tomorrow")
    assert day_before.button_texts() == ["I'll be there", "Reschedule", "Cancel appointment"]
    await zh.wait_for("明天的流感疫苗接种")

    # The day itself, 06:50: quiet hours (21:00-08:00) still on, the dispatcher ran 20
    # minutes after the planned 06:30. The reminder goes now and says the real time left.
    clock.set(starts - timedelta(minutes=100))
    assert clock.now().astimezone(SHANGHAI).time() == time(6, 50)
    assert (await jiayi.jobs.dispatch()).sent == 2
    reminder = await en.wait_for("Reminder: Flu vaccination in 100 minutes")
    # Inside the 2-hour no-change window: cancel/reschedule would be refused, so not shown.
    assert reminder.button_texts() == ["I'll be there"]
    assert f"call the centre ({PHONE})" in reminder.text
    assert f"Centre phone: {PHONE}" in day_before.text
    assert ADDRESS in day_before.text
    zh_reminder = await zh.wait_for("流感疫苗接种还有100分钟开始")
    assert len(zh_reminder.button_texts()) == 1
