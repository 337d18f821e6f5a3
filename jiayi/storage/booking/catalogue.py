"""Bookable services, centres, schedules and closed days."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage import models as m
from jiayi.storage.dialect import insert_ignoring_duplicates
from jiayi.storage.records import (
    BookableServiceRecord,
    CentreRecord,
    ScheduleRecord,
    ServiceKind,
    Sex,
)

_KIND_ORDER = {kind.value: position for position, kind in enumerate(ServiceKind)}


def service_record(row: m.BookableService) -> BookableServiceRecord:
    return BookableServiceRecord(
        id=row.id,
        centre_id=row.centre_id,
        code=row.code,
        kind=ServiceKind(row.kind),
        name_zh=row.name_zh,
        name_en=row.name_en,
        min_notice=timedelta(minutes=row.min_notice_minutes),
        horizon_days=row.horizon_days,
        cancel_cutoff=timedelta(minutes=row.cancel_cutoff_minutes),
        min_age_months=row.min_age_months,
        max_age_months=row.max_age_months,
        requires_referral=row.requires_referral,
        sex=Sex(row.sex) if row.sex else None,
    )


def schedule_record(s: m.Schedule, centre_id: int) -> ScheduleRecord:
    return ScheduleRecord(
        id=s.id,
        service_id=s.service_id,
        centre_id=centre_id,
        doctor_id=s.doctor_id,
        weekday=s.weekday,
        start_time=s.start_time,
        end_time=s.end_time,
        slot_minutes=s.slot_minutes,
        capacity=s.capacity,
        on_makeup_workdays=s.on_makeup_workdays,
    )


class BookingCatalogue:
    """Services, centres, schedules and closed days: what can be booked where."""

    _s: AsyncSession

    async def add_service(
        self,
        *,
        centre_id: int,
        code: str,
        kind: ServiceKind,
        name_zh: str,
        name_en: str,
        min_notice_minutes: int = 120,
        horizon_days: int = 14,
        cancel_cutoff_minutes: int = 120,
        min_age_months: int | None = None,
        max_age_months: int | None = None,
        requires_referral: bool = False,
        active: bool = True,
        sex: Sex | None = None,
    ) -> BookableServiceRecord:
        row = m.BookableService(
            centre_id=centre_id,
            code=code,
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
            sex=sex.value if sex else None,
        )
        self._s.add(row)
        await self._s.flush()
        return service_record(row)

    async def service(self, service_id: int) -> BookableServiceRecord | None:
        """An active service; a retired one is as good as gone for booking."""
        row = await self._s.scalar(
            select(m.BookableService).where(
                m.BookableService.id == service_id, m.BookableService.active.is_(True)
            )
        )
        return service_record(row) if row else None

    async def service_by_code(self, centre_id: int, code: str) -> BookableServiceRecord | None:
        row = await self._s.scalar(
            select(m.BookableService).where(
                m.BookableService.centre_id == centre_id, m.BookableService.code == code
            )
        )
        return service_record(row) if row else None

    async def services(self, centre_id: int | None) -> list[BookableServiceRecord]:
        """Active services of one centre (or of all centres), by kind and then name."""
        sv = m.BookableService
        query = select(sv).where(sv.active.is_(True))
        if centre_id is not None:
            query = query.where(sv.centre_id == centre_id)
        kind_order = case(_KIND_ORDER, value=sv.kind, else_=len(_KIND_ORDER))
        rows = await self._s.scalars(query.order_by(kind_order, sv.name_en, sv.id))
        return [service_record(r) for r in rows]

    async def centre_of_resident(self, resident_id: int) -> int | None:
        """The centre of the resident's family doctor, if they have an open contract."""
        centre_id: int | None = await self._s.scalar(
            select(m.Doctor.centre_id)
            .join(m.Contract, m.Contract.doctor_id == m.Doctor.id)
            .where(m.Contract.resident_id == resident_id, m.Contract.ended_at.is_(None))
        )
        return centre_id

    async def centre(self, centre_id: int) -> CentreRecord | None:
        row = await self._s.scalar(select(m.Centre).where(m.Centre.id == centre_id))
        if row is None:
            return None
        return CentreRecord(
            id=row.id,
            code=row.code,
            name=row.name,
            name_en=row.name_en,
            timezone=row.timezone,
            phone=row.phone,
            address=row.address,
        )

    async def centre_timezone(self, centre_id: int) -> str | None:
        zone: str | None = await self._s.scalar(
            select(m.Centre.timezone).where(m.Centre.id == centre_id)
        )
        return zone

    async def add_schedule(
        self,
        *,
        service_id: int,
        weekday: int,
        start_time: time,
        end_time: time,
        slot_minutes: int,
        capacity: int,
        doctor_id: int | None = None,
        on_makeup_workdays: bool = False,
    ) -> int:
        row = m.Schedule(
            service_id=service_id,
            doctor_id=doctor_id,
            weekday=weekday,
            start_time=start_time,
            end_time=end_time,
            slot_minutes=slot_minutes,
            capacity=capacity,
            on_makeup_workdays=on_makeup_workdays,
            active=True,
        )
        self._s.add(row)
        await self._s.flush()
        return row.id

    async def active_schedules(self) -> list[ScheduleRecord]:
        sc, sv = m.Schedule, m.BookableService
        rows = await self._s.execute(
            select(sc, sv.centre_id)
            .join(sv, sv.id == sc.service_id)
            .where(sc.active.is_(True), sv.active.is_(True))
            .order_by(sc.weekday, sc.start_time, sc.id)
        )
        return [schedule_record(s, centre_id) for s, centre_id in rows]

    async def add_closed_day(self, *, centre_id: int, day: date, reason: str) -> bool:
        result = await self._s.execute(
            insert_ignoring_duplicates(
                self._s,
                m.ClosedDay.__table__,
                {"centre_id": centre_id, "day": day, "reason": reason[:200]},
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def closed_days(self, first: date, last: date) -> set[tuple[int, date]]:
        """(centre id, day) pairs closed between `first` and `last`, inclusive."""
        rows = await self._s.execute(
            select(m.ClosedDay.centre_id, m.ClosedDay.day).where(
                m.ClosedDay.day >= first, m.ClosedDay.day <= last
            )
        )
        return {(centre_id, day) for centre_id, day in rows}
