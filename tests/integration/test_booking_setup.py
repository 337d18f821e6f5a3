"""Operators define services and schedules as a file, and close a day."""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from jiayi.content.render import Renderer
from jiayi.services import booking, booking_setup
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.errors import InvalidInput, NotFound
from jiayi.storage import models as m
from tests.factories import CENTRE_CODE, make_centre, make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
FILE = f"""
centre: {CENTRE_CODE}
services:
  - code: bp_follow_up
    kind: follow_up
    name: {{zh-CN: 高血压随访, en: Blood pressure follow-up}}
    schedules:
      - {{weekdays: [mon, wed], start: "08:30", end: "10:30", slot_minutes: 30, capacity: 2}}
"""


async def test_load_services_and_schedules_then_book(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, tmp_path: Path
) -> None:
    await make_centre(uow_factory, clock)
    path = tmp_path / "centre.yaml"
    path.write_text(FILE, encoding="utf-8")
    report = await booking_setup.load_booking_file(uow_factory(), path)
    assert (report.created, report.existing, report.schedules) == (["bp_follow_up"], [], 2)
    again = await booking_setup.load_booking_file(uow_factory(), path)
    assert (again.created, again.existing, again.schedules) == ([], ["bp_follow_up"], 0)

    assert await booking.materialize_slots(uow_factory(), clock, SHANGHAI, weeks=2) > 0
    await make_resident(uow_factory, clock, 1)
    [service] = await booking.list_services(uow_factory(), 1)
    days = await booking.available_days(uow_factory(), clock, 1, service.id, None, SHANGHAI)
    assert {d.day.weekday() for d in days} == {0, 2}  # Mondays and Wednesdays only
    # Four 30-minute slots of two seats each; today's morning (T0 is 10:00) is already past.
    assert [d.free for d in days] == [8] * len(days)
    assert days[0].day > clock.now().astimezone(SHANGHAI).date()


