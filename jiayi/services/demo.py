"""Demo data for trying jiayi out: a centre, its family doctors and a few residents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.content.careplans import default_rules
from jiayi.content.points import DEMO_CATALOGUE, parse_catalogue
from jiayi.services import points, readings
from jiayi.services.booking import materialize_slots
from jiayi.services.careplans import add_months
from jiayi.services.clock import Clock
from jiayi.services.people import person_key
from jiayi.storage.records import Condition, ConsentBasis, Relation, ServiceKind, Sex
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


@dataclass(frozen=True)
class _DemoSession:
    weekdays: tuple[int, ...]  # 0 = Monday
    start: time
    end: time
    slot_minutes: int
    capacity: int
    on_makeup_workdays: bool = True
    doctor_link: str | None = None


@dataclass(frozen=True)
class _DemoService:
    code: str
    kind: ServiceKind
    name_zh: str
    name_en: str
    sessions: tuple[_DemoSession, ...]
    min_age_months: int | None = None
    max_age_months: int | None = None
    requires_referral: bool = False
    min_notice_minutes: int = 120
    horizon_days: int = 14
    sex: Sex | None = None


WEEKDAYS = (0, 1, 2, 3, 4)
SATURDAY = (5,)
MORNING = (time(8, 30), time(11, 30))
AFTERNOON = (time(14, 0), time(16, 30))
SERVICES = (
    _DemoService(
        "flu_vaccine",
        ServiceKind.VACCINATION,
        "流感疫苗接种",
        "Flu vaccination",
        (
            _DemoSession(WEEKDAYS, *MORNING, slot_minutes=15, capacity=4),
            # The Saturday-morning vaccination clinic for working parents.
            _DemoSession(SATURDAY, *MORNING, slot_minutes=15, capacity=6),
        ),
        min_age_months=6,
    ),
    _DemoService(
        "child_vaccines",
        ServiceKind.VACCINATION,
        "儿童计划免疫接种",
        "Childhood vaccinations",
        (
            _DemoSession(WEEKDAYS, *MORNING, slot_minutes=15, capacity=3),
            _DemoSession(SATURDAY, *MORNING, slot_minutes=15, capacity=6),
        ),
        min_age_months=0,
        max_age_months=72,
    ),
    _DemoService(
        "pneumo_vaccine",
        ServiceKind.VACCINATION,
        "肺炎球菌疫苗接种",
        "Pneumococcal vaccination",
        # The care plan recommends it from 60 (rule pneumo_60); the polysaccharide vaccine
        # itself is licensed from 2 years for people at risk, so the service takes them too.
        (_DemoSession((1, 3), *MORNING, slot_minutes=15, capacity=4),),
        min_age_months=24,
    ),
    _DemoService(
        "chronic_follow_up",
        ServiceKind.FOLLOW_UP,
        "慢病随访",
        "Chronic disease follow-up",
        (
            _DemoSession(WEEKDAYS, *MORNING, 20, 2, doctor_link="demowang"),
            _DemoSession(WEEKDAYS, *AFTERNOON, 30, 2, doctor_link="demoli"),
        ),
    ),
    _DemoService(
        "contract_confirm",
        ServiceKind.FOLLOW_UP,
        "家庭医生签约确认",
        "Family-doctor contract confirmation",
        # The yearly confirmation (care rule contract_renew) is a short visit to one's doctor.
        (
            _DemoSession(WEEKDAYS, *MORNING, 20, 2, doctor_link="demowang"),
            _DemoSession(WEEKDAYS, *AFTERNOON, 30, 2, doctor_link="demoli"),
        ),
        min_age_months=216,
    ),
    _DemoService(
        "health_checkup",
        ServiceKind.CHECKUP,
        "健康体检",
        "Health check-up",
        # Fasting blood tests: mornings only.
        (_DemoSession(WEEKDAYS, *MORNING, slot_minutes=30, capacity=6),),
        min_notice_minutes=24 * 60,
        horizon_days=21,
    ),
    _DemoService(
        "child_checkup",
        ServiceKind.CHECKUP,
        "儿童健康检查",
        "Child health check-up",
        (_DemoSession((1, 3), *MORNING, slot_minutes=20, capacity=3),),
        min_age_months=0,
        max_age_months=83,
    ),
    _DemoService(
        "maternal_care",
        ServiceKind.CHECKUP,
        "孕产妇保健",
        "Antenatal and postnatal care",
        (_DemoSession((2, 4), *MORNING, slot_minutes=30, capacity=2),),
        min_age_months=14 * 12,
        sex=Sex.FEMALE,
    ),
    _DemoService(
        "hpv_vaccine",
        ServiceKind.VACCINATION,
        "HPV疫苗接种",
        "HPV vaccination",
        (_DemoSession(SATURDAY, *MORNING, slot_minutes=15, capacity=4),),
        min_age_months=108,
    ),
    _DemoService(
        "referral_cardiology",
        ServiceKind.REFERRAL,
        "心内科转诊门诊",
        "Cardiology referral clinic",
        (_DemoSession((1, 3), *AFTERNOON, 30, 2, on_makeup_workdays=False),),
        requires_referral=True,
    ),
    _DemoService(
        "tcm_moxibustion",
        ServiceKind.TCM,
        "中医艾灸",
        "TCM moxibustion",
        (_DemoSession((0, 2, 4), *AFTERNOON, 30, 2, on_makeup_workdays=False),),
    ),
)


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
        services_created = 0
        for offer in SERVICES:
            if await uow.booking.service_by_code(centre.id, offer.code) is not None:
                continue
            service = await uow.booking.add_service(
                centre_id=centre.id,
                code=offer.code,
                kind=offer.kind,
                name_zh=offer.name_zh,
                name_en=offer.name_en,
                min_notice_minutes=offer.min_notice_minutes,
                horizon_days=offer.horizon_days,
                min_age_months=offer.min_age_months,
                max_age_months=offer.max_age_months,
                requires_referral=offer.requires_referral,
                sex=offer.sex,
            )
            for session in offer.sessions:
                doctor = (
                    await uow.doctors.by_link_code(session.doctor_link)
                    if session.doctor_link
                    else None
                )
                for weekday in session.weekdays:
                    await uow.booking.add_schedule(
                        service_id=service.id,
                        weekday=weekday,
                        start_time=session.start,
                        end_time=session.end,
                        slot_minutes=session.slot_minutes,
                        capacity=session.capacity,
                        doctor_id=doctor.id if doctor else None,
                        on_makeup_workdays=session.on_makeup_workdays,
                    )
            services_created += 1
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
