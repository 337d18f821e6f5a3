"""The centre and its doctors on a real database (SQLite and PostgreSQL): closing a day,
the doctor's day, attendance, check-in by code and admins at the desk."""

from __future__ import annotations

import json
from datetime import timedelta

from jiayi.services import booking
from jiayi.services.booking import AppointmentStatus
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.storage.records import Actor, AppointmentEventKind
from tests.factories import make_centre, make_resident
from tests.integration.booking_support import (
    CHILD_NAME,
    DOCTOR_USER,
    FLU,
    NEIGHBOUR,
    OTHER_CENTRE_DOCTOR_USER,
    PARENT,
    SHANGHAI,
    THIRD,
    TODAY,
    TOMORROW,
    local,
    make_child,
    make_doctor_user,
    make_service,
    make_slot,
    outbox_by_key,
    refused,
    slot_now,
)

# --- the centre and its doctors -------------------------------------------------------------


async def test_closing_a_day_cancels_its_appointments_with_a_notice(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, PARENT)
    child = await make_child(uow_factory, clock)
    await make_resident(uow_factory, clock, NEIGHBOUR)
    await make_resident(uow_factory, clock, THIRD)
    centre = await make_centre(uow_factory, clock)
    flu = await make_service(uow_factory, clock, FLU)
    closing = TODAY + timedelta(days=2)
    morning = await make_slot(uow_factory, flu, local(closing, 9), capacity=1)
    afternoon = await make_slot(uow_factory, flu, local(closing, 15))
    next_day = await make_slot(uow_factory, flu, local(closing + timedelta(days=1), 9))
    mine = await booking.book(uow_factory(), clock, PARENT, afternoon.id, None, SHANGHAI)
    childs = await booking.book(uow_factory(), clock, PARENT, morning.id, child.id, SHANGHAI)
    neighbours = await booking.book(uow_factory(), clock, NEIGHBOUR, next_day.id, None, SHANGHAI)
    waiting = await booking.join_waitlist(uow_factory(), clock, THIRD, morning.id, None)

    affected = await booking.close_day(uow_factory(), clock, centre.id, closing, SHANGHAI, "停电")

    assert [(a.id, a.status) for a in affected] == [
        (childs.id, AppointmentStatus.CANCELLED_CENTRE),
        (mine.id, AppointmentStatus.CANCELLED_CENTRE),
    ]
    assert [a.id for a in await booking.my_appointments(uow_factory(), clock, PARENT)] == []
    assert [a.id for a in await booking.my_appointments(uow_factory(), clock, NEIGHBOUR)] == [
        neighbours.id
    ]
    assert (await slot_now(uow_factory, morning.id)).status == "closed"
    rows = await outbox_by_key(uow_factory)
    assert rows[f"appt:{mine.id}:24h"].status == "cancelled"
    assert rows[f"appt:{neighbours.id}:24h"].status == "pending"
    notice = rows[f"appt:{childs.id}:closed"]
    assert (notice.kind, notice.status) == ("booking_closed", "pending")
    assert json.loads(notice.payload) | {"starts_at": None} == {
        "appointment_id": childs.id,
        "service_id": flu.id,
        "member_id": child.id,
        "service_name_zh": flu.name_zh,
        "service_name_en": flu.name_en,
        "starts_at": None,
        "person_name": CHILD_NAME,
        "reason": "停电",
        "centre_phone": None,
        "centre_address": None,
    }
    days = await booking.available_days(uow_factory(), clock, PARENT, flu.id, None, SHANGHAI)
    assert closing not in [d.day for d in days]
    await refused(
        "slot_closed", booking.book(uow_factory(), clock, PARENT, afternoon.id, None, SHANGHAI)
    )
    await refused(
        "offer_expired",
        booking.accept_offer(uow_factory(), clock, THIRD, waiting.id, SHANGHAI),
    )


