"""Home readings on real databases: who may record for whom, the doctor's urgent alert (once
per person and day), the 30-day summary, consent, erasure and retention."""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from jiayi.services import broadcasts, careplans, family, privacy, readings, residents
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.errors import InvalidInput, NotAllowed
from jiayi.services.family import NewMember, Relation
from jiayi.services.readings import BloodPressure, Glucose, GlucoseContext, Level
from jiayi.services.residents import Condition
from jiayi.services.settings import Settings
from jiayi.storage import models as m
from tests.factories import make_doctor, make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
RESIDENT = 1001
OTHER = 1002
DOCTOR_USER = 900


async def _setup(uow_factory: UnitOfWorkFactory, clock: ManualClock, *, bound: bool = True) -> int:
    doctor = await make_doctor(uow_factory, clock)
    if bound:
        async with uow_factory() as uow:
            await uow.doctors.bind_telegram_user(doctor.id, DOCTOR_USER)
            await uow.commit()
    await make_resident(uow_factory, clock, RESIDENT, conditions=(Condition.HYPERTENSION,))
    await residents.choose_doctor(uow_factory(), clock, RESIDENT, doctor.id, SHANGHAI)
    return doctor.id


async def _alerts(uow_factory: UnitOfWorkFactory) -> list[tuple[int | None, int | None, str]]:
    """(doctor, resident, payload) of every queued urgent-reading alert."""
    o = m.OutboxMessage
    async with uow_factory() as uow:
        rows = await uow.session.execute(
            select(o.doctor_id, o.resident_id, o.payload).where(
                o.kind == readings.KIND_READING_ALERT
            )
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def _count(uow_factory: UnitOfWorkFactory) -> int:
    async with uow_factory() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(m.HomeReading)) or 0)


async def _record(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    value: BloodPressure | Glucose,
    *,
    user: int = RESIDENT,
    member_id: int | None = None,
    at: time | None = None,
) -> readings.Recorded:
    return await readings.record_reading(
        uow_factory(), clock, SHANGHAI, user, member_id, value, at=at
    )


