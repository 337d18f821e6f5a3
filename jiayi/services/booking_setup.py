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

The demo centre's catalogue, content/booking/demo.yaml, is a complete file in this format;
`jiayi seed-demo` loads it with load_booking_in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jiayi.services.booking import AppointmentRecord, close_day, close_slot
from jiayi.services.clock import Clock
from jiayi.services.errors import InvalidInput, NotFound
from jiayi.services.schedules.fields import (
    WEEKDAYS,
    ScheduleBlock,
    ServiceFields,
    add_blocks_in,
    add_service_in,
    validation_detail,
)
from jiayi.storage.uow import UnitOfWork

__all__ = [
    "WEEKDAYS",
    "BookingFile",
    "LoadReport",
    "close_centre_day",
    "close_centre_slot",
    "load_booking_file",
    "load_booking_in",
    "parse_booking_file",
]


class _Service(ServiceFields):
    schedules: list[ScheduleBlock] = Field(default_factory=list)


class BookingFile(BaseModel):
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


def parse_booking_file(path: Path) -> BookingFile:
    try:
        return BookingFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as error:
        detail = " ".join(str(error).split())
        raise InvalidInput("booking_file_unreadable", detail=detail) from None
    except ValidationError as error:
        raise InvalidInput("booking_file_invalid", detail=validation_detail(error)) from None


async def load_booking_file(uow: UnitOfWork, path: Path) -> LoadReport:
    """Adds the file's services that the centre doesn't have yet, with their schedules.

    Services already present (same code) are left as they are: changing a live service's
    rules under existing bookings is a decision for the centre, not a side effect of a reload.
    """
    spec = parse_booking_file(path)
    async with uow:
        await uow.begin_write()
        report = await load_booking_in(uow, spec)
        await uow.commit()
    return report


async def load_booking_in(uow: UnitOfWork, spec: BookingFile) -> LoadReport:
    """load_booking_file's writes, inside the caller's open unit of work (the demo seed loads
    its catalogue, content/booking/demo.yaml, in the same transaction as its centre)."""
    created: list[str] = []
    existing: list[str] = []
    schedules = 0
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
        # The console's code path: the same checks and writes as a service made there.
        service = await add_service_in(uow, centre.id, item)
        schedules += await add_blocks_in(uow, service.id, item.schedules)
        created.append(item.code)
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
