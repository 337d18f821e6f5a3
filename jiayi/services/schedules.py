"""A centre's bookable services and weekly schedules, as the console edits them — and as the
YAML loader (services/booking_setup.py) sets them up in bulk: both validate with the same
models and write through the same functions below.

Closing a day or a slot is booking.close_day / booking.close_slot, the functions the CLI
uses: the same cancellations, notices and rebooking offers whichever door it came through.

Editing a weekly schedule replaces it: the old blocks stop cutting slots, slots of the old
schedule nobody booked or waited for are withdrawn, and the new schedule's slots are cut at
once (so residents see them in /book straight away). Slots with bookings stay as they are:
cancelling them is a decision the operator takes explicitly by closing them (with notices).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from jiayi.services import booking
from jiayi.services.clock import Clock
from jiayi.services.console import Actor, AuditAction, audit
from jiayi.services.errors import InvalidInput, NotAllowed, NotFound
from jiayi.storage.records import (
    AppointmentRecord,
    BookableServiceRecord,
    CentreRecord,
    ScheduleRecord,
    ServiceKind,
    Sex,
    SlotRecord,
)
from jiayi.storage.uow import UnitOfWork

__all__ = [
    "WEEKDAYS",
    "ScheduleBlock",
    "ServiceFields",
    "ServiceKind",
]

WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
WEEKDAY_CODES = {number: code for code, number in WEEKDAYS.items()}


class ScheduleBlock(BaseModel):
    """A weekly session on some weekdays: from start to end, slots of `slot_minutes`, each
    with `capacity` seats; `doctor` is a doctor's link code (optional)."""

    model_config = ConfigDict(extra="forbid")

    weekdays: list[str] = Field(min_length=1)
    start: time
    end: time
    slot_minutes: int = Field(ge=5, le=240)
    capacity: int = Field(ge=1, le=500)
    on_makeup_workdays: bool = False
    doctor: str | None = None

    @model_validator(mode="after")
    def _valid(self) -> ScheduleBlock:
        unknown = [d for d in self.weekdays if d not in WEEKDAYS]
        if unknown:
            raise ValueError(f"unknown weekdays {unknown}; use {list(WEEKDAYS)}")
        if self.end <= self.start:
            raise ValueError("end must be after start")
        window = datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)
        if window < timedelta(minutes=self.slot_minutes):
            raise ValueError(
                f"the window {self.start:%H:%M}–{self.end:%H:%M} is shorter than one "
                f"{self.slot_minutes}-minute slot, so it would never open a slot"
            )
        return self


class ServiceFields(BaseModel):
    """What a service is, without its schedule."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z0-9_]+$", max_length=40)
    kind: ServiceKind
    name: dict[str, str]
    min_notice_minutes: int = Field(default=120, ge=0)
    horizon_days: int = Field(default=14, ge=1, le=90)
    cancel_cutoff_minutes: int = Field(default=120, ge=0)
    min_age_months: int | None = Field(default=None, ge=0)
    max_age_months: int | None = Field(default=None, ge=0)
    requires_referral: bool = False
    sex: Sex | None = None  # only people recorded with this sex

    @model_validator(mode="after")
    def _names(self) -> ServiceFields:
        if not (self.name.get("zh-CN") and self.name.get("en")):
            raise ValueError("name needs zh-CN and en")
        return self

    @model_validator(mode="after")
    def _can_open(self) -> ServiceFields:
        # Rules that exclude everyone load fine and then silently never offer a slot: refuse
        # them here, where the operator reads the reason.
        if (
            self.min_age_months is not None
            and self.max_age_months is not None
            and self.min_age_months > self.max_age_months
        ):
            raise ValueError(
                f"min_age_months {self.min_age_months} is above max_age_months "
                f"{self.max_age_months}, so nobody could ever book it"
            )
        if timedelta(minutes=self.min_notice_minutes) >= timedelta(days=self.horizon_days):
            raise ValueError(
                f"min_notice_minutes {self.min_notice_minutes} reaches past the "
                f"{self.horizon_days}-day booking horizon, so no slot could ever be booked"
            )
        return self


def validation_detail(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())


def parse_service(values: dict[str, object]) -> ServiceFields:
    try:
        return ServiceFields.model_validate(values)
    except ValidationError as error:
        raise InvalidInput("service_invalid", detail=validation_detail(error)) from None


def parse_blocks(values: list[dict[str, object]]) -> list[ScheduleBlock]:
    try:
        return [ScheduleBlock.model_validate(v) for v in values]
    except ValidationError as error:
        raise InvalidInput("schedule_invalid", detail=validation_detail(error)) from None


# --- shared with the YAML loader: inside the caller's open unit of work ---------------------


async def add_service_in(
    uow: UnitOfWork, centre_id: int, fields: ServiceFields
) -> BookableServiceRecord:
    if await uow.booking.service_by_code(centre_id, fields.code) is not None:
        raise InvalidInput("service_code_taken", service=fields.code)
    return await uow.booking.add_service(
        centre_id=centre_id,
        code=fields.code,
        kind=fields.kind,
        name_zh=fields.name["zh-CN"],
        name_en=fields.name["en"],
        min_notice_minutes=fields.min_notice_minutes,
        horizon_days=fields.horizon_days,
        cancel_cutoff_minutes=fields.cancel_cutoff_minutes,
        min_age_months=fields.min_age_months,
        max_age_months=fields.max_age_months,
        requires_referral=fields.requires_referral,
        sex=fields.sex,
    )


async def add_blocks_in(uow: UnitOfWork, service_id: int, blocks: list[ScheduleBlock]) -> int:
    """One schedule row per weekday of each block; returns the rows added."""
    added = 0
    for block in blocks:
        doctor = await uow.doctors.by_link_code(block.doctor) if block.doctor else None
        if block.doctor and doctor is None:
            raise NotFound("doctor_not_found", doctor=block.doctor)
        for weekday in block.weekdays:
            await uow.booking.add_schedule(
                service_id=service_id,
                weekday=WEEKDAYS[weekday],
                start_time=block.start,
                end_time=block.end,
                slot_minutes=block.slot_minutes,
                capacity=block.capacity,
                doctor_id=doctor.id if doctor else None,
                on_makeup_workdays=block.on_makeup_workdays,
            )
            added += 1
    return added


# --- the console ------------------------------------------------------------------------------


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


async def update_service(
    uow: UnitOfWork, actor: Actor, service_id: int, fields: ServiceFields, *, active: bool = True
) -> None:
    """Changes a service's names and rules (its code stays: dedupe keys and tips use it)."""
    require_operator(actor)
    async with uow:
        await uow.begin_write()
        service = await uow.schedules.any_service(service_id)
        if service is None:
            raise NotFound("service_not_found", service=str(service_id))
        if fields.code != service.code:
            raise InvalidInput("service_code_fixed", service=service.code)
        await uow.schedules.update_service(
            service_id,
            kind=fields.kind,
            name_zh=fields.name["zh-CN"],
            name_en=fields.name["en"],
            min_notice_minutes=fields.min_notice_minutes,
            horizon_days=fields.horizon_days,
            cancel_cutoff_minutes=fields.cancel_cutoff_minutes,
            min_age_months=fields.min_age_months,
            max_age_months=fields.max_age_months,
            requires_referral=fields.requires_referral,
            active=active,
        )
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
        service = await uow.schedules.any_service(service_id)
        if service is None:
            raise NotFound("service_not_found", service=str(service_id))
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
