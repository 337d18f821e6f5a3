"""The console's services and weekly schedules: who may change them, the overview it shows,
creating and editing a service, and replacing its weekly schedule (see the package docstring)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from jiayi.services import booking
from jiayi.services.clock import Clock
from jiayi.services.console import Actor
from jiayi.services.errors import InvalidInput, NotAllowed, NotFound
from jiayi.services.schedules.fields import (
    WEEKDAY_CODES,
    ScheduleBlock,
    ServiceFields,
    add_blocks_in,
    add_service_in,
    service_columns,
)
from jiayi.storage.records import BookableServiceRecord, CentreRecord, ScheduleRecord, SlotRecord
from jiayi.storage.uow import UnitOfWork


def require_operator(actor: Actor) -> None:
    """Services and schedules are the centre's: operators change them, doctors only look."""
    if not actor.is_admin:
        raise NotAllowed("operators_only")


async def actor_centre(
    uow: UnitOfWork, actor: Actor, centre_id: int | None = None
) -> CentreRecord:
    """The centre the actor works on: a doctor's own; for an operator the one asked for, or
    the first (a deployment usually serves one centre)."""
    if actor.doctor_id is not None and not actor.is_admin:
        doctor = await uow.doctors.get(actor.doctor_id)
        if doctor is None:
            raise NotAllowed("not_a_doctor")
        centre_id = doctor.centre_id
    centres = await uow.centres.list()
    for centre in centres:
        if centre_id is None or centre.id == centre_id:
            return centre
    raise NotFound("centre_not_found", centre=str(centre_id))


async def centre_of(uow: UnitOfWork, actor: Actor) -> CentreRecord:
    """The centre the console's actor works on (see actor_centre), in its own transaction."""
    async with uow:
        return await actor_centre(uow, actor)


@dataclass(frozen=True)
class ServiceOverview:
    service: BookableServiceRecord
    active: bool
    schedules: list[ScheduleRecord]
    # The weekly schedule as the form edits it: rows with the same times grouped by weekday.
    blocks: list[ScheduleBlock]
    # (link code, name) of the centre's active doctors, for a block's doctor.
    doctors: list[tuple[str, str]]


def blocks_of(schedules: list[ScheduleRecord], codes: dict[int, str]) -> list[ScheduleBlock]:
    grouped: dict[tuple[time, time, int, int, bool, str | None], list[int]] = {}
    for s in schedules:
        doctor = codes.get(s.doctor_id) if s.doctor_id is not None else None
        key = (s.start_time, s.end_time, s.slot_minutes, s.capacity, s.on_makeup_workdays, doctor)
        grouped.setdefault(key, []).append(s.weekday)
    return [
        ScheduleBlock.model_construct(
            weekdays=[WEEKDAY_CODES[d] for d in sorted(set(days))],
            start=start,
            end=end,
            slot_minutes=minutes,
            capacity=capacity,
            on_makeup_workdays=makeup,
            doctor=doctor,
        )
        for (start, end, minutes, capacity, makeup, doctor), days in grouped.items()
    ]


async def _overview(uow: UnitOfWork, service: BookableServiceRecord) -> ServiceOverview:
    schedules = await uow.schedules.schedules_of(service.id)
    doctors = [
        d for d in await uow.doctors.list_active(limit=1000) if d.centre_id == service.centre_id
    ]
    codes = {d.id: d.link_code for d in doctors}
    for s in schedules:  # a deactivated doctor's block keeps its doctor
        if s.doctor_id is not None and s.doctor_id not in codes:
            found = await uow.doctors.get(s.doctor_id)
            if found is not None:
                codes[found.id] = found.link_code
    return ServiceOverview(
        service=service,
        active=bool(await uow.schedules.service_active(service.id)),
        schedules=schedules,
        blocks=blocks_of(schedules, codes),
        doctors=[(d.link_code, d.display_name) for d in doctors],
    )


