"""The demo seed holds every persona the sandbox offers."""

from __future__ import annotations

from services import doctors, family, residents
from services.clock import ManualClock
from services.database import UnitOfWorkFactory
from services.demo import (
    DEMO_DOCTOR_USER_ID,
    DEMO_ELDERLY_USER_ID,
    DEMO_NEW_USER_ID,
    DEMO_PARENT_USER_ID,
    seed_demo,
)
from services.residents import Condition


async def test_demo_seed_has_the_sandbox_personas(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")

    assert await residents.get_resident(uow_factory(), DEMO_NEW_USER_ID) is None
    elderly = await residents.get_resident(uow_factory(), DEMO_ELDERLY_USER_ID)
    assert elderly is not None
    assert Condition.HYPERTENSION in elderly.conditions
    [child] = await family.list_members(uow_factory(), DEMO_PARENT_USER_ID)
    assert child.birth_date.year == 2024
    doctor = await doctors.doctor_for_user(uow_factory(), DEMO_DOCTOR_USER_ID)
    assert doctor is not None
    assert doctor.display_name == "王医生 Dr Wang"
