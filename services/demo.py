"""Demo data for trying jiayi out: a centre, its family doctors and a few residents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from storage.records import Condition, ConsentBasis, Relation, Sex
from storage.uow import UnitOfWork

from services.clock import Clock

DEMO_CENTRE_CODE = "demo"
DEMO_NOTICE_VERSION = "demo"


@dataclass(frozen=True)
class _DemoDoctor:
    name: str
    link_code: str


@dataclass(frozen=True)
class _DemoResident:
    telegram_user_id: int
    name: str
    locale: str
    birth_year: int
    sex: Sex
    conditions: tuple[Condition, ...]
    doctor_link: str
    children: tuple[tuple[str, date, Sex], ...] = ()


DOCTORS = (
    _DemoDoctor("王医生 Dr Wang", "demowang"),
    _DemoDoctor("李医生 Dr Li", "demoli"),
)
# Ids far above real Telegram user ids so demo rows never collide with a real person.
RESIDENTS = (
    _DemoResident(
        9_000_000_001, "张阿姨", "zh-CN", 1955, Sex.FEMALE, (Condition.HYPERTENSION,), "demowang"
    ),
    _DemoResident(
        9_000_000_002,
        "Chen Ming",
        "en",
        1988,
        Sex.MALE,
        (),
        "demoli",
        (("Xiaobao", date(2024, 3, 15), Sex.MALE),),
    ),
    _DemoResident(
        9_000_000_003,
        "刘大爷",
        "zh-CN",
        1942,
        Sex.MALE,
        (Condition.HYPERTENSION, Condition.DIABETES),
        "demowang",
    ),
)


@dataclass(frozen=True)
class SeedReport:
    centre_created: bool
    doctors_created: int
    residents_created: int


async def seed_demo(uow: UnitOfWork, clock: Clock, *, timezone: str) -> SeedReport:
    """Idempotent: running it twice creates nothing the second time."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        centre = await uow.centres.by_code(DEMO_CENTRE_CODE)
        centre_created = centre is None
        if centre is None:
            centre = await uow.centres.add(
                code=DEMO_CENTRE_CODE,
                name="阳光社区卫生服务中心",
                name_en="Sunshine Community Health Centre",
                timezone=timezone,
                now=now,
            )
        doctors_created = 0
        for spec in DOCTORS:
            if await uow.doctors.by_link_code(spec.link_code) is None:
                await uow.doctors.add(
                    centre_id=centre.id, display_name=spec.name, link_code=spec.link_code, now=now
                )
                doctors_created += 1
        residents_created = 0
        for r in RESIDENTS:
            if await uow.residents.by_telegram_user(r.telegram_user_id) is not None:
                continue
            resident = await uow.residents.add(
                telegram_user_id=r.telegram_user_id,
                display_name=r.name,
                locale=r.locale,
                consent_version=DEMO_NOTICE_VERSION,
                now=now,
            )
            await uow.residents.update(
                resident.id, now, birth_year=r.birth_year, sex=r.sex.value, onboarded_at=now
            )
            await uow.residents.set_conditions(resident.id, r.conditions)
            doctor = await uow.doctors.by_link_code(r.doctor_link)
            assert doctor is not None
            await uow.contracts.add(
                resident_id=resident.id,
                doctor_id=doctor.id,
                starts_on=now.date(),
                ends_on=date(now.year + 1, 12, 31),
                now=now,
            )
            for name, born, sex in r.children:
                await uow.family.add(
                    resident_id=resident.id,
                    display_name=name,
                    relation=Relation.CHILD,
                    birth_date=born,
                    sex=sex,
                    conditions=(),
                    consent_basis=ConsentBasis.GUARDIAN,
                    now=now,
                )
            residents_created += 1
        await uow.commit()
    return SeedReport(centre_created, doctors_created, residents_created)