async def test_an_urgent_reading_alerts_the_doctor_once_a_day(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation caught: a dedupe key with the time instead of the day alerts on every reading."""
    doctor_id = await _setup(uow_factory, clock)
    calm = await _record(uow_factory, clock, BloodPressure(128, 78))
    assert calm.level is Level.IN_RANGE
    assert await _alerts(uow_factory) == []

    urgent = await _record(uow_factory, clock, BloodPressure(186, 112))
    assert urgent.level is Level.URGENT
    clock.advance(timedelta(minutes=20))
    await _record(uow_factory, clock, BloodPressure(182, 105))  # the same episode
    alerts = await _alerts(uow_factory)
    assert len(alerts) == 1
    doctor, resident, payload = alerts[0]
    assert doctor == doctor_id
    assert resident is None  # addressed to the doctor
    assert "186/112" in payload

    clock.advance(timedelta(days=1))
    await _record(uow_factory, clock, Glucose(Decimal("2.9"), GlucoseContext.RANDOM))
    assert len(await _alerts(uow_factory)) == 2
    assert await _count(uow_factory) == 4


async def test_no_doctor_bound_still_records(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await _setup(uow_factory, clock, bound=False)
    recorded = await _record(uow_factory, clock, BloodPressure(190, 120))
    assert recorded.level is Level.URGENT
    assert await _alerts(uow_factory) == []
    assert await _count(uow_factory) == 1


async def test_repeatedly_above_target_suggests_the_doctor(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await _setup(uow_factory, clock)
    results = []
    for systolic in (142, 138, 145):
        clock.advance(timedelta(hours=12))
        results.append(await _record(uow_factory, clock, BloodPressure(systolic, 88)))
    assert [r.repeated_above for r in results] == [False, False, True]
    clock.advance(timedelta(hours=12))
    back = await _record(uow_factory, clock, BloodPressure(126, 80))
    assert back.level is Level.IN_RANGE
    assert not back.repeated_above


async def test_a_member_reading_only_by_their_manager(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation caught: not checking the member's manager lets another resident write into
    someone else's father's record."""
    await _setup(uow_factory, clock)
    father = await family.add_member(
        uow_factory(),
        clock,
        RESIDENT,
        NewMember(Relation.PARENT, "张爸爸", date(1944, 5, 1)),
    )
    await make_resident(uow_factory, clock, OTHER, name="陌生人")
    recorded = await _record(uow_factory, clock, BloodPressure(150, 90), member_id=father.id)
    assert recorded.person_name == "张爸爸"
    with pytest.raises(NotAllowed) as refused:
        await _record(uow_factory, clock, BloodPressure(150, 90), user=OTHER, member_id=father.id)
    assert refused.value.code == "member_not_yours"
    assert await _count(uow_factory) == 1

    own = await readings.summary(uow_factory(), clock, SHANGHAI, RESIDENT, None)
    theirs = await readings.summary(uow_factory(), clock, SHANGHAI, RESIDENT, father.id)
    assert (own.bp_count, theirs.bp_count) == (0, 1)


async def test_earlier_today_and_never_the_future(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await _setup(uow_factory, clock)  # the clock reads 10:00 in Shanghai
    recorded = await _record(uow_factory, clock, BloodPressure(130, 80), at=time(7))
    assert recorded.measured_at.astimezone(SHANGHAI).time() == time(7)
    with pytest.raises(InvalidInput) as refused:
        await _record(uow_factory, clock, BloodPressure(130, 80), at=time(19))
    assert refused.value.code == "reading_in_future"


async def test_the_summary_covers_thirty_days(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await _setup(uow_factory, clock)
    await _record(uow_factory, clock, BloodPressure(150, 95))
    clock.advance(timedelta(days=31))
    await _record(uow_factory, clock, BloodPressure(130, 80))
    s = await readings.summary(uow_factory(), clock, SHANGHAI, RESIDENT, None)
    assert (s.bp_count, s.bp_in_range) == (1, 1)


async def test_no_reading_without_consent(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await _setup(uow_factory, clock)
    await privacy.withdraw_consent(uow_factory(), clock, RESIDENT)
    with pytest.raises(NotAllowed):
        await _record(uow_factory, clock, BloodPressure(130, 80))
    assert await _count(uow_factory) == 0


async def test_erasure_and_retention_remove_readings(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await _setup(uow_factory, clock)
    await _record(uow_factory, clock, BloodPressure(130, 80))
    clock.advance(timedelta(days=200))
    await _record(uow_factory, clock, BloodPressure(132, 82))
    removed = await readings.prune(uow_factory(), clock, retention_months=6)
    assert removed == 1
    assert await _count(uow_factory) == 1

    await _record(uow_factory, clock, BloodPressure(190, 115))  # queues a doctor alert
    export = await privacy.export_my_data(uow_factory(), clock, RESIDENT)
    assert len(export.sections["home_readings"]) == 2
    await privacy.erase_my_data(uow_factory(), clock, RESIDENT)
    assert await _count(uow_factory) == 0


async def test_broadcast_segment_of_readings_above_target(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """ "Home readings above target in the last 30 days" reaches the doctor's residents whose
    readings were high, not those on target, not another doctor's, not last quarter's.
    Mutation caught: counting member readings or ignoring the 30-day window."""
    doctor_id = await _setup(uow_factory, clock)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    await make_resident(uow_factory, clock, OTHER, name="李叔叔")
    await residents.choose_doctor(uow_factory(), clock, OTHER, doctor_id, SHANGHAI)
    await _record(uow_factory, clock, BloodPressure(150, 95))  # high, 40 days ago
    clock.advance(timedelta(days=40))
    await _record(uow_factory, clock, BloodPressure(126, 78), user=OTHER)
    segment = [broadcasts.READINGS_HIGH_SEGMENT]
    size = await broadcasts.audience_size(uow_factory(), clock, settings, DOCTOR_USER, segment)
    assert size.size == 0
    await _record(uow_factory, clock, BloodPressure(142, 88), user=OTHER)
    size = await broadcasts.audience_size(uow_factory(), clock, settings, DOCTOR_USER, segment)
    assert size.size == 1


async def _reminders(uow_factory: UnitOfWorkFactory) -> list[tuple[str, str]]:
    """(dedupe key, status) of every queued reminder to measure."""
    o = m.OutboxMessage
    async with uow_factory() as uow:
        rows = await uow.session.execute(
            select(o.dedupe_key, o.status)
            .where(o.kind == readings.KIND_READING_REMINDER)
            .order_by(o.id)
        )
        return [(key, status) for key, status in rows]


async def test_reminders_to_measure_daily_for_a_week_then_weekly(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation caught: planning the morning reminder after it has passed, or planning every
    day after the first week."""
    await _setup(uow_factory, clock)  # 10:00 in Shanghai, day 0 (2026-11-23)
    chosen = await readings.set_reminder(uow_factory(), clock, SHANGHAI, RESIDENT, (7, 19))
    assert chosen is not None
    assert chosen.daily_until == date(2026, 11, 29)
    assert await readings.plan_reminders(uow_factory, clock, SHANGHAI) == 1  # 07:00 passed
    assert await readings.plan_reminders(uow_factory, clock, SHANGHAI) == 0  # idempotent
    clock.advance(timedelta(days=1))
    assert await readings.plan_reminders(uow_factory, clock, SHANGHAI) == 1  # 19:00 only now
    planned_days = []
    for _day in range(2, 16):
        clock.advance(timedelta(days=1))
        if await readings.plan_reminders(uow_factory, clock, SHANGHAI):
            planned_days.append(clock.now().astimezone(SHANGHAI).date().day)
    # Daily to the 29th, then weekly on that weekday (6 and 13 December).
    assert planned_days == [25, 26, 27, 28, 29, 6]


async def test_turning_reminders_off_withdraws_the_queued_ones(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await _setup(uow_factory, clock)
    await readings.set_reminder(uow_factory(), clock, SHANGHAI, RESIDENT, (19,))
    await readings.plan_reminders(uow_factory, clock, SHANGHAI)
    assert [status for _key, status in await _reminders(uow_factory)] == ["pending"]
    assert await readings.set_reminder(uow_factory(), clock, SHANGHAI, RESIDENT, ()) is None
    assert [status for _key, status in await _reminders(uow_factory)] == ["cancelled"]
    clock.advance(timedelta(days=1))
    assert await readings.plan_reminders(uow_factory, clock, SHANGHAI) == 0
    with pytest.raises(InvalidInput):
        await readings.set_reminder(uow_factory(), clock, SHANGHAI, RESIDENT, (3,))


async def test_no_reminders_while_pushes_are_paused(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await _setup(uow_factory, clock)
    await readings.set_reminder(uow_factory(), clock, SHANGHAI, RESIDENT, (19,))
    async with uow_factory() as uow:
        resident = await uow.residents.by_telegram_user(RESIDENT)
        assert resident is not None
        await uow.residents.update(resident.id, clock.now(), pushes_paused_at=clock.now())
        await uow.commit()
    assert await readings.plan_reminders(uow_factory, clock, SHANGHAI) == 0


async def _digest_payloads(uow_factory: UnitOfWorkFactory) -> list[dict[str, Any]]:
    o = m.OutboxMessage
    async with uow_factory() as uow:
        rows = await uow.session.scalars(
            select(o.payload).where(o.kind == careplans.KIND_CARE_DIGEST).order_by(o.id)
        )
        return [json.loads(p) for p in rows]


async def test_the_doctors_digest_lists_readings_above_target(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """A resident whose last week of home readings averages above target is in the doctor's
    digest with a readings line; one on target is not. Mutation caught: flagging on a single
    high reading instead of the week's average."""
    doctor_id = await _setup(uow_factory, clock)
    await make_resident(uow_factory, clock, OTHER, name="李叔叔")
    await residents.choose_doctor(uow_factory(), clock, OTHER, doctor_id, SHANGHAI)
    await careplans.set_digest_frequency(
        uow_factory(), clock, DOCTOR_USER, careplans.DigestFrequency.DAILY, "en"
    )
    for systolic in (150, 146, 138):  # average 145/92: above target
        clock.advance(timedelta(hours=12))
        await _record(uow_factory, clock, BloodPressure(systolic, 92))
    for systolic in (124, 150, 118):  # one high, average 131/80: on target
        await _record(uow_factory, clock, BloodPressure(systolic, 80), user=OTHER)
    clock.advance(timedelta(days=1))
    await careplans.plan_digests(uow_factory, clock, SHANGHAI)
    listed = {
        r["name"]: [i for i in r["items"] if i.get("kind") == "readings"]
        for payload in await _digest_payloads(uow_factory)
        for r in payload["residents"]
    }
    assert listed["张三"] == [
        {
            "kind": "readings",
            "person": "张三",
            "self": True,
            "name_zh": "",
            "name_en": "",
            "due": listed["张三"][0]["due"],
            "bp": [145, 92],
            "fasting": None,
            "urgent": 0,
        }
    ]
    assert listed.get("李叔叔", []) == []