async def test_doctor_sees_the_centre_day_and_marks_attendance(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, PARENT)
    await make_resident(uow_factory, clock, NEIGHBOUR)
    doctor = await make_doctor_user(uow_factory, clock)
    stranger = await make_doctor_user(
        uow_factory, clock, OTHER_CENTRE_DOCTOR_USER, centre_code="riverside"
    )
    flu = await make_service(uow_factory, clock, FLU)
    elsewhere = await make_service(uow_factory, clock, FLU, centre_id=stranger.centre_id)
    late = await make_slot(uow_factory, flu, local(TOMORROW, 15))
    early = await make_slot(uow_factory, flu, local(TOMORROW, 9))
    theirs = await make_slot(uow_factory, elsewhere, local(TOMORROW, 9))
    second = await booking.book(uow_factory(), clock, PARENT, late.id, None, SHANGHAI)
    first = await booking.book(uow_factory(), clock, NEIGHBOUR, early.id, None, SHANGHAI)
    await booking.book(uow_factory(), clock, PARENT, theirs.id, None, SHANGHAI)
    cancelled_slot = await make_slot(uow_factory, elsewhere, local(TOMORROW, 10))
    await booking.cancel(
        uow_factory(),
        clock,
        NEIGHBOUR,
        (
            await booking.book(uow_factory(), clock, NEIGHBOUR, cancelled_slot.id, None, SHANGHAI)
        ).id,
    )

    day = await booking.doctor_day(uow_factory(), clock, DOCTOR_USER, TOMORROW, SHANGHAI)
    assert [a.id for a in day] == [first.id, second.id]
    await refused(
        "not_a_doctor", booking.doctor_day(uow_factory(), clock, PARENT, TOMORROW, SHANGHAI)
    )

    marked = await booking.mark_attendance(uow_factory(), clock, DOCTOR_USER, first.id, True)
    again = await booking.mark_attendance(uow_factory(), clock, DOCTOR_USER, first.id, True)
    assert marked.status is AppointmentStatus.ATTENDED
    assert again == marked
    async with uow_factory() as uow:
        events = await uow.booking.events(first.id)
    assert events.count((AppointmentEventKind.ATTENDED, Actor.DOCTOR)) == 1
    assert (await outbox_by_key(uow_factory))[f"appt:{first.id}:2h"].status == "cancelled"

    no_show = await booking.mark_attendance(uow_factory(), clock, DOCTOR_USER, second.id, False)
    assert no_show.status is AppointmentStatus.NO_SHOW
    await refused(
        "not_your_centre",
        booking.mark_attendance(uow_factory(), clock, OTHER_CENTRE_DOCTOR_USER, first.id, True),
    )
    gone = await booking.book(uow_factory(), clock, PARENT, early.id, None, SHANGHAI)
    await booking.cancel(uow_factory(), clock, PARENT, gone.id)
    await refused(
        "appointment_cancelled",
        booking.mark_attendance(uow_factory(), clock, DOCTOR_USER, gone.id, True),
    )
    assert doctor.centre_id != stranger.centre_id


async def test_check_in_by_code_today(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> None:
    await make_resident(uow_factory, clock, PARENT)
    await make_doctor_user(uow_factory, clock)
    flu = await make_service(uow_factory, clock, FLU)
    today = await make_slot(uow_factory, flu, local(TODAY, 14))
    tomorrow = await make_slot(uow_factory, flu, local(TOMORROW, 9))
    booked = await booking.book(uow_factory(), clock, PARENT, today.id, None, SHANGHAI)
    child = await make_child(uow_factory, clock)
    later = await booking.book(uow_factory(), clock, PARENT, tomorrow.id, child.id, SHANGHAI)
    code = booked.check_in_code

    typed = f" {code[:3].lower()} {code[3:].lower()} "
    checked = await booking.check_in(uow_factory(), clock, DOCTOR_USER, typed)

    assert (checked.id, checked.status) == (booked.id, AppointmentStatus.ATTENDED)
    assert (await booking.check_in(uow_factory(), clock, DOCTOR_USER, code)).id == booked.id
    await refused(
        "check_in_code_unknown", booking.check_in(uow_factory(), clock, DOCTOR_USER, "ZZZZZZ")
    )
    await refused(
        "check_in_code_unknown",
        booking.check_in(uow_factory(), clock, DOCTOR_USER, later.check_in_code),
    )
    await refused("not_a_doctor", booking.check_in(uow_factory(), clock, PARENT, code))


async def test_an_admin_uses_the_desk_commands_as_their_doctor_or_is_told_they_have_none(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    admin = 3999
    admins = frozenset({admin, DOCTOR_USER})
    await make_resident(uow_factory, clock, PARENT)
    await make_doctor_user(uow_factory, clock)
    flu = await make_service(uow_factory, clock, FLU)
    slot = await make_slot(uow_factory, flu, local(TODAY, 14))
    booked = await booking.book(uow_factory(), clock, PARENT, slot.id, None, SHANGHAI)

    # An admin without a doctor account has no centre: a message saying so, for every command.
    for call in (
        booking.doctor_day(uow_factory(), clock, admin, TODAY, SHANGHAI, admin_ids=admins),
        booking.check_in(uow_factory(), clock, admin, booked.check_in_code, admin_ids=admins),
        booking.mark_attendance(uow_factory(), clock, admin, booked.id, True, admin_ids=admins),
    ):
        await refused("admin_not_a_doctor", call)
    # Nothing was marked on the way.
    assert (await booking.get_appointment(uow_factory(), PARENT, booked.id)).status is (
        AppointmentStatus.BOOKED
    )
    # A doctor who is also an admin works as that doctor; residents are refused as before.
    day = await booking.doctor_day(
        uow_factory(), clock, DOCTOR_USER, TODAY, SHANGHAI, admin_ids=admins
    )
    assert [a.id for a in day] == [booked.id]
    await refused(
        "not_a_doctor",
        booking.doctor_day(uow_factory(), clock, PARENT, TODAY, SHANGHAI, admin_ids=admins),
    )
