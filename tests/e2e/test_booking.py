"""Booking end to end, by tapping, as residents and doctors would in Telegram."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from jiayi.content.dates import day_words, time_words
from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services import booking, doctors, family
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.demo import seed_demo
from jiayi.services.family import NewMember, Relation
from jiayi.services.residents import Sex
from tests.e2e.conftest import RunningBot, make_chat
from tests.factories import make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
PARENT = 4001
DOCTOR = 4999


async def test_parent_books_a_childs_vaccination_and_is_reminded(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    await jiayi.jobs.materialize()
    await make_resident(uow_factory, clock, PARENT, name="Chen", locale="en", birth_year=1990)
    await family.add_member(
        uow_factory(),
        clock,
        PARENT,
        NewMember(Relation.CHILD, "Xiaobao", date(2024, 3, 15), Sex.MALE),
    )
    chat = make_chat(botapi, PARENT, language_code="en")

    await chat.send("/book")
    await chat.wait_for("What would you like to book?")
    await chat.press("Childhood vaccinations")
    await chat.wait_for("Who is the appointment for?")
    await chat.press("Xiaobao")
    days = await chat.wait_for("Choose a day:")
    # A day at least two days ahead, so that its 24-hour reminder is still to come.
    later_day = [t for t in days.button_texts() if "free" in t][2]
    await chat.press(later_day)
    times = await chat.wait_for("choose a time")
    first_time = next(t for t in times.button_texts() if "free" in t)
    await chat.press(first_time)
    await chat.wait_for("Please check and confirm")
    await chat.press("Confirm booking")
    booked = await chat.wait_for("Booked ✓")
    assert "Childhood vaccinations for Xiaobao" in booked.text
    [appointment] = await booking.my_appointments(uow_factory(), clock, PARENT)
    assert appointment.check_in_code in booked.text

    await chat.press("Add to calendar", message=booked)
    ics = await chat.wait_for(predicate=lambda m: m.kind == "document")
    event = next(iter(Calendar.from_ical(ics.file_bytes).walk("VEVENT")))
    assert event.decoded("dtstart") == appointment.starts_at

    # The day before, the 24-hour reminder arrives through the outbox, with its buttons.
    clock.set(appointment.starts_at - timedelta(hours=24))
    await jiayi.jobs.dispatch()
    reminder = await chat.wait_for("Reminder: Childhood vaccinations tomorrow")
    assert reminder.button_texts() == ["I'll be there", "Reschedule", "Cancel appointment"]
    await chat.press("Cancel appointment", message=reminder)
    await chat.wait_for("Cancel this appointment?")
    await chat.press("Yes, cancel it")
    await chat.wait_for("The appointment is cancelled.")
    assert await booking.my_appointments(uow_factory(), clock, PARENT) == []
    # Its 2-hour reminder was withdrawn: nothing more arrives.
    clock.set(appointment.starts_at - timedelta(hours=2))
    report = await jiayi.jobs.dispatch()
    assert report.sent == 0


async def test_doctor_day_list_and_check_in_by_code(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    """Mutation tried: `cmd_day` (bot/doctor/appointments.py) listing tomorrow for /today:
    the header names the wrong day and Chen's row is missing (the old `today <= day` passed)."""
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    await jiayi.jobs.materialize()
    link = await doctors.create_invite(
        uow_factory(),
        clock,
        name="王医生 Dr Wang",
        centre_code="demo",
        ttl=timedelta(hours=1),
        rebind="demowang",  # the demo's 王医生, with their residents
    )
    await doctors.accept_invite(uow_factory(), clock, token=link.token, telegram_user_id=DOCTOR)
    await make_resident(uow_factory, clock, PARENT, name="Chen", locale="en", birth_year=1960)
    services = await booking.list_services(uow_factory(), PARENT)
    checkup = next(s for s in services if s.code == "health_checkup")
    day = next(
        d.day
        for d in await booking.available_days(
            uow_factory(), clock, PARENT, checkup.id, None, SHANGHAI
        )
        if d.free
    )
    slot = next(
        s
        for s in await booking.slots_on(
            uow_factory(), clock, PARENT, checkup.id, None, day, SHANGHAI
        )
        if s.free
    )
    appointment = await booking.book(uow_factory(), clock, PARENT, slot.id, None, SHANGHAI)
    clock.set(
        datetime.combine(day, datetime.min.time(), SHANGHAI).astimezone(UTC) + timedelta(hours=7)
    )

    doctor = make_chat(botapi, DOCTOR, language_code="en")
    await doctor.send("/today")  # the clock now stands on the appointment day
    listed = await doctor.wait_for("Appointments")
    # The list is the appointment day's (the bot reads the manual clock), with Chen's row.
    hhmm = time_words(appointment.starts_at.astimezone(SHANGHAI), "en")
    assert f"Appointments · {day_words(day, 'en', today=day)}" in listed.text
    assert f"{hhmm} Chen" in listed.text
    assert appointment.check_in_code in listed.text
    code = appointment.check_in_code
    await doctor.send(f"/checkin {code.lower()[:3]} {code.lower()[3:]}")
    await doctor.wait_for("Checked in: Chen")
    [done] = await booking.doctor_day(uow_factory(), clock, DOCTOR, day, SHANGHAI)
    assert done.status.value == "attended"

    resident = make_chat(botapi, PARENT, language_code="en")
    await resident.send("/today")
    await resident.wait_for("This command is for family doctors.")


