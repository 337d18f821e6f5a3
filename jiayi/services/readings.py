"""Home readings: blood pressure and glucose a resident sends in the chat.

A reading is checked against the thresholds in content/readings/thresholds.yaml (data with
its sources): implausible values are refused ("please measure again") and never stored;
stored ones are classified as in range, above target or urgent. An urgent reading alerts the
person's family doctor through the outbox (a doctor-addressed push, once per person and local
day). The bot's advice stays general — keep it up, tell your doctor, or seek care now — and
never a dose. A reading never closes a follow-up by itself: the doctor decides (careplans).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from statistics import mean
from zoneinfo import ZoneInfo

from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.content.careplans import default_rules
from jiayi.content.readings import GlucoseContext, Thresholds, load_thresholds
from jiayi.content.render import Renderer
from jiayi.services import points
from jiayi.services.clock import Clock
from jiayi.services.console import audit, require_doctor
from jiayi.services.delivery import OutboxDispatcher, OutgoingMessage
from jiayi.services.errors import InvalidInput, NotAllowed, NotFound
from jiayi.services.people import require_onboarded_resident, resident_key
from jiayi.services.push import PushKind
from jiayi.services.push.readings import (
    ReadingAlert,
    ReadingReminder,
    alert_key,
    reminder_key,
    reminder_prefix,
)
from jiayi.services.settings import LOCALES, Settings
from jiayi.storage.readings import ReadingRecord, ReminderRecord
from jiayi.storage.records import Condition, Delivery, FamilyMemberRecord, ResidentRecord
from jiayi.storage.uow import UnitOfWork

__all__ = [
    "KIND_READING_ALERT",
    "BloodPressure",
    "Glucose",
    "GlucoseContext",
    "Level",
    "ReadingKind",
    "Recorded",
    "ReminderRecord",
    "Summary",
    "classify",
    "parse_blood_pressure",
    "parse_glucose",
    "record_reading",
    "summary",
]

KIND_READING_ALERT = PushKind.READING_ALERT
# A reminder to measure at home, at the hours the resident chose (off by default).
KIND_READING_REMINDER = PushKind.READING_REMINDER
# Twice a day for a week (the guidelines' week of home readings before a follow-up), then
# once a week on the same weekday.
REMINDER_DAILY_DAYS = 7
REMINDER_HOURS = range(6, 22)
SUMMARY_DAYS = 30
# "Measured regularly" (health points, content/points/rules.yaml): this many readings a month.
READINGS_FOR_POINTS = 10
# Readings are kept for a year (a family-doctor contract's length) unless the centre says
# otherwise (JIAYI_READINGS_RETENTION_MONTHS).
DEFAULT_RETENTION_MONTHS = 12
# Morning readings are those taken before noon, local time (home monitoring's two slots).
MORNING_ENDS = time(12, 0)

_BP = re.compile(r"^\s*(\d{2,3})\s*[/／\\,，\s]\s*(\d{2,3})(?:\s*[,，\s]\s*(\d{2,3}))?\s*$")
_NUMBER = re.compile(r"^\s*(\d{1,2}(?:[.．,，]\d{1,2})?)\s*(?:mmol(?:/l)?)?\s*$", re.IGNORECASE)


class ReadingKind(StrEnum):
    BLOOD_PRESSURE = "bp"
    GLUCOSE = "glucose"


class Level(StrEnum):
    IN_RANGE = "in_range"
    ABOVE = "above"  # above target (or, for glucose, outside the target band)
    URGENT = "urgent"  # seek care now


@dataclass(frozen=True, slots=True)
class BloodPressure:
    systolic: int
    diastolic: int
    pulse: int | None = None

    kind = ReadingKind.BLOOD_PRESSURE

    def text(self) -> str:
        return f"{self.systolic}/{self.diastolic}"


@dataclass(frozen=True, slots=True)
class Glucose:
    mmol: Decimal  # one decimal place
    context: GlucoseContext

    kind = ReadingKind.GLUCOSE

    def text(self) -> str:
        return f"{self.mmol}"


Value = BloodPressure | Glucose


def parse_blood_pressure(text: str | None, thresholds: Thresholds | None = None) -> BloodPressure:
    """ "135/85", "135 85" or "135/85 72" (pulse) → a plausible reading, or InvalidInput:
    `reading_format` when it isn't two numbers, `reading_implausible` when it can't be right
    (e.g. systolic ≤ 50 or ≥ 300, diastolic not below systolic)."""
    match = _BP.match(text or "")
    if match is None:
        raise InvalidInput("reading_format")
    systolic, diastolic = int(match.group(1)), int(match.group(2))
    pulse = int(match.group(3)) if match.group(3) else None
    limits = (thresholds or load_thresholds()).blood_pressure.plausible
    if (
        not limits.systolic[0] <= systolic <= limits.systolic[1]
        or not limits.diastolic[0] <= diastolic <= limits.diastolic[1]
        or diastolic >= systolic
        or (pulse is not None and not limits.pulse[0] <= pulse <= limits.pulse[1])
    ):
        raise InvalidInput("reading_implausible")
    return BloodPressure(systolic, diastolic, pulse)


def parse_glucose(
    text: str | None, context: GlucoseContext, thresholds: Thresholds | None = None
) -> Glucose:
    """ "7.2" (mmol/L, one decimal) → a plausible reading, or InvalidInput (`reading_format`,
    `reading_implausible` for ≤ 1 or ≥ 35 mmol/L)."""
    match = _NUMBER.match(text or "")
    if match is None:
        raise InvalidInput("reading_format")
    raw = match.group(1).replace("．", ".").replace(",", ".").replace("，", ".")
    try:
        mmol = Decimal(raw).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise InvalidInput("reading_format") from None
    low, high = (thresholds or load_thresholds()).glucose.plausible
    if not Decimal(str(low)) <= mmol <= Decimal(str(high)):
        raise InvalidInput("reading_implausible")
    return Glucose(mmol, context)


def classify(value: Value, thresholds: Thresholds | None = None) -> Level:
    t = thresholds or load_thresholds()
    if isinstance(value, BloodPressure):
        bp = t.blood_pressure
        if (
            value.systolic >= bp.urgent.systolic_at_least
            or value.diastolic >= bp.urgent.diastolic_at_least
        ):
            return Level.URGENT
        if (
            value.systolic >= bp.target.systolic_below
            or value.diastolic >= bp.target.diastolic_below
        ):
            return Level.ABOVE
        return Level.IN_RANGE
    g = t.glucose
    mmol = float(value.mmol)
    if mmol <= g.urgent.at_most or mmol >= g.urgent.at_least:
        return Level.URGENT
    low, high = g.target[value.context]
    return Level.IN_RANGE if low <= mmol <= high else Level.ABOVE


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


async def _subject(
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
        resident, member = await _subject(uow, telegram_user_id, member_id)
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


# --- the last 30 days -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Summary:
    person_name: str
    readings: tuple[ReadingRecord, ...]
    bp_count: int
    bp_in_range: int
    morning: tuple[int, int] | None  # average systolic/diastolic before noon
    evening: tuple[int, int] | None
    glucose_count: int
    glucose_in_range: int
    glucose_average: dict[str, Decimal]  # by context
    urgent: int


def _average_bp(rows: list[ReadingRecord]) -> tuple[int, int] | None:
    pairs = [(r.systolic, r.diastolic) for r in rows if r.systolic and r.diastolic]
    if not pairs:
        return None
    return round(mean(p[0] for p in pairs)), round(mean(p[1] for p in pairs))


def summarise(name: str, readings: list[ReadingRecord], zone: ZoneInfo) -> Summary:
    bp = [r for r in readings if r.kind == ReadingKind.BLOOD_PRESSURE.value]
    glucose = [r for r in readings if r.kind == ReadingKind.GLUCOSE.value]
    morning = [r for r in bp if r.measured_at.astimezone(zone).time() < MORNING_ENDS]
    evening = [r for r in bp if r.measured_at.astimezone(zone).time() >= MORNING_ENDS]
    by_context: dict[str, list[int]] = {}
    for r in glucose:
        if r.glucose_tenths is not None and r.context:
            by_context.setdefault(r.context, []).append(r.glucose_tenths)
    return Summary(
        person_name=name,
        readings=tuple(readings),
        bp_count=len(bp),
        bp_in_range=sum(r.level == Level.IN_RANGE.value for r in bp),
        morning=_average_bp(morning),
        evening=_average_bp(evening),
        glucose_count=len(glucose),
        glucose_in_range=sum(r.level == Level.IN_RANGE.value for r in glucose),
        glucose_average={
            context: (Decimal(sum(values)) / len(values) / 10).quantize(Decimal("0.1"))
            for context, values in by_context.items()
        },
        urgent=sum(r.level == Level.URGENT.value for r in readings),
    )


async def summary(
    uow: UnitOfWork,
    clock: Clock,
    zone: ZoneInfo,
    telegram_user_id: int,
    member_id: int | None,
    days: int = SUMMARY_DAYS,
) -> Summary:
    """The person's readings of the last `days` days, oldest first, with averages."""
    since = clock.now() - timedelta(days=days)
    async with uow:
        resident, member = await _subject(uow, telegram_user_id, member_id)
        readings = await uow.readings.for_person(resident.id, member_id, since=since)
    return summarise(member.display_name if member else resident.display_name, readings, zone)


