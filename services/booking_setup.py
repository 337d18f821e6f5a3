"""Bookable services and their weekly schedules, defined per centre as a YAML file
(`jiayi booking load FILE`), and closing a centre for a day (`jiayi booking close-day`).

Example file::

    centre: demo
    phone: "<the centre's desk number>"     # optional: on every appointment message and /help
    address: "<street address>"             # optional, likewise
    services:
      - code: flu_vaccine
        kind: vaccination
        name: {zh-CN: 流感疫苗接种, en: Flu vaccination}
        min_age_months: 6
        schedules:
          - {weekdays: [mon, tue, wed, thu, fri], start: "08:30", end: "11:30",
             slot_minutes: 15, capacity: 4, on_makeup_workdays: true}
          - {weekdays: [sat], start: "08:30", end: "11:30", slot_minutes: 15, capacity: 6}
      - code: maternal_care
        kind: checkup
        name: {zh-CN: 孕产妇保健, en: Antenatal and postnatal care}
        sex: female                         # optional: only people recorded with this sex
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from storage.records import ServiceKind, Sex
from storage.uow import UnitOfWork

from services.booking import AppointmentRecord, close_day, close_slot
from services.clock import Clock
from services.errors import InvalidInput, NotFound

WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


class _Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weekdays: list[str] = Field(min_length=1)
    start: time
    end: time
    slot_minutes: int = Field(ge=5, le=240)
    capacity: int = Field(ge=1, le=500)
    on_makeup_workdays: bool = False
    doctor: str | None = None  # a doctor's link code

    @model_validator(mode="after")
    def _valid(self) -> _Schedule:
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


class _Service(BaseModel):
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
    schedules: list[_Schedule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _names(self) -> _Service:
        if not (self.name.get("zh-CN") and self.name.get("en")):
            raise ValueError("name needs zh-CN and en")
        return self

    @model_validator(mode="after")
    def _can_open(self) -> _Service:
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


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    centre: str
    # The centre's phone and address, on every appointment message (optional: unset = unshown).
    phone: str | None = Field(default=None, min_length=3, max_length=32)
    address: str | None = Field(default=None, min_length=2, max_length=200)
    services: list[_Service] = Field(min_length=1)


@dataclass(frozen=True)
class LoadReport:
    created: list[str]
    existing: list[str]
    schedules: int


def parse_booking_file(path: Path) -> _File:
    try:
        return _File.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as error:
        detail = " ".join(str(error).split())
        raise InvalidInput("booking_file_unreadable", detail=detail) from None
    except ValidationError as error:
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise InvalidInput("booking_file_invalid", detail=detail) from None


async def load_booking_file(uow: UnitOfWork, path: Path) -> LoadReport:
    """Adds the file's services that the centre doesn't have yet, with their schedules.

    Services already present (same code) are left as they are: changing a live service's
    rules under existing bookings is a decision for the centre, not a side effect of a reload.
    """
    spec = parse_booking_file(path)
    created: list[str] = []
    existing: list[str] = []
    schedules = 0
    async with uow:
        await uow.begin_write()
        centre = await uow.centres.by_code(spec.centre)
        if centre is None:
            raise NotFound("centre_not_found", centre=spec.centre)
        if spec.phone is not None or spec.address is not None:
            await uow.centres.set_contact(
                centre.id,
                phone=spec.phone or centre.phone,
                address=spec.address or centre.address,
            )
        for item in spec.services:
            if await uow.booking.service_by_code(centre.id, item.code) is not None:
                existing.append(item.code)
                continue
            service = await uow.booking.add_service(
                centre_id=centre.id,
                code=item.code,
                kind=item.kind,
                name_zh=item.name["zh-CN"],
                name_en=item.name["en"],
                min_notice_minutes=item.min_notice_minutes,
                horizon_days=item.horizon_days,
                cancel_cutoff_minutes=item.cancel_cutoff_minutes,
                min_age_months=item.min_age_months,
                max_age_months=item.max_age_months,
                requires_referral=item.requires_referral,
                sex=item.sex,
            )
            for block in item.schedules:
                doctor = await uow.doctors.by_link_code(block.doctor) if block.doctor else None
                if block.doctor and doctor is None:
                    raise NotFound("doctor_not_found", doctor=block.doctor)
                for weekday in block.weekdays:
                    await uow.booking.add_schedule(
                        service_id=service.id,
                        weekday=WEEKDAYS[weekday],
                        start_time=block.start,
                        end_time=block.end,
                        slot_minutes=block.slot_minutes,
                        capacity=block.capacity,
                        doctor_id=doctor.id if doctor else None,
                        on_makeup_workdays=block.on_makeup_workdays,
                    )
                    schedules += 1
            created.append(item.code)
        await uow.commit()
    return LoadReport(created=created, existing=existing, schedules=schedules)


async def close_centre_day(
    uow: UnitOfWork, clock: Clock, centre_code: str, day: date, zone: ZoneInfo, reason: str
) -> list[AppointmentRecord]:
    async with uow:
        centre = await uow.centres.by_code(centre_code)
    if centre is None:
        raise NotFound("centre_not_found", centre=centre_code)
    return await close_day(uow, clock, centre.id, day, zone, reason)


async def close_centre_slot(
    uow: UnitOfWork,
    clock: Clock,
    centre_code: str,
    service_code: str,
    starts_at: datetime,
    reason: str,
) -> list[AppointmentRecord]:
    """Closes the slot of a service starting at `starts_at` (aware); see booking.close_slot."""
    async with uow:
        centre = await uow.centres.by_code(centre_code)
        if centre is None:
            raise NotFound("centre_not_found", centre=centre_code)
        service = await uow.booking.service_by_code(centre.id, service_code)
        if service is None:
            raise NotFound("service_not_found", service=service_code)
        found = await uow.booking.open_slots(
            service.id, starts_at, starts_at + timedelta(minutes=1)
        )
    if not found:
        raise NotFound("slot_not_found")
    return await close_slot(uow, clock, found[0].id, reason)
