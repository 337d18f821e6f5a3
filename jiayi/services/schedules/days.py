"""A centre's days at the console: closing a day or one slot (booking.close_day /
booking.close_slot, the CLI's functions) and a day's slots with their appointments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from jiayi.services import booking
from jiayi.services.clock import Clock
from jiayi.services.console import Actor, AuditAction, audit
from jiayi.services.errors import NotFound
from jiayi.services.schedules.editing import actor_centre, require_operator
from jiayi.storage.records import AppointmentRecord, CentreRecord, SlotRecord
from jiayi.storage.uow import UnitOfWork


async def close_day(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    centre_id: int,
    day: date,
    zone: ZoneInfo,
    reason: str,
) -> list[AppointmentRecord]:
    """Closes the centre for a local day: booking.close_day (the CLI's close-day)."""
    require_operator(actor)
    return await booking.close_day(uow, clock, centre_id, day, zone, reason)


async def close_slot(
    uow: UnitOfWork, clock: Clock, actor: Actor, centre_id: int, slot_id: int, reason: str
) -> list[AppointmentRecord]:
    """Closes one slot of the centre: booking.close_slot (the CLI's close-slot)."""
    require_operator(actor)
    async with uow:
        slot = await uow.booking.slot(slot_id)
        service = await uow.schedules.any_service(slot.service_id) if slot else None
    if slot is None or service is None or service.centre_id != centre_id:
        raise NotFound("slot_not_found")
    return await booking.close_slot(uow, clock, slot_id, reason)


@dataclass(frozen=True)
class SlotBookings:
    slot: SlotRecord
    service_code: str
    service_name_zh: str
    service_name_en: str
    appointments: list[AppointmentRecord]


@dataclass(frozen=True)
class DayPlan:
    centre: CentreRecord
    day: date
    closed_reason: str | None
    slots: list[SlotBookings]


async def day_slots(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    day: date,
    zone: ZoneInfo,
    centre_id: int | None = None,
) -> DayPlan:
    """A local day's slots at the centre, each with its appointments (cancelled ones too).
    Like the bot's desk day list, it is centre-wide and audited for every resident on it."""
    start = datetime.combine(day, time(), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
    async with uow:
        await uow.begin_write()
        centre = await actor_centre(uow, actor, centre_id)
        slots = await uow.schedules.day_slots(centre.id, start, end)
        appointments = await uow.booking.centre_day(centre.id, start, end)
        by_slot: dict[int, list[AppointmentRecord]] = {}
        for appointment in appointments:
            by_slot.setdefault(appointment.slot_id, []).append(appointment)
        reason = await uow.schedules.closed_day_reason(centre.id, day)
        if appointments:
            await audit(
                uow,
                actor,
                [a.resident_id for a in appointments],
                AuditAction.DESK_DAY,
                clock.now(),
            )
            await uow.commit()
    return DayPlan(
        centre=centre,
        day=day,
        closed_reason=reason,
        slots=[
            SlotBookings(
                s.slot,
                s.service_code,
                s.service_name_zh,
                s.service_name_en,
                by_slot.get(s.slot.id, []),
            )
            for s in slots
        ],
    )
