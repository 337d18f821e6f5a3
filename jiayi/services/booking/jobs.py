"""Scheduled booking jobs: lapsing seat offers that ran out, and cutting slots from the weekly
schedules ahead of time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from jiayi.services.booking.calendar import cut_slots, day_kind, local_day, local_midnight
from jiayi.services.booking.seats import OFFER_HOLD, release_offer
from jiayi.services.clock import Clock
from jiayi.storage.records import ScheduleRecord, WaitlistStatus
from jiayi.storage.uow import UnitOfWork


async def expire_offers(
    uow_factory: Callable[[], UnitOfWork], clock: Clock, hold: timedelta = OFFER_HOLD
) -> int:
    """Lapses holds that ran out and offers each seat to the next in line. One short
    transaction per hold; safe to run from several schedulers. Returns holds lapsed."""
    now = clock.now()
    async with uow_factory() as uow:
        expired = await uow.booking.expired_offers(now)
    moved = 0
    for entry_id in expired:
        async with uow_factory() as uow:
            await uow.begin_write()
            entry = await uow.booking.waitlist_entry(entry_id)
            if entry is None:
                continue
            if await release_offer(uow, now, entry, WaitlistStatus.LAPSED, hold):
                await uow.commit()
                moved += 1
    return moved


def _runs_on(schedule: ScheduleRecord, day: date, kind: str) -> bool:
    if schedule.weekday == day.weekday():
        return True
    return kind == "makeup" and schedule.on_makeup_workdays


async def materialize_slots(uow: UnitOfWork, clock: Clock, zone: ZoneInfo, weeks: int = 3) -> int:
    """Cuts slots from the active schedules for today … today + weeks×7 (local days).

    Skips official public holidays and the centre's closed days; on official make-up working
    days (a weekend day worked in lieu, 调休) schedules marked `on_makeup_workdays` run too,
    whatever their own weekday. Slots already started are not created. Idempotent: a slot is
    unique per service and start. Returns the slots created.
    """
    now = clock.now()
    today = local_day(now, zone)
    last = today + timedelta(days=weeks * 7)
    created = 0
    async with uow:
        await uow.begin_write()
        schedules = await uow.booking.active_schedules()
        closed = await uow.booking.closed_days(today, last)
        existing = await uow.booking.slot_starts(
            local_midnight(today, zone), local_midnight(last + timedelta(days=1), zone)
        )
        for offset in range((last - today).days + 1):
            day = today + timedelta(days=offset)
            kind = day_kind(day)
            if kind == "holiday":
                continue
            # The day's own schedules first, so they win a clash with a make-up one.
            todays = sorted(
                (s for s in schedules if _runs_on(s, day, kind)),
                key=lambda s: (s.weekday != day.weekday(), s.weekday, s.start_time, s.id),
            )
            for schedule in todays:
                if (schedule.centre_id, day) in closed:
                    continue
                for starts_at, ends_at in cut_slots(day, schedule, zone):
                    key = (schedule.service_id, starts_at)
                    if starts_at <= now or key in existing:
                        continue
                    existing.add(key)
                    created += await uow.booking.add_slot(
                        service_id=schedule.service_id,
                        doctor_id=schedule.doctor_id,
                        starts_at=starts_at,
                        ends_at=ends_at,
                        capacity=schedule.capacity,
                    )
        await uow.commit()
    return created
