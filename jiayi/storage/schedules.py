"""The console's view of a centre's services and schedules: editing a service, replacing its
weekly schedule, a day's slots. Adding services and schedules, cutting slots and closing them
stay in storage/booking/ (the bot and the YAML loader use them too). Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage import models as m
from jiayi.storage.booking.catalogue import schedule_record, service_record
from jiayi.storage.booking.slots import SLOT_COLUMNS, slot_record
from jiayi.storage.records import BookableServiceRecord, ScheduleRecord, ServiceKind, SlotRecord


@dataclass(frozen=True, slots=True)
class DaySlot:
    slot: SlotRecord
    service_code: str
    service_name_zh: str
    service_name_en: str


class ScheduleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def all_services(self, centre_id: int) -> list[BookableServiceRecord]:
        """Every service of the centre, retired ones too, by code."""
        sv = m.BookableService
        rows = await self._s.scalars(
            select(sv).where(sv.centre_id == centre_id).order_by(sv.code, sv.id)
        )
        return [service_record(r) for r in rows]

    async def service_active(self, service_id: int) -> bool | None:
        active: bool | None = await self._s.scalar(
            select(m.BookableService.active).where(m.BookableService.id == service_id)
        )
        return active

    async def any_service(self, service_id: int) -> BookableServiceRecord | None:
        row = await self._s.get(m.BookableService, service_id)
        return service_record(row) if row else None

    async def update_service(
        self,
        service_id: int,
        *,
        kind: ServiceKind,
        name_zh: str,
        name_en: str,
        min_notice_minutes: int,
        horizon_days: int,
        cancel_cutoff_minutes: int,
        min_age_months: int | None,
        max_age_months: int | None,
        requires_referral: bool,
        active: bool,
    ) -> None:
        await self._s.execute(
            update(m.BookableService)
            .where(m.BookableService.id == service_id)
            .values(
                kind=ServiceKind(kind).value,
                name_zh=name_zh,
                name_en=name_en,
                min_notice_minutes=min_notice_minutes,
                horizon_days=horizon_days,
                cancel_cutoff_minutes=cancel_cutoff_minutes,
                min_age_months=min_age_months,
                max_age_months=max_age_months,
                requires_referral=requires_referral,
                active=active,
            )
        )

    async def schedules_of(self, service_id: int) -> list[ScheduleRecord]:
        """The service's active weekly schedule, by weekday and time."""
        sc, sv = m.Schedule, m.BookableService
        rows = await self._s.execute(
            select(sc, sv.centre_id)
            .join(sv, sv.id == sc.service_id)
            .where(sc.service_id == service_id, sc.active.is_(True))
            .order_by(sc.weekday, sc.start_time, sc.id)
        )
        return [schedule_record(s, centre_id) for s, centre_id in rows]

    async def retire_schedules(self, service_id: int) -> None:
        """Stops the service's weekly schedule from cutting new slots (kept for history)."""
        await self._s.execute(
            update(m.Schedule)
            .where(m.Schedule.service_id == service_id, m.Schedule.active.is_(True))
            .values(active=False)
        )

    async def unbooked_future_slots(self, service_id: int, after: datetime) -> list[SlotRecord]:
        """Open slots of the service starting after `after` that nobody ever booked or
        waited for: they can be withdrawn without telling anyone."""
        s = m.Slot
        touched = select(m.Appointment.slot_id).where(m.Appointment.slot_id == s.id).exists()
        waited = select(m.WaitlistEntry.slot_id).where(m.WaitlistEntry.slot_id == s.id).exists()
        rows = await self._s.execute(
            select(*SLOT_COLUMNS).where(
                s.service_id == service_id,
                s.starts_at > after,
                s.status == "open",
                s.booked == 0,
                ~touched,
                ~waited,
            )
        )
        return [slot_record(r) for r in rows]

    async def delete_slots(self, slot_ids: list[int]) -> None:
        """Removes never-used slots, so the same times can be cut again by a later schedule."""
        if slot_ids:
            await self._s.execute(delete(m.Slot).where(m.Slot.id.in_(slot_ids)))

    async def day_slots(self, centre_id: int, start: datetime, end: datetime) -> list[DaySlot]:
        """Every slot (open or closed) of the centre's services starting in [start, end)."""
        s, sv = m.Slot, m.BookableService
        rows = await self._s.execute(
            select(*SLOT_COLUMNS, sv.code, sv.name_zh, sv.name_en)
            .join(sv, sv.id == s.service_id)
            .where(sv.centre_id == centre_id, s.starts_at >= start, s.starts_at < end)
            .order_by(s.starts_at, sv.code, s.id)
        )
        return [DaySlot(slot_record(r), r.code, r.name_zh, r.name_en) for r in rows]

    async def closed_day_reason(self, centre_id: int, day: date) -> str | None:
        reason: str | None = await self._s.scalar(
            select(m.ClosedDay.reason).where(
                m.ClosedDay.centre_id == centre_id, m.ClosedDay.day == day
            )
        )
        return reason
