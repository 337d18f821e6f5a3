"""Appointment booking on a real database (SQLite and PostgreSQL): what residents notice —
seats, refusals, reminders in the outbox, cancelling, rescheduling, the waitlist and the
calendar file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from jiayi.services import booking
from jiayi.services.booking import (
    AppointmentRecord,
    AppointmentStatus,
    ServiceKind,
    WaitlistStatus,
)
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.ics import appointment_ics
from jiayi.storage.records import Actor, AppointmentEventKind
from tests.conftest import T0
from tests.factories import CENTRE_NAME, CENTRE_NAME_EN, make_doctor, make_resident
from tests.integration.booking_support import (
    CHECKUP,
    CHILD_NAME,
    FLU,
    FOURTH,
    HOLD,
    NEIGHBOUR,
    PARENT,
    SHANGHAI,
    THIRD,
    TODAY,
    TOMORROW,
    local,
    make_child,
    make_service,
    make_slot,
    outbox_by_key,
    refused,
    slot_now,
)

# --- what a resident sees -------------------------------------------------------------------


async def test_booking_for_self_and_a_child_queues_reminders(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    resident = await make_resident(uow_factory, clock, PARENT, name="王芳")
    child = await make_child(uow_factory, clock)
    doctor = await make_doctor(uow_factory, clock)
    flu = await make_service(uow_factory, clock, FLU)
    day_after = await make_slot(
        uow_factory, flu, local(TODAY + timedelta(days=2), 9), doctor_id=doctor.id
    )
    tomorrow = await make_slot(uow_factory, flu, local(TOMORROW, 9))

    summary = await booking.slot_summary(uow_factory(), PARENT, tomorrow.id, child.id)
    assert (summary.person_name, summary.centre_name_en, summary.free) == (
        CHILD_NAME,
        CENTRE_NAME_EN,
        2,
    )
    mine = await booking.book(uow_factory(), clock, PARENT, day_after.id, None, SHANGHAI)
    childs = await booking.book(uow_factory(), clock, PARENT, tomorrow.id, child.id, SHANGHAI)

    assert (mine.person_name, mine.family_member_id, mine.status) == (
        "王芳",
        None,
        AppointmentStatus.BOOKED,
    )
    assert (mine.doctor_name, mine.centre_name, mine.centre_name_en) == (
        doctor.display_name,
        CENTRE_NAME,
        CENTRE_NAME_EN,
    )
    assert (childs.person_name, childs.family_member_id) == (CHILD_NAME, child.id)
    assert len(mine.check_in_code) == 6
    assert set(mine.check_in_code) <= set(booking.CHECK_IN_ALPHABET)
    assert (await slot_now(uow_factory, day_after.id)).booked == 1

    assert [a.id for a in await booking.my_appointments(uow_factory(), clock, PARENT)] == [
        childs.id,
        mine.id,
    ]
    assert await booking.get_appointment(uow_factory(), PARENT, mine.id) == mine

    rows = await outbox_by_key(uow_factory)
    # Tomorrow 09:00 is 23 hours away: its 24-hour reminder would be in the past already.
    assert set(rows) == {
        f"appt:{mine.id}:24h",
        f"appt:{mine.id}:2h",
        f"appt:{childs.id}:2h",
    }
    reminder = rows[f"appt:{mine.id}:24h"]
    assert (reminder.kind, reminder.resident_id, reminder.status) == (
        "reminder",
        resident.id,
        "pending",
    )
    assert reminder.not_before == mine.starts_at - timedelta(hours=24)
    assert rows[f"appt:{mine.id}:2h"].not_before == mine.starts_at - timedelta(hours=2)
    assert json.loads(rows[f"appt:{childs.id}:2h"].payload) == {
        "appointment_id": childs.id,
        "lead": "2h",
        "service_name_zh": flu.name_zh,
        "service_name_en": flu.name_en,
        "starts_at": childs.starts_at.isoformat(),
        "person_name": CHILD_NAME,
        "check_in_code": childs.check_in_code,
        "centre_name": CENTRE_NAME,
        "centre_name_en": CENTRE_NAME_EN,
        # From then on the service refuses cancel/reschedule (its 120-minute cutoff).
        "change_until": (childs.starts_at - timedelta(minutes=120)).isoformat(),
        "centre_phone": None,
        "centre_address": None,
    }


async def test_one_active_booking_per_service_and_person(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, PARENT)
    child = await make_child(uow_factory, clock)
    flu = await make_service(uow_factory, clock, FLU)
    first = await make_slot(uow_factory, flu, local(TOMORROW, 9))
    second = await make_slot(uow_factory, flu, local(TOMORROW, 10))
    booked = await booking.book(uow_factory(), clock, PARENT, first.id, None, SHANGHAI)

    await refused(
        "already_booked", booking.book(uow_factory(), clock, PARENT, second.id, None, SHANGHAI)
    )
    assert (await slot_now(uow_factory, second.id)).booked == 0
    # Someone else — the child — is a different person.
    await booking.book(uow_factory(), clock, PARENT, second.id, child.id, SHANGHAI)
    assert (await slot_now(uow_factory, second.id)).booked == 1

    await booking.cancel(uow_factory(), clock, PARENT, booked.id)
    await booking.book(uow_factory(), clock, PARENT, second.id, None, SHANGHAI)
    assert (await slot_now(uow_factory, second.id)).booked == 2


async def test_the_database_refuses_a_second_active_booking(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """The rule holds even for a caller that skips the service's own check."""
    resident = await make_resident(uow_factory, clock, PARENT)
    flu = await make_service(uow_factory, clock, FLU)
    slot = await make_slot(uow_factory, flu, local(TOMORROW, 9))
    await booking.book(uow_factory(), clock, PARENT, slot.id, None, SHANGHAI)
    async with uow_factory() as uow:
        await uow.begin_write()
        again = await uow.booking.add_appointment(
            slot_id=slot.id,
            service_id=flu.id,
            resident_id=resident.id,
            family_member_id=None,
            person_key=f"r:{resident.id}",
            new_code=booking.new_check_in_code,
            now=clock.now(),
        )
    assert again is None


