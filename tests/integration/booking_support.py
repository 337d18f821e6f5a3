"""What the booking tests share: the test calendar (a Monday in Shanghai), Telegram user ids,
service codes, factories (services, weekly schedules, slots, children, doctors with a bound
account) and readers of seats and the outbox. The points, desk, privacy, care-plan and race
tests use them too."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from jiayi.services import family
from jiayi.services.booking import BookableServiceRecord, ServiceKind, SlotRecord
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.errors import DomainError
from jiayi.services.family import NewMember, Relation
from jiayi.services.residents import Sex
from jiayi.storage import models as m
from jiayi.storage.records import DoctorRecord, FamilyMemberRecord
from tests.factories import make_centre, make_doctor

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 23)  # a Monday; T0 is 10:00 local
TOMORROW = TODAY + timedelta(days=1)

PARENT = 2001  # Telegram user ids
NEIGHBOUR = 2002
THIRD = 2003
FOURTH = 2004
DOCTOR_USER = 3001
OTHER_CENTRE_DOCTOR_USER = 3002
COLLEAGUE_USER = 3003  # a second doctor of the test centre

CHILD_NAME = "小宝"
CHILD_BORN = date(2024, 3, 15)  # 32 months old on TODAY
BABY_BORN = date(2026, 5, 26)  # six months old on 26 November 2026
FLU = "flu_vaccine"
CHILD_VACCINES = "child_vaccines"
CARDIOLOGY = "referral_cardiology"
CHECKUP = "health_checkup"
HOLD = timedelta(minutes=30)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI).astimezone(UTC)


async def refused(code: str, call: Awaitable[object]) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await call
    assert caught.value.code == code
    return caught.value


# --- factories ------------------------------------------------------------------------------


async def make_service(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    code: str = FLU,
    kind: ServiceKind = ServiceKind.VACCINATION,
    *,
    centre_id: int | None = None,
    **options: object,
) -> BookableServiceRecord:
    if centre_id is None:
        centre_id = (await make_centre(uow_factory, clock)).id
    async with uow_factory() as uow:
        await uow.begin_write()
        service = await uow.booking.add_service(
            centre_id=centre_id,
            code=code,
            kind=kind,
            name_zh=f"{code} 中文",
            name_en=f"{code} English",
            **options,  # type: ignore[arg-type]
        )
        await uow.commit()
        return service


async def make_schedule(
    uow_factory: UnitOfWorkFactory,
    service: BookableServiceRecord,
    weekday: int,
    *,
    start: time = time(8, 30),
    end: time = time(9, 30),
    slot_minutes: int = 30,
    capacity: int = 2,
    on_makeup_workdays: bool = False,
) -> None:
    async with uow_factory() as uow:
        await uow.begin_write()
        await uow.booking.add_schedule(
            service_id=service.id,
            weekday=weekday,
            start_time=start,
            end_time=end,
            slot_minutes=slot_minutes,
            capacity=capacity,
            on_makeup_workdays=on_makeup_workdays,
        )
        await uow.commit()


async def make_slot(
    uow_factory: UnitOfWorkFactory,
    service: BookableServiceRecord,
    starts_at: datetime,
    *,
    capacity: int = 2,
    minutes: int = 30,
    doctor_id: int | None = None,
) -> SlotRecord:
    async with uow_factory() as uow:
        await uow.begin_write()
        await uow.booking.add_slot(
            service_id=service.id,
            doctor_id=doctor_id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes),
            capacity=capacity,
        )
        await uow.commit()
        slots = await uow.booking.open_slots(
            service.id, starts_at, starts_at + timedelta(seconds=1)
        )
        return slots[0]


async def make_child(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    parent: int = PARENT,
    *,
    name: str = CHILD_NAME,
    born: date = CHILD_BORN,
) -> FamilyMemberRecord:
    return await family.add_member(
        uow_factory(), clock, parent, NewMember(Relation.CHILD, name, born, Sex.MALE)
    )


async def make_doctor_user(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    telegram_user_id: int = DOCTOR_USER,
    *,
    centre_code: str | None = None,
) -> DoctorRecord:
    """A doctor with a bound Telegram account, at the test centre or another one."""
    if centre_code is None:
        doctor = await make_doctor(uow_factory, clock)
    else:
        async with uow_factory() as uow:
            await uow.begin_write()
            centre = await uow.centres.add(
                code=centre_code,
                name="河畔社区卫生服务中心",
                name_en="Riverside Community Health Centre",
                timezone="Asia/Shanghai",
                now=clock.now(),
            )
            doctor = await uow.doctors.add(
                centre_id=centre.id, display_name="赵医生", link_code=centre_code, now=clock.now()
            )
            await uow.commit()
    async with uow_factory() as uow:
        await uow.begin_write()
        await uow.doctors.bind_telegram_user(doctor.id, telegram_user_id)
        await uow.commit()
    async with uow_factory() as uow:
        bound = await uow.doctors.get(doctor.id)
    # The record as it is now, with the account bound: callers act as this Telegram user.
    assert bound is not None
    assert bound.telegram_user_id == telegram_user_id
    return bound


async def slot_now(uow_factory: UnitOfWorkFactory, slot_id: int) -> SlotRecord:
    async with uow_factory() as uow:
        found = await uow.booking.slot(slot_id)
        assert found is not None
        return found


async def outbox_rows(uow_factory: UnitOfWorkFactory) -> list[SimpleNamespace]:
    table = m.OutboxMessage.__table__
    async with uow_factory() as uow:
        result = await uow.session.execute(select(table).order_by(table.c.id))
        return [SimpleNamespace(**row) for row in result.mappings()]


async def outbox_by_key(uow_factory: UnitOfWorkFactory) -> dict[str, SimpleNamespace]:
    return {row.dedupe_key: row for row in await outbox_rows(uow_factory)}


async def slot_days(uow_factory: UnitOfWorkFactory, service_id: int) -> set[date]:
    async with uow_factory() as uow:
        slots = await uow.booking.open_slots(
            service_id, datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
        )
    return {s.starts_at.astimezone(SHANGHAI).date() for s in slots}
