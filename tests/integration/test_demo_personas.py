"""The demo seed holds every persona the sandbox offers."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from sqlalchemy import select

from jiayi.content.careplans import default_rules
from jiayi.services import booking, careplans, doctors, family, readings, residents
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.demo import (
    DEMO_DOCTOR_USER_ID,
    DEMO_ELDERLY_USER_ID,
    DEMO_NEW_USER_ID,
    DEMO_PARENT_USER_ID,
    SERVICES,
    seed_demo,
)
from jiayi.services.residents import Condition
from jiayi.storage import models as m


async def test_demo_seed_has_the_sandbox_personas(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")

    assert await residents.get_resident(uow_factory(), DEMO_NEW_USER_ID) is None
    elderly = await residents.get_resident(uow_factory(), DEMO_ELDERLY_USER_ID)
    assert elderly is not None
    assert Condition.HYPERTENSION in elderly.conditions
    # 张阿姨's two weeks of home blood pressure, morning and evening, seeded once: /readings
    # shows a chart in the sandbox.
    shown = await readings.summary(
        uow_factory(), clock, ZoneInfo("Asia/Shanghai"), DEMO_ELDERLY_USER_ID, None
    )
    assert (shown.bp_count, shown.glucose_count) == (28, 0)
    assert shown.morning is not None
    assert shown.evening is not None
    [child] = await family.list_members(uow_factory(), DEMO_PARENT_USER_ID)
    assert child.birth_date.year == 2024
    doctor = await doctors.doctor_for_user(uow_factory(), DEMO_DOCTOR_USER_ID)
    assert doctor is not None
    assert doctor.display_name == "王医生 Dr Wang"


def test_every_care_rule_that_asks_to_book_has_a_demo_service() -> None:
    # Otherwise its reminder in the sandbox comes without "Book now".
    demo = [(0, offer.code, offer.kind) for offer in SERVICES]
    missing = [
        rule.id
        for rule in default_rules()
        if rule.book_kind is not None
        and not any(rule.fulfilled_by(code, kind) for _, code, kind in demo)
    ]
    assert missing == []


async def test_the_elderly_persona_can_book_the_pneumococcal_vaccine_from_its_reminder(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    zone = ZoneInfo("Asia/Shanghai")
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    await careplans.plan_reminders(uow_factory, clock, zone)
    async with uow_factory() as uow:
        payloads = (
            await uow.session.scalars(
                select(m.OutboxMessage.payload)
                .join(m.Resident, m.Resident.id == m.OutboxMessage.resident_id)
                .where(
                    m.OutboxMessage.kind == "care_reminder",
                    m.Resident.telegram_user_id == DEMO_ELDERLY_USER_ID,
                )
            )
        ).all()
    # Her items due today come in one household card: each item is in its "items".
    items = [i for p in map(json.loads, payloads) for i in p.get("items", [p])]
    [pneumo] = [p for p in items if p["rule"] == "pneumo_60"]
    # "Book now" goes to the centre's pneumococcal clinic, which has seats for her.
    assert pneumo["service_id"] is not None
    service = await booking.get_service(uow_factory(), pneumo["service_id"])
    assert service.name_en == "Pneumococcal vaccination"
    assert await booking.available_days(
        uow_factory(), clock, DEMO_ELDERLY_USER_ID, service.id, None, zone
    )