async def test_a_check_in_code_collision_is_retried_with_a_new_code(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, PARENT)
    neighbour = await make_resident(uow_factory, clock, NEIGHBOUR)
    flu = await make_service(uow_factory, clock, FLU)
    slot = await make_slot(uow_factory, flu, local(TOMORROW, 9))
    first = await booking.book(uow_factory(), clock, PARENT, slot.id, None, SHANGHAI)
    codes = iter([first.check_in_code, "XXXXXX"])
    async with uow_factory() as uow:
        await uow.begin_write()
        appointment_id = await uow.booking.add_appointment(
            slot_id=slot.id,
            service_id=flu.id,
            resident_id=neighbour.id,
            family_member_id=None,
            person_key=f"r:{neighbour.id}",
            new_code=lambda: next(codes),
            now=clock.now(),
        )
        await uow.commit()
    assert appointment_id is not None
    async with uow_factory() as uow:
        second = await uow.booking.appointment(appointment_id)
    assert second is not None
    assert second.check_in_code == "XXXXXX"


async def test_cancel_frees_the_seat_and_withdraws_reminders(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, PARENT)
    flu = await make_service(uow_factory, clock, FLU, cancel_cutoff_minutes=180)
    slot = await make_slot(uow_factory, flu, local(TODAY + timedelta(days=2), 9))
    late = await make_slot(uow_factory, flu, local(TODAY + timedelta(days=3), 9))
    booked = await booking.book(uow_factory(), clock, PARENT, slot.id, None, SHANGHAI)

    cancelled = await booking.cancel(uow_factory(), clock, PARENT, booked.id)

    assert cancelled.status is AppointmentStatus.CANCELLED_RESIDENT
    assert (await slot_now(uow_factory, slot.id)).booked == 0
    rows = await outbox_by_key(uow_factory)
    assert {rows[f"appt:{booked.id}:{lead}"].status for lead in ("24h", "2h")} == {"cancelled"}
    assert await booking.my_appointments(uow_factory(), clock, PARENT) == []
    await refused("appointment_cancelled", booking.cancel(uow_factory(), clock, PARENT, booked.id))

    again = await booking.book(uow_factory(), clock, PARENT, late.id, None, SHANGHAI)
    clock.set(again.starts_at - timedelta(hours=2, minutes=59))
    error = await refused(
        "cancel_too_late", booking.cancel(uow_factory(), clock, PARENT, again.id)
    )
    assert error.params == {"hours": 3}
    assert (await slot_now(uow_factory, late.id)).booked == 1