# --- the doctor's view -------------------------------------------------------------------------


AUDIT_READINGS = "readings"
FOLLOW_UP_RULES = {
    Condition.HYPERTENSION: "htn_follow_up",
    Condition.DIABETES: "dm_follow_up",
}


@dataclass(frozen=True, slots=True)
class DoctorReadings:
    resident_id: int
    summary: Summary
    # The follow-up rules a review of home readings can complete, by the resident's conditions.
    follow_up_rules: tuple[str, ...]
    can_record: bool  # only the contracted doctor records care
    # The last chronic follow-up on record (seen, or home readings reviewed), if any.
    last_follow_up: date | None = None


async def doctor_view(
    uow: UnitOfWork,
    clock: Clock,
    zone: ZoneInfo,
    settings: Settings,
    doctor_telegram_id: int,
    resident_id: int,
    days: int = SUMMARY_DAYS,
) -> DoctorReadings:
    """A resident's own readings of the last `days` days, for their doctor (or an admin);
    the access is audited like every card."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        actor = await require_doctor(uow, doctor_telegram_id, settings)
        if not await uow.console.in_scope(actor.scope, resident_id):
            raise NotAllowed("not_your_resident")
        resident = await uow.residents.get(resident_id)
        if resident is None:
            raise NotFound("resident_not_found")
        rows = await uow.readings.for_person(resident_id, None, since=now - timedelta(days=days))
        contract = await uow.contracts.open_for(resident_id)
        history = await uow.careplans.history([resident_key(resident_id)])
        await audit(uow, actor, [resident_id], AUDIT_READINGS, now)
        await uow.commit()
    own = contract is not None and actor.doctor_id == contract.doctor_id
    rules = tuple(rule for c, rule in FOLLOW_UP_RULES.items() if c in resident.conditions)
    return DoctorReadings(
        resident_id=resident_id,
        summary=summarise(resident.display_name, rows, zone),
        follow_up_rules=rules if own else (),
        can_record=own,
        last_follow_up=max(
            (h.done_on for h in history if h.rule_id in FOLLOW_UP_RULES.values()), default=None
        ),
    )


async def alerts_all_hours(uow: UnitOfWork, settings: Settings, doctor_telegram_id: int) -> bool:
    """Whether the doctor gets urgent-reading alerts at any hour (else outside quiet hours,
    21:00–08:00)."""
    async with uow:
        actor = await require_doctor(uow, doctor_telegram_id, settings)
        if actor.doctor_id is None:
            raise NotAllowed("admin_not_a_doctor")
        return await uow.doctors.urgent_alerts_all_hours(actor.doctor_id)


async def set_alerts_all_hours(
    uow: UnitOfWork, settings: Settings, doctor_telegram_id: int, all_hours: bool
) -> None:
    async with uow:
        await uow.begin_write()
        actor = await require_doctor(uow, doctor_telegram_id, settings)
        if actor.doctor_id is None:
            raise NotAllowed("admin_not_a_doctor")
        await uow.doctors.set_urgent_alerts_all_hours(actor.doctor_id, all_hours)
        await uow.commit()


# --- reminders to measure -----------------------------------------------------------------------


async def set_reminder(
    uow: UnitOfWork,
    clock: Clock,
    zone: ZoneInfo,
    telegram_user_id: int,
    hours: tuple[int, ...],
) -> ReminderRecord | None:
    """Turns the resident's reminders to measure on at `hours` (local), daily for a week and
    then weekly; no hours turns them off (and withdraws the ones queued)."""
    if any(h not in REMINDER_HOURS for h in hours):
        raise InvalidInput("reminder_hours")
    now = clock.now()
    async with uow:
        await uow.begin_write()
        resident, _member = await _subject(uow, telegram_user_id, None)
        # The one pending-outbox cancel by dedupe prefix (kept in the care-plan repository).
        await uow.careplans.cancel_pending(reminder_prefix(resident.id))
        if not hours:
            await uow.readings.clear_reminder(resident.id)
            await uow.commit()
            return None
        until = now.astimezone(zone).date() + timedelta(days=REMINDER_DAILY_DAYS - 1)
        await uow.readings.set_reminder(resident.id, hours, until, now)
        record = await uow.readings.reminder_for(resident.id)
        await uow.commit()
    return record


def offers_reminder(service_code: str) -> bool:
    """Whether booking this service is a chronic follow-up, before which a week of home
    readings helps (so the booking confirmation offers reminders to measure)."""
    return any(
        service_code in rule.book_codes
        for rule in default_rules()
        if rule.id in FOLLOW_UP_RULES.values()
    )


async def reminder_of(uow: UnitOfWork, telegram_user_id: int) -> ReminderRecord | None:
    async with uow:
        resident, _member = await _subject(uow, telegram_user_id, None)
        return await uow.readings.reminder_for(resident.id)


def reminder_due_on(reminder: ReminderRecord, day: date) -> bool:
    """Daily until `daily_until`, then weekly on that weekday."""
    if day <= reminder.daily_until:
        return True
    return (day - reminder.daily_until).days % 7 == 0


async def plan_reminders(
    uow_factory: Callable[[], UnitOfWork], clock: Clock, zone: ZoneInfo
) -> int:
    """Queues today's reminders to measure that are still ahead (a periodic job; the dedupe
    key makes it idempotent). Pauses apply at delivery; quiet hours don't (the resident chose
    the hour)."""
    now = clock.now()
    today = now.astimezone(zone).date()
    queued = 0
    async with uow_factory() as uow:
        await uow.begin_write()
        for reminder in await uow.readings.reminders_to_plan(CONSENT_NOTICE_VERSION):
            if not reminder_due_on(reminder, today):
                continue
            for hour in reminder.hours:
                at = datetime.combine(today, time(hour), tzinfo=zone)
                if at < now - timedelta(minutes=30):
                    continue  # long past: a late reminder to measure is no use
                queued += await uow.outbox.enqueue(
                    resident_id=reminder.resident_id,
                    kind=KIND_READING_REMINDER,
                    dedupe_key=reminder_key(reminder.resident_id, today, hour),
                    payload=ReadingReminder(hour).to_json(),
                    not_before=at.astimezone(now.tzinfo),
                    now=now,
                )
        await uow.commit()
    return queued


async def prune(uow: UnitOfWork, clock: Clock, retention_months: int) -> int:
    """Deletes readings older than the retention period (a daily job)."""
    cutoff = clock.now() - timedelta(days=round(retention_months * 30.44))
    async with uow:
        await uow.begin_write()
        removed = await uow.readings.prune_before(cutoff)
        await uow.commit()
    return removed


def register(dispatcher: OutboxDispatcher, renderer: Renderer, zone: ZoneInfo) -> None:
    """Plugs urgent-reading alerts to doctors into the dispatcher."""

    def alert(d: Delivery) -> OutgoingMessage:
        p = ReadingAlert.from_json(d.payload)
        locale = d.locale if d.locale in LOCALES else renderer.default_locale
        measured = p.measured_at.astimezone(zone)
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=locale,
            kind=d.kind,
            text=renderer.render(
                "reading_alert",
                locale,
                name=p.name,
                resident_name=p.resident_name,
                kind=p.kind,
                value=p.value,
                context=p.context,
                measured_at=measured,
            ),
            ref_id=p.resident_id,
            payload=p,
        )

    dispatcher.register_renderer(KIND_READING_ALERT, alert, urgent=True)

    def reminder(d: Delivery) -> OutgoingMessage:
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=d.locale,
            kind=d.kind,
            text=renderer.render("reading_reminder", d.locale, name=d.display_name),
            payload=ReadingReminder.from_json(d.payload),
        )

    # The resident chose the hour (7:00 falls in the default quiet hours, 21:00-08:00): a
    # reminder to measure before breakfast is no use at 08:00. Pauses still hold it.
    dispatcher.register_renderer(KIND_READING_REMINDER, reminder, despite_quiet=True)
