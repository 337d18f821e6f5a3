"""make_* factories with named defaults for service and dispatcher tests."""

from __future__ import annotations

from datetime import timedelta

from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.services import doctors, residents
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.residents import Condition, ResidentRecord, Sex
from jiayi.storage.records import CentreRecord, DoctorRecord

CENTRE_CODE = "sunshine"
CENTRE_NAME = "阳光社区卫生服务中心"
CENTRE_NAME_EN = "Sunshine Community Health Centre"
DOCTOR_NAME = "王医生"
OTHER_DOCTOR_NAME = "李医生"
# The current notice: residents made here have consented to it, so nothing gates them.
NOTICE = CONSENT_NOTICE_VERSION
ZONE = "Asia/Shanghai"


async def make_centre(uow_factory: UnitOfWorkFactory, clock: Clock) -> CentreRecord:
    async with uow_factory() as uow:
        await uow.begin_write()  # reads, then writes
        centre = await uow.centres.by_code(CENTRE_CODE)
        if centre is None:
            centre = await uow.centres.add(
                code=CENTRE_CODE,
                name=CENTRE_NAME,
                name_en=CENTRE_NAME_EN,
                timezone=ZONE,
                now=clock.now(),
            )
            await uow.commit()
        return centre


async def make_doctor(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    name: str = DOCTOR_NAME,
    link_code: str | None = None,
) -> DoctorRecord:
    centre = await make_centre(uow_factory, clock)
    async with uow_factory() as uow:
        await uow.begin_write()  # reads, then writes
        doctor = await uow.doctors.add(
            centre_id=centre.id,
            display_name=name,
            link_code=link_code or doctors.new_link_code(),
            now=clock.now(),
        )
        await uow.commit()
        return doctor


async def make_resident(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    telegram_user_id: int = 1001,
    *,
    name: str = "张三",
    locale: str = "zh-CN",
    birth_year: int | None = 1956,
    sex: Sex | None = Sex.FEMALE,
    conditions: tuple[Condition, ...] = (),
    onboarded: bool = True,
) -> ResidentRecord:
    await residents.register(
        uow_factory(),
        clock,
        telegram_user_id=telegram_user_id,
        display_name=name,
        locale=locale,
        notice_version=NOTICE,
    )
    if birth_year is not None:
        await residents.set_birth_year(uow_factory(), clock, telegram_user_id, str(birth_year))
    if sex is not None:
        await residents.set_sex(uow_factory(), clock, telegram_user_id, sex)
    if conditions:
        await residents.set_conditions(uow_factory(), clock, telegram_user_id, conditions)
    if onboarded:
        await residents.complete_onboarding(uow_factory(), clock, telegram_user_id)
    found = await residents.get_resident(uow_factory(), telegram_user_id)
    assert found is not None
    return found


INVITE_TTL = timedelta(hours=72)