async def test_reschedule_moves_the_booking_and_its_reminders(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, PARENT)
    await make_resident(uow_factory, clock, NEIGHBOUR)
    flu = await make_service(uow_factory, clock, FLU)
    other = await make_service(uow_factory, clock, CHECKUP, ServiceKind.CHECKUP)
    old_slot = await make_slot(uow_factory, flu, local(TODAY + timedelta(days=2), 9))
    new_slot = await make_slot(uow_factory, flu, local(TODAY + timedelta(days=3), 10))
    full_slot = await make_slot(uow_factory, flu, local(TODAY + timedelta(days=4), 9), capacity=1)
    other_slot = await make_slot(uow_factory, other, local(TODAY + timedelta(days=4), 9))
    await booking.book(uow_factory(), clock, NEIGHBOUR, full_slot.id, None, SHANGHAI)
    booked = await booking.book(uow_factory(), clock, PARENT, old_slot.id, None, SHANGHAI)

    # A failed move changes nothing.
    await refused(
        "slot_full",
        booking.reschedule(uow_factory(), clock, PARENT, booked.id, full_slot.id),
    )
    await refused(
        "slot_not_found",
        booking.reschedule(uow_factory(), clock, PARENT, booked.id, other_slot.id),
    )
    assert (await booking.get_appointment(uow_factory(), PARENT, booked.id)).status == "booked"
    assert (await slot_now(uow_factory, old_slot.id)).booked == 1
    assert (await outbox_by_key(uow_factory))[f"appt:{booked.id}:24h"].status == "pending"

    moved = await booking.reschedule(uow_factory(), clock, PARENT, booked.id, new_slot.id)

    assert (moved.slot_id, moved.starts_at, moved.status) == (
        new_slot.id,
        new_slot.starts_at,
        AppointmentStatus.BOOKED,
    )
    old = await booking.get_appointment(uow_factory(), PARENT, booked.id)
    assert old.status is AppointmentStatus.CANCELLED_RESIDENT
    assert (await slot_now(uow_factory, old_slot.id)).booked == 0
    assert (await slot_now(uow_factory, new_slot.id)).booked == 1
    rows = await outbox_by_key(uow_factory)
    assert rows[f"appt:{booked.id}:24h"].status == "cancelled"
    assert rows[f"appt:{booked.id}:2h"].status == "cancelled"
    assert rows[f"appt:{moved.id}:24h"].status == "pending"
    assert rows[f"appt:{moved.id}:24h"].not_before == new_slot.starts_at - timedelta(hours=24)
    assert [a.id for a in await booking.my_appointments(uow_factory(), clock, PARENT)] == [
        moved.id
    ]
    async with uow_factory() as uow:
        assert (AppointmentEventKind.RESCHEDULED, Actor.RESIDENT) in await uow.booking.events(
            booked.id
        )


async def test_nobody_books_or_sees_someone_elses_family(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, PARENT)
    await make_resident(uow_factory, clock, NEIGHBOUR)
    child = await make_child(uow_factory, clock, PARENT)
    flu = await make_service(uow_factory, clock, FLU)
    slot = await make_slot(uow_factory, flu, local(TOMORROW, 9))

    await refused(
        "member_not_yours",
        booking.book(uow_factory(), clock, NEIGHBOUR, slot.id, child.id, SHANGHAI),
    )
    await refused(
        "member_not_yours",
        booking.available_days(uow_factory(), clock, NEIGHBOUR, flu.id, child.id, SHANGHAI),
    )
    await refused(
        "member_not_yours",
        booking.join_waitlist(uow_factory(), clock, NEIGHBOUR, slot.id, child.id),
    )
    await refused(
        "member_not_yours", booking.slot_summary(uow_factory(), NEIGHBOUR, slot.id, child.id)
    )
    assert (await slot_now(uow_factory, slot.id)).booked == 0

    childs = await booking.book(uow_factory(), clock, PARENT, slot.id, child.id, SHANGHAI)
    await refused(
        "appointment_not_found", booking.get_appointment(uow_factory(), NEIGHBOUR, childs.id)
    )
    await refused(
        "appointment_not_found", booking.cancel(uow_factory(), clock, NEIGHBOUR, childs.id)
    )
    await refused("not_registered", booking.people(uow_factory(), 999))


# --- the waitlist ---------------------------------------------------------------------------


