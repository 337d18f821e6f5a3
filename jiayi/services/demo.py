"""Demo data for trying jiayi out: a centre, its family doctors and a few residents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from jiayi.content import CONSENT_NOTICE_VERSION, CONTENT_DIR
from jiayi.content.careplans import default_rules
from jiayi.content.points import DEMO_CATALOGUE, parse_catalogue
from jiayi.services import points, readings
from jiayi.services.booking import materialize_slots
from jiayi.services.booking_setup import load_booking_in, parse_booking_file
from jiayi.services.careplans import add_months
from jiayi.services.clock import Clock
from jiayi.services.people import person_key
from jiayi.storage.records import Condition, ConsentBasis, Relation, Sex
from jiayi.storage.uow import UnitOfWork

DEMO_CENTRE_CODE = "demo"


@dataclass(frozen=True)
class _DemoDoctor:
    name: str
    link_code: str
    telegram_user_id: int | None = None


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


# Telegram user ids of the demo personas (the local sandbox lets a visitor be any of them).
# Ids far above real Telegram user ids so demo rows never collide with a real person.
DEMO_ELDERLY_USER_ID = 9_000_000_001  # 张阿姨, 71, hypertension, Dr Wang's resident
DEMO_PARENT_USER_ID = 9_000_000_002  # Chen Ming, parent of Xiaobao (born 2024-03-15)
DEMO_NEW_USER_ID = 9_000_000_010  # has opened the bot, not signed up: no rows at all
# The new persona's phone, as Telegram shares it (digits, country code first): the number a
# roster import can list to see the sign-up match in the sandbox.
DEMO_NEW_PHONE = "8613800138000"
DEMO_DOCTOR_USER_ID = 9_000_000_101  # 王医生 Dr Wang's own Telegram account
DEMO_OPERATOR_USER_ID = 9_000_000_900  # the centre's operator (the sandbox adds it to admins)

DOCTORS = (
    _DemoDoctor("王医生 Dr Wang", "demowang", DEMO_DOCTOR_USER_ID),
    _DemoDoctor("李医生 Dr Li", "demoli"),
)
RESIDENTS = (
    _DemoResident(
        DEMO_ELDERLY_USER_ID,
        "张阿姨",
        "zh-CN",
        1955,
        Sex.FEMALE,
        (Condition.HYPERTENSION,),
        "demowang",
    ),
    _DemoResident(
        DEMO_PARENT_USER_ID,
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


# The demo centre's catalogue of bookable services and their weekly schedules: a booking file
# like any centre's, loaded by the same loader (`jiayi booking load`).
DEMO_BOOKING_FILE = CONTENT_DIR / "booking" / "demo.yaml"
DEMO_BOOKING = parse_booking_file(DEMO_BOOKING_FILE)
SERVICES = tuple(DEMO_BOOKING.services)


# Care-plan history, so that /plan shows a mix of done, due soon and overdue items: the
# children's programme doses up to this age are recorded, the rest wait (some are late);
# chronic patients had their last follow-up this many days ago; the oldest resident has a
# long-term prescription running out in a week.
DEMO_DOSES_UP_TO_MONTHS = 12
DEMO_LAST_FOLLOW_UP_DAYS = 80
DEMO_PRESCRIPTION = (8, 49)  # weeks, prescribed this many days ago


async def _seed_care_history(
    uow: UnitOfWork,
    spec: _DemoResident,
    resident_id: int,
    member_id: int | None,
    born: date | None,
    doctor_id: int,
    now: datetime,
) -> None:
    key = person_key(resident_id, member_id)
    entries: list[tuple[str, date]] = []
    if born is not None:
        for rule in default_rules():
            if not rule.record:
                continue  # only the programme's vaccines
            entries += [
                (rule.id, add_months(born, d.age_months))
                for d in rule.doses
                if d.age_months <= DEMO_DOSES_UP_TO_MONTHS
            ]
    else:
        last = now.date() - timedelta(days=DEMO_LAST_FOLLOW_UP_DAYS)
        if Condition.HYPERTENSION in spec.conditions:
            entries.append(("htn_follow_up", last))
        if Condition.DIABETES in spec.conditions:
            entries.append(("dm_follow_up", last))
    for rule_id, day in entries:
        await uow.careplans.add_done(
            resident_id=resident_id,
            member_id=member_id,
            person_key=key,
            rule_id=rule_id,
            done_on=day,
            source="doctor",
            now=now,
            doctor_id=doctor_id,
        )
    if born is None and spec.birth_year <= now.year - 80:
        weeks, days_ago = DEMO_PRESCRIPTION
        await uow.careplans.add_prescription(
            resident_id=resident_id,
            member_id=None,
            person_key=key,
            weeks=weeks,
            prescribed_on=now.date() - timedelta(days=days_ago),
            doctor_id=doctor_id,
            now=now,
        )


# Two weeks of home blood pressure, morning and evening, so /readings has a chart to show.
DEMO_READING_DAYS = 14


async def _seed_readings(uow: UnitOfWork, resident_id: int, now: datetime, zone: ZoneInfo) -> None:
    today = now.astimezone(zone).date()
    for back in range(DEMO_READING_DAYS, 0, -1):
        day = today - timedelta(days=back)
        for i, hour in enumerate((7, 19)):
            systolic = 128 + (back * 7 + i * 5) % 17
            value = readings.BloodPressure(systolic, 76 + (back * 5 + i * 3) % 11)
            await uow.readings.add(
                resident_id=resident_id,
                member_id=None,
                kind=value.kind.value,
                level=readings.classify(value).value,
                measured_at=datetime.combine(day, time(hour), tzinfo=zone),
                now=now,
                systolic=value.systolic,
                diastolic=value.diastolic,
            )


@dataclass(frozen=True)
class SeedReport:
    centre_created: bool
    doctors_created: int
    residents_created: int
    services_created: int = 0
    slots_created: int = 0
    rewards_created: int = 0


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
            doctor = await uow.doctors.by_link_code(spec.link_code)
            if doctor is None:
                doctor = await uow.doctors.add(
                    centre_id=centre.id, display_name=spec.name, link_code=spec.link_code, now=now
                )
                doctors_created += 1
                # Bound once, at creation: a later invite may move the doctor to another account.
                if (
                    spec.telegram_user_id is not None
                    and await uow.doctors.by_telegram_user(spec.telegram_user_id) is None
                ):
                    await uow.doctors.bind_telegram_user(doctor.id, spec.telegram_user_id)
        residents_created = 0
        for r in RESIDENTS:
            if await uow.residents.by_telegram_user(r.telegram_user_id) is not None:
                continue
            resident = await uow.residents.add(
                telegram_user_id=r.telegram_user_id,
                display_name=r.name,
                locale=r.locale,
                consent_version=CONSENT_NOTICE_VERSION,
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
            await _seed_care_history(uow, r, resident.id, None, None, doctor.id, now)
            if Condition.HYPERTENSION in r.conditions:
                await _seed_readings(uow, resident.id, now, ZoneInfo(timezone))
            for name, born, sex in r.children:
                member = await uow.family.add(
                    resident_id=resident.id,
                    display_name=name,
                    relation=Relation.CHILD,
                    birth_date=born,
                    sex=sex,
                    conditions=(),
                    consent_basis=ConsentBasis.GUARDIAN,
                    now=now,
                )
                await _seed_care_history(uow, r, resident.id, member.id, born, doctor.id, now)
            residents_created += 1
        # After the doctors: the catalogue's schedules name them by link code.
        services_created = len((await load_booking_in(uow, DEMO_BOOKING)).created)
        await uow.commit()
    slots_created = await materialize_slots(uow, clock, ZoneInfo(timezone))
    # Health-points rewards from the shipped demo catalogue; stock of existing ones untouched.
    rewards = await points.load_catalogue(
        uow, parse_catalogue(DEMO_CATALOGUE), update_existing=False
    )
    return SeedReport(
        centre_created,
        doctors_created,
        residents_created,
        services_created,
        slots_created,
        len(rewards.created),
    )
