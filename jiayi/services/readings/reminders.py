"""Reminders to measure at home, at the hours the resident chose."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.content.careplans import default_rules
from jiayi.services.clock import Clock
from jiayi.services.errors import InvalidInput
from jiayi.services.push.readings import (
    ReadingReminder,
    reminder_key,
    reminder_prefix,
)
from jiayi.services.readings.doctors import FOLLOW_UP_RULES
from jiayi.services.readings.recording import subject
from jiayi.services.readings.values import (
    KIND_READING_REMINDER,
    REMINDER_DAILY_DAYS,
    REMINDER_HOURS,
)
from jiayi.storage.readings import ReminderRecord
from jiayi.storage.uow import UnitOfWork


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
        resident, _member = await subject(uow, telegram_user_id, None)
        # The one pending-outbox cancel by dedupe prefix (kept in the care-plan repository).
        await uow.careplans.cancel_pending(reminder_prefix(resident.id), cards=None)
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
        resident, _member = await subject(uow, telegram_user_id, None)
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