async def test_a_cancelled_seat_goes_to_the_first_in_line_with_a_hold(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    for user in (PARENT, NEIGHBOUR, THIRD, FOURTH):
        await make_resident(uow_factory, clock, user, name=f"居民{user}")
    flu = await make_service(uow_factory, clock, FLU)
    slot = await make_slot(uow_factory, flu, local(TODAY + timedelta(days=2), 9), capacity=1)
    first = await booking.book(uow_factory(), clock, PARENT, slot.id, None, SHANGHAI)
    await refused(
        "slot_full", booking.book(uow_factory(), clock, NEIGHBOUR, slot.id, None, SHANGHAI)
    )

    second = await booking.join_waitlist(uow_factory(), clock, NEIGHBOUR, slot.id, None)
    third = await booking.join_waitlist(uow_factory(), clock, THIRD, slot.id, None)
    assert (second.position, second.status, third.position) == (1, WaitlistStatus.WAITING, 2)
    await refused(
        "already_waiting", booking.join_waitlist(uow_factory(), clock, THIRD, slot.id, None)
    )

    await booking.cancel(uow_factory(), clock, PARENT, first.id)

    # The seat is held for the first in line: still full for everyone else.
    assert (await slot_now(uow_factory, slot.id)).free == 0
    await refused("slot_full", booking.book(uow_factory(), clock, FOURTH, slot.id, None, SHANGHAI))
    offer = (await outbox_by_key(uow_factory))[f"wait:{second.id}:offer"]
    assert (offer.kind, offer.status, offer.not_before) == ("waitlist_offer", "pending", T0)
    payload = json.loads(offer.payload)
    assert payload["person_name"] == f"居民{NEIGHBOUR}"
    assert payload["offered_until"] == (T0 + HOLD).isoformat()
    assert payload["starts_at"] == slot.starts_at.isoformat()
    await refused(
        "offer_expired", booking.accept_offer(uow_factory(), clock, THIRD, second.id, SHANGHAI)
    )

    clock.advance(timedelta(minutes=20))
    accepted = await booking.accept_offer(uow_factory(), clock, NEIGHBOUR, second.id, SHANGHAI)

    assert (accepted.slot_id, accepted.status) == (slot.id, AppointmentStatus.BOOKED)
    assert (await slot_now(uow_factory, slot.id)).booked == 1
    assert f"appt:{accepted.id}:24h" in await outbox_by_key(uow_factory)
    assert [a.id for a in await booking.my_appointments(uow_factory(), clock, NEIGHBOUR)] == [
        accepted.id
    ]


async def test_a_lapsed_hold_moves_to_the_next_in_line(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    for user in (PARENT, NEIGHBOUR, THIRD):
        await make_resident(uow_factory, clock, user)
    flu = await make_service(uow_factory, clock, FLU)
    slot = await make_slot(uow_factory, flu, local(TODAY + timedelta(days=2), 9), capacity=1)
    first = await booking.book(uow_factory(), clock, PARENT, slot.id, None, SHANGHAI)
    second = await booking.join_waitlist(uow_factory(), clock, NEIGHBOUR, slot.id, None)
    third = await booking.join_waitlist(uow_factory(), clock, THIRD, slot.id, None)
    await booking.cancel(uow_factory(), clock, PARENT, first.id)

    assert await booking.expire_offers(uow_factory, clock) == 0  # the hold still stands
    clock.advance(HOLD + timedelta(minutes=1))
    await refused(
        "offer_expired", booking.accept_offer(uow_factory(), clock, NEIGHBOUR, second.id, SHANGHAI)
    )

    assert await booking.expire_offers(uow_factory, clock) == 1

    rows = await outbox_by_key(uow_factory)
    assert f"wait:{third.id}:offer" in rows
    assert (await slot_now(uow_factory, slot.id)).booked == 1  # held again, for the next one
    accepted = await booking.accept_offer(uow_factory(), clock, THIRD, third.id, SHANGHAI)
    assert accepted.slot_id == slot.id
    assert (await slot_now(uow_factory, slot.id)).booked == 1
    assert await booking.expire_offers(uow_factory, clock) == 0


async def test_joining_the_line_for_a_slot_with_a_free_seat_holds_it_at_once(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, PARENT)
    flu = await make_service(uow_factory, clock, FLU)
    slot = await make_slot(uow_factory, flu, local(TOMORROW, 9), capacity=1)
    entry = await booking.join_waitlist(uow_factory(), clock, PARENT, slot.id, None)
    assert (entry.status, entry.offered_until) == (WaitlistStatus.OFFERED, T0 + HOLD)
    assert (await slot_now(uow_factory, slot.id)).booked == 1


# --- the calendar file ----------------------------------------------------------------------


def test_ics_round_trip() -> None:
    starts = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    appointment = AppointmentRecord(
        id=42,
        slot_id=7,
        service_id=3,
        service_code=FLU,
        service_name_zh="流感疫苗接种",
        service_name_en="Flu vaccination",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=15),
        resident_id=1,
        family_member_id=None,
        person_name="王芳",
        status=AppointmentStatus.BOOKED,
        check_in_code="AC3479",
        doctor_name=None,
        centre_name=CENTRE_NAME,
        centre_name_en=CENTRE_NAME_EN,
    )
    for locale, summary, location in (
        ("zh-CN", "流感疫苗接种 · 王芳", CENTRE_NAME),
        ("en", "Flu vaccination · 王芳", CENTRE_NAME_EN),
    ):
        parsed = Calendar.from_ical(appointment_ics(appointment, locale=locale, now=T0))
        (event,) = parsed.walk("VEVENT")
        assert str(event["UID"]) == "appointment-42@jiayi"
        assert event.decoded("DTSTART") == starts
        assert event.decoded("DTEND") == starts + timedelta(minutes=15)
        assert event.decoded("DTSTAMP") == T0
        assert str(event["SUMMARY"]) == summary
        assert str(event["LOCATION"]) == location
        assert "AC3479" in str(event["DESCRIPTION"])
        (alarm,) = event.walk("VALARM")
        assert alarm.decoded("TRIGGER") == -timedelta(hours=2)
