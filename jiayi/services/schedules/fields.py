"""What a bookable service and a weekly schedule are (the models both the console and the YAML
loader validate with), and the writes they share inside the caller's unit of work."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TypedDict

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from jiayi.services.errors import InvalidInput, NotFound
from jiayi.storage.records import BookableServiceRecord, ServiceKind, Sex
from jiayi.storage.uow import UnitOfWork

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


class ServiceColumns(TypedDict):
    kind: ServiceKind
    name_zh: str
    name_en: str
    min_notice_minutes: int
    horizon_days: int
    cancel_cutoff_minutes: int
    min_age_months: int | None
    max_age_months: int | None
    requires_referral: bool


def service_columns(fields: ServiceFields) -> ServiceColumns:
    """The columns a service's fields write, when it is made and when it is edited (its code
    and sex are set once, when it is made)."""
    return ServiceColumns(
        kind=fields.kind,
        name_zh=fields.name["zh-CN"],
        name_en=fields.name["en"],
        min_notice_minutes=fields.min_notice_minutes,
        horizon_days=fields.horizon_days,
        cancel_cutoff_minutes=fields.cancel_cutoff_minutes,
        min_age_months=fields.min_age_months,
        max_age_months=fields.max_age_months,
        requires_referral=fields.requires_referral,
    )


async def add_service_in(
    uow: UnitOfWork, centre_id: int, fields: ServiceFields
) -> BookableServiceRecord:
    if await uow.booking.service_by_code(centre_id, fields.code) is not None:
        raise InvalidInput("service_code_taken", service=fields.code)
    return await uow.booking.add_service(
        centre_id=centre_id, code=fields.code, sex=fields.sex, **service_columns(fields)
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