async def list_services(
    uow: UnitOfWork, actor: Actor, centre_id: int | None = None
) -> tuple[CentreRecord, list[ServiceOverview]]:
    async with uow:
        centre = await actor_centre(uow, actor, centre_id)
        found = [await _overview(uow, s) for s in await uow.schedules.all_services(centre.id)]
        return centre, found


async def get_service(uow: UnitOfWork, actor: Actor, service_id: int) -> ServiceOverview:
    async with uow:
        centre = await actor_centre(uow, actor)
        service = await uow.schedules.any_service(service_id)
        if service is None or (actor.scope is not None and service.centre_id != centre.id):
            raise NotFound("service_not_found", service=str(service_id))
        return await _overview(uow, service)


async def create_service(
    uow: UnitOfWork, actor: Actor, centre_id: int, fields: ServiceFields
) -> BookableServiceRecord:
    require_operator(actor)
    async with uow:
        await uow.begin_write()
        if await uow.booking.centre(centre_id) is None:
            raise NotFound("centre_not_found", centre=str(centre_id))
        service = await add_service_in(uow, centre_id, fields)
        await uow.commit()
        return service


async def _existing(uow: UnitOfWork, service_id: int) -> BookableServiceRecord:
    """The service (active or not), or NotFound."""
    service = await uow.schedules.any_service(service_id)
    if service is None:
        raise NotFound("service_not_found", service=str(service_id))
    return service


async def update_service(
    uow: UnitOfWork, actor: Actor, service_id: int, fields: ServiceFields, *, active: bool = True
) -> None:
    """Changes a service's names and rules (its code stays: dedupe keys and tips use it)."""
    require_operator(actor)
    async with uow:
        await uow.begin_write()
        service = await _existing(uow, service_id)
        if fields.code != service.code:
            raise InvalidInput("service_code_fixed", service=service.code)
        await uow.schedules.update_service(service_id, active=active, **service_columns(fields))
        await uow.commit()


def _cuts(schedules: list[ScheduleRecord], slot: SlotRecord, zone: ZoneInfo) -> bool:
    """Whether one of the schedules cuts this slot (same local start, length and seats)."""
    start = slot.starts_at.astimezone(zone)
    day, clock_time = start.date(), start.time().replace(tzinfo=None)
    kind = booking.day_kind(day)
    for s in schedules:
        runs = s.weekday == day.weekday() or (kind == "makeup" and s.on_makeup_workdays)
        if not runs or not (s.start_time <= clock_time < s.end_time):
            continue
        offset = datetime.combine(day, clock_time) - datetime.combine(day, s.start_time)
        length = slot.ends_at - slot.starts_at
        if offset % timedelta(minutes=s.slot_minutes) == timedelta(0) and length == timedelta(
            minutes=s.slot_minutes
        ):
            return True
    return False


@dataclass(frozen=True)
class ScheduleChange:
    schedules: int  # weekly rows now in force
    withdrawn: int  # unbooked slots of the old schedule removed
    created: int  # slots cut from the new schedule


async def replace_schedule(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    service_id: int,
    blocks: list[ScheduleBlock],
    zone: ZoneInfo,
) -> ScheduleChange:
    """Puts `blocks` in place of the service's weekly schedule and cuts its slots now."""
    require_operator(actor)
    async with uow:
        await uow.begin_write()
        await _existing(uow, service_id)
        await uow.schedules.retire_schedules(service_id)
        added = await add_blocks_in(uow, service_id, blocks)
        current = await uow.schedules.schedules_of(service_id)
        stale = [
            s.id
            for s in await uow.schedules.unbooked_future_slots(service_id, clock.now())
            if not _cuts(current, s, zone)
        ]
        await uow.schedules.delete_slots(stale)
        await uow.commit()
    created = await booking.materialize_slots(uow, clock, zone)
    return ScheduleChange(schedules=added, withdrawn=len(stale), created=created)