async def test_invalid_file_is_refused_with_the_reason(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, tmp_path: Path
) -> None:
    await make_centre(uow_factory, clock)
    path = tmp_path / "bad.yaml"
    path.write_text(FILE.replace("[mon, wed]", "[monday]"), encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        await booking_setup.load_booking_file(uow_factory(), path)
    assert "unknown weekdays" in str(caught.value.params["detail"])
    path.write_text(FILE.replace(CENTRE_CODE, "nowhere"), encoding="utf-8")
    with pytest.raises(NotFound):
        await booking_setup.load_booking_file(uow_factory(), path)


async def test_close_day_cancels_and_notifies(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, tmp_path: Path
) -> None:
    await make_centre(uow_factory, clock)
    path = tmp_path / "centre.yaml"
    path.write_text(FILE, encoding="utf-8")
    await booking_setup.load_booking_file(uow_factory(), path)
    await booking.materialize_slots(uow_factory(), clock, SHANGHAI, weeks=2)
    await make_resident(uow_factory, clock, 1)
    [service] = await booking.list_services(uow_factory(), 1)
    day = (await booking.available_days(uow_factory(), clock, 1, service.id, None, SHANGHAI))[
        0
    ].day
    slot = (await booking.slots_on(uow_factory(), clock, 1, service.id, None, day, SHANGHAI))[0]
    await booking.book(uow_factory(), clock, 1, slot.id, None, SHANGHAI)
    cancelled = await booking_setup.close_centre_day(
        uow_factory(), clock, CENTRE_CODE, day, SHANGHAI, "staff training"
    )
    assert len(cancelled) == 1
    assert await booking.my_appointments(uow_factory(), clock, 1) == []
    async with uow_factory() as uow:
        assert await uow.outbox.count(kind="booking_closed") == 1
    later = await booking.available_days(uow_factory(), clock, 1, service.id, None, SHANGHAI)
    assert day not in {d.day for d in later}


async def test_close_one_slot_leaves_the_rest_of_the_day(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, tmp_path: Path
) -> None:
    await make_centre(uow_factory, clock)
    path = tmp_path / "centre.yaml"
    path.write_text(FILE, encoding="utf-8")
    await booking_setup.load_booking_file(uow_factory(), path)
    await booking.materialize_slots(uow_factory(), clock, SHANGHAI, weeks=2)
    await make_resident(uow_factory, clock, 1)
    [service] = await booking.list_services(uow_factory(), 1)
    day = (await booking.available_days(uow_factory(), clock, 1, service.id, None, SHANGHAI))[
        0
    ].day
    first, *rest = await booking.slots_on(uow_factory(), clock, 1, service.id, None, day, SHANGHAI)
    await booking.book(uow_factory(), clock, 1, first.id, None, SHANGHAI)
    cancelled = await booking_setup.close_centre_slot(
        uow_factory(), clock, CENTRE_CODE, "bp_follow_up", first.starts_at, "doctor called away"
    )
    assert [a.status.value for a in cancelled] == ["cancelled_centre"]
    remaining = await booking.slots_on(uow_factory(), clock, 1, service.id, None, day, SHANGHAI)
    assert [s.id for s in remaining] == [s.id for s in rest]
    with pytest.raises(NotFound):
        await booking_setup.close_centre_slot(
            uow_factory(), clock, CENTRE_CODE, "bp_follow_up", first.starts_at, "again"
        )


async def test_the_file_sets_the_centres_phone_and_address(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, tmp_path: Path
) -> None:
    """Mutation tried: load_booking_file without the set_contact call — the centre kept no
    phone, so appointment messages and /help could not show one."""
    await make_centre(uow_factory, clock)
    path = tmp_path / "centre.yaml"
    # Made-up contact details for the test.
    path.write_text(
        FILE.replace("services:", 'phone: "0000-12345"\naddress: 幸福路1号\nservices:', 1),
        encoding="utf-8",
    )
    await booking_setup.load_booking_file(uow_factory(), path)
    async with uow_factory() as uow:
        centre = await uow.centres.by_code(CENTRE_CODE)
    assert centre is not None
    assert (centre.phone, centre.address) == ("0000-12345", "幸福路1号")
    # A later file without them leaves them as they are.
    path.write_text(FILE, encoding="utf-8")
    await booking_setup.load_booking_file(uow_factory(), path)
    async with uow_factory() as uow:
        again = await uow.centres.by_code(CENTRE_CODE)
    assert again is not None
    assert again.phone == "0000-12345"


async def test_every_appointment_push_carries_the_centres_phone(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, tmp_path: Path
) -> None:
    """Mutation tried: the booking_closed payload (services/booking.py close_day) without
    centre_phone — the closed notice rendered without the phone."""
    await make_centre(uow_factory, clock)
    path = tmp_path / "centre.yaml"
    path.write_text(FILE.replace("services:", 'phone: "0000-12345"\nservices:', 1), "utf-8")
    await booking_setup.load_booking_file(uow_factory(), path)
    await booking.materialize_slots(uow_factory(), clock, SHANGHAI, weeks=2)
    await make_resident(uow_factory, clock, 1)
    [service] = await booking.list_services(uow_factory(), 1)
    days = await booking.available_days(uow_factory(), clock, 1, service.id, None, SHANGHAI)
    slot = (
        await booking.slots_on(uow_factory(), clock, 1, service.id, None, days[0].day, SHANGHAI)
    )[0]
    await booking.book(uow_factory(), clock, 1, slot.id, None, SHANGHAI)
    await booking_setup.close_centre_day(
        uow_factory(), clock, CENTRE_CODE, days[0].day, SHANGHAI, "staff training"
    )
    async with uow_factory() as uow:
        payloads = {
            row.kind: json.loads(row.payload)
            for row in await uow.session.scalars(select(m.OutboxMessage))
        }
    assert payloads["reminder"]["centre_phone"] == "0000-12345"
    assert payloads["booking_closed"]["centre_phone"] == "0000-12345"
    text = Renderer().render(
        "booking_closed",
        "en",
        service="x",
        person="p",
        starts_at=slot.starts_at,
        reason="",
        phone=payloads["booking_closed"]["centre_phone"],
        address=None,
    )
    assert "Centre phone: 0000-12345" in text
