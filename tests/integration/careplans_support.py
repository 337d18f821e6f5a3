"""What the care-plan tests share: the test calendar, Telegram user ids, a doctor with a bound
account and a resident's contract with them, a baby, and the care reminders in the outbox
read item by item. The consent, vaccine-record, privacy and readings tests use them too."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import select

from jiayi.services import careplans, family, residents
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.family import NewMember, Relation
from jiayi.services.residents import Sex
from jiayi.storage import models as m
from jiayi.storage.records import DoctorRecord
from tests.factories import make_doctor

SHANGHAI = ZoneInfo("Asia/Shanghai")
TOKEN = "123456789:TEST-token-for-careplans"
TODAY = date(2026, 11, 23)  # a Monday
PARENT = 4001
HYPERTENSIVE = 4002
ELDER = 4003
OTHER = 4004
DOCTOR_USER = 5001
OTHER_DOCTOR_USER = 5002
BABY = "小宝"


def at_local(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI).astimezone(UTC)


async def reminders(uow_factory: UnitOfWorkFactory, kind: str = "care_reminder") -> list:
    async with uow_factory() as uow:
        rows = (
            await uow.session.scalars(
                select(m.OutboxMessage)
                .where(m.OutboxMessage.kind == kind)
                .order_by(m.OutboxMessage.id)
            )
        ).all()
        # A household card (several items due the same day, one row) counts as its items,
        # each with its own reminder key: these tests are about which items are reminded.
        return [
            SimpleNamespace(
                key=key,
                status="cancelled" if payload.get("withdrawn") else r.status,
                resident_id=r.resident_id,
                doctor_id=r.doctor_id,
                payload=payload,
            )
            for r in rows
            for key, payload in _items(r.dedupe_key, json.loads(r.payload))
        ]


def _items(key: str, payload: dict) -> list[tuple[str, dict]]:
    if not all("key" in item for item in payload.get("items", [{}])):
        return [(key, payload)]
    return [(item["key"], item) for item in payload["items"]]


async def plan(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> int:
    return await careplans.plan_reminders(uow_factory, clock, SHANGHAI)


async def bound_doctor(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, user_id: int, name: str
) -> DoctorRecord:
    doctor = await make_doctor(uow_factory, clock, name=name)
    async with uow_factory() as uow:
        await uow.begin_write()
        await uow.doctors.bind_telegram_user(doctor.id, user_id)
        await uow.commit()
    return doctor


async def contracted(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, user_id: int, doctor: DoctorRecord
) -> None:
    await residents.choose_doctor(uow_factory(), clock, user_id, doctor.id, SHANGHAI)


async def add_baby(uow_factory: UnitOfWorkFactory, clock: ManualClock, born: date) -> int:
    member = await family.add_member(
        uow_factory(),
        clock,
        PARENT,
        NewMember(Relation.CHILD, BABY, born, Sex.MALE),
    )
    return member.id
