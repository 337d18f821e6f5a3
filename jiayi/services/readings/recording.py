"""Storing a reading: whose it is, when it was measured, the doctor's alert for an urgent one,
points for measuring regularly; and deleting readings past their retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from jiayi.content.readings import Thresholds, load_thresholds
from jiayi.services import points
from jiayi.services.clock import Clock
from jiayi.services.errors import InvalidInput, NotAllowed, NotFound
from jiayi.services.people import require_onboarded_resident
from jiayi.services.push.readings import (
    ReadingAlert,
    alert_key,
)
from jiayi.services.readings.values import (
    KIND_READING_ALERT,
    READINGS_FOR_POINTS,
    BloodPressure,
    Glucose,
    Level,
    Value,
    classify,
)
from jiayi.storage.records import FamilyMemberRecord, ResidentRecord
from jiayi.storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Recorded:
    person_name: str
    value: Value
    level: Level
    # The latest few readings of this kind were all off target: suggest telling the doctor.
    repeated_above: bool
    measured_at: datetime
    # An urgent low glucose: the advice starts with taking some sugar.
    low: bool = False


async def subject(
    uow: UnitOfWork, telegram_user_id: int, member_id: int | None
) -> tuple[ResidentRecord, FamilyMemberRecord | None]:
    resident = await require_onboarded_resident(uow, telegram_user_id)
    if resident.consent_withdrawn_at is not None:
        # The consent gate stops this earlier; health data is never stored without consent.
        raise NotAllowed("not_allowed")
    if member_id is None:
        return resident, None
    member = await uow.family.get(member_id)
    if member is None:
        raise NotFound("member_not_found")
    if member.resident_id != resident.id:
        raise NotAllowed("member_not_yours")
    return resident, member


def _measured_at(now: datetime, at: time | None, zone: ZoneInfo) -> datetime:
    """Now, or a time earlier today (local); a time later than now means yesterday's."""
    if at is None:
        return now
    local_now = now.astimezone(zone)
    local = datetime.combine(local_now.date(), at, tzinfo=zone)
    if local > local_now:
        raise InvalidInput("reading_in_future")
    return local.astimezone(now.tzinfo)


async def record_reading(
    uow: UnitOfWork,
    clock: Clock,
    zone: ZoneInfo,
    telegram_user_id: int,
    member_id: int | None,
    value: Value,
    *,
    at: time | None = None,
    thresholds: Thresholds | None = None,
) -> Recorded:
    """Stores a plausible reading for the resident or a family member they manage and
    classifies it; an urgent one also queues an alert to the family doctor (once per person
    per local day)."""
    t = thresholds or load_thresholds()
    now = clock.now()
    measured_at = _measured_at(now, at, zone)
    level = classify(value, t)
    async with uow:
        await uow.begin_write()
        resident, member = await subject(uow, telegram_user_id, member_id)
        fields: dict[str, int | str | None]
        if isinstance(value, BloodPressure):
            fields = {
                "systolic": value.systolic,
                "diastolic": value.diastolic,
                "pulse": value.pulse,
            }
        else:
            fields = {
                "glucose_tenths": int(value.mmol * 10),
                "context": value.context.value,
            }
        await uow.readings.add(
            resident_id=resident.id,
            member_id=member_id,
            kind=value.kind.value,
            level=level.value,
            measured_at=measured_at,
            now=now,
            **fields,  # type: ignore[arg-type]
        )
        latest = await uow.readings.latest(
            resident.id, member_id, value.kind.value, limit=t.repeated_above
        )
        repeated = len(latest) == t.repeated_above and all(
            r.level != Level.IN_RANGE.value for r in latest
        )
        name = member.display_name if member else resident.display_name
        await _award_regular_measuring(uow, resident.id, now, zone)
        if level is Level.URGENT:
            await _alert_doctor(uow, resident, member, value, measured_at, now, zone)
        await uow.commit()
    low = (
        level is Level.URGENT
        and isinstance(value, Glucose)
        and float(value.mmol) <= t.glucose.urgent.at_most
    )
    return Recorded(name, value, level, repeated, measured_at, low)


def bp_target_text(thresholds: Thresholds | None = None) -> str:
    target = (thresholds or load_thresholds()).blood_pressure.target
    return f"{target.systolic_below}/{target.diastolic_below}"


async def _award_regular_measuring(
    uow: UnitOfWork, resident_id: int, now: datetime, zone: ZoneInfo
) -> None:
    """Health points once a month for the household that measured regularly."""
    local = now.astimezone(zone)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    recorded = await uow.readings.count_recorded_between(resident_id, start, end)
    if recorded >= READINGS_FOR_POINTS:
        await points.award(
            uow,
            now,
            zone,
            resident_id,
            points.Rule.HOME_READINGS,
            f"readings:{resident_id}:{start:%Y-%m}",
        )


async def _alert_doctor(
    uow: UnitOfWork,
    resident: ResidentRecord,
    member: FamilyMemberRecord | None,
    value: Value,
    measured_at: datetime,
    now: datetime,
    zone: ZoneInfo,
) -> None:
    contract = await uow.contracts.open_for(resident.id)
    doctor = await uow.doctors.get(contract.doctor_id) if contract else None
    if doctor is None or not doctor.active or doctor.telegram_user_id is None:
        return
    payload = ReadingAlert(
        resident_id=resident.id,
        name=member.display_name if member else resident.display_name,
        resident_name=resident.display_name,
        kind=value.kind.value,
        value=value.text(),
        context=value.context.value if isinstance(value, Glucose) else None,
        measured_at=measured_at,
    )
    await uow.outbox.enqueue(
        resident_id=None,
        doctor_id=doctor.id,
        kind=KIND_READING_ALERT,
        # One alert per person and local day: an episode of urgent readings is one alert.
        dedupe_key=alert_key(
            resident.id, member.id if member else None, str(measured_at.astimezone(zone).date())
        ),
        payload=payload.to_json(),
        not_before=now,
        now=now,
    )


async def prune(uow: UnitOfWork, clock: Clock, retention_months: int) -> int:
    """Deletes readings older than the retention period (a daily job)."""
    cutoff = clock.now() - timedelta(days=round(retention_months * 30.44))
    async with uow:
        await uow.begin_write()
        removed = await uow.readings.prune_before(cutoff)
        await uow.commit()
    return removed