async def _first_free(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, user: int, code: str, skip_days: int = 0
):  # type: ignore[no-untyped-def]
    services = await booking.list_services(uow_factory(), user)
    service = next(s for s in services if s.code == code)
    days = [
        d.day
        for d in await booking.available_days(
            uow_factory(), clock, user, service.id, None, SHANGHAI
        )
        if d.free
    ]
    slots = await booking.slots_on(
        uow_factory(), clock, user, service.id, None, days[skip_days], SHANGHAI
    )
    return service, next(s for s in slots if s.free)


async def test_reschedule_through_the_chat(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    await make_resident(uow_factory, clock, PARENT, name="Chen", locale="en", birth_year=1960)
    _, slot = await _first_free(uow_factory, clock, PARENT, "health_checkup", skip_days=1)
    old = await booking.book(uow_factory(), clock, PARENT, slot.id, None, SHANGHAI)
    chat = make_chat(botapi, PARENT, language_code="en")

    await chat.send("/appointments")
    listed = await chat.wait_for("Your upcoming appointments:")
    await chat.press(next(t for t in listed.button_texts() if "Health check-up" in t))
    await chat.wait_for(old.check_in_code)
    await chat.press("Reschedule")
    days = await chat.wait_for("Choose a day:")
    await chat.press([t for t in days.button_texts() if "free" in t][3])
    times = await chat.wait_for("choose a time")
    await chat.press(next(t for t in times.button_texts() if "free" in t))
    await chat.wait_for("Move the appointment to this time?")
    await chat.press("Confirm new time")
    await chat.wait_for("Booked ✓")
    [moved] = await booking.my_appointments(uow_factory(), clock, PARENT)
    assert moved.id != old.id
    assert moved.starts_at > old.starts_at


async def test_waiting_list_offer_through_the_chat(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    """Mutation tried: `slots` (bot/booking_keyboards.py) leaving full slots out
    (`elif not resched` -> `elif False`): the waitlist button is not on the times message.
    The press names that message, so a button left on an older message cannot stand in."""
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    await make_resident(uow_factory, clock, PARENT, name="Chen", locale="en", birth_year=1960)
    service, slot = await _first_free(uow_factory, clock, PARENT, "health_checkup", skip_days=1)
    others = [5001 + i for i in range(slot.capacity)]
    booked = []
    for user in others:  # fill the slot
        await make_resident(uow_factory, clock, user, name=f"R{user}", birth_year=1960)
        booked.append(await booking.book(uow_factory(), clock, user, slot.id, None, SHANGHAI))
    chat = make_chat(botapi, PARENT, language_code="en")
    await chat.send("/book")
    await chat.wait_for("What would you like to book?")
    await chat.press("Health check-up")
    day = slot.starts_at.astimezone(SHANGHAI).date()
    days = await chat.wait_for("Choose a day:")
    today = clock.now().astimezone(SHANGHAI).date()
    label = day_words(day, "en", today=today)
    await chat.press(next(t for t in days.button_texts() if t.startswith(label)))
    times = await chat.wait_for("choose a time")
    hhmm = time_words(slot.starts_at.astimezone(SHANGHAI), "en")
    # The full slot is offered as a waiting-list place on the times Chen was shown.
    assert f"{hhmm} · full, join waitlist" in times.button_texts()
    await chat.press(f"{hhmm} · full, join waitlist", message=times)
    await chat.wait_for("You're number 1 on the waiting list.")

    # Someone cancels: the seat is held for Chen, who is told through the outbox.
    await booking.cancel(uow_factory(), clock, others[0], booked[0].id)
    await jiayi.jobs.dispatch()
    offer = await chat.wait_for("A place is free: Health check-up")
    await chat.press("Take this place", message=offer)
    await chat.wait_for("Booked ✓")
    [mine] = await booking.my_appointments(uow_factory(), clock, PARENT)
    assert mine.slot_id == slot.id
    assert service.id == mine.service_id
