"""The console dashboard's counts: deliveries, ratings, bookings, waiting lists, points and
broadcasts over a period, for a whole centre or one doctor's residents. Read-only.

`doctor_id=None` counts every resident; a doctor id limits the counts to residents holding an
open contract with that doctor (the console's scope, services.console.Actor.scope).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from jiayi.storage import models as m
from jiayi.storage.records import OutboxStatus, WaitlistStatus

FAILED_STATUSES = (OutboxStatus.FAILED.value, OutboxStatus.BLOCKED.value)


@dataclass(frozen=True, slots=True)
class DeliveryEvent:
    """One tip push that reached an end: when (sent, or due for a failure) and whether it
    was delivered."""

    at: datetime
    delivered: bool


@dataclass(frozen=True, slots=True)
class TipRating:
    tip_id: str
    helpful: int
    unhelpful: int


@dataclass(frozen=True, slots=True)
class ServiceBookings:
    service_id: int
    code: str
    name_zh: str
    name_en: str
    booked: int
    attended: int
    no_show: int
    cancelled: int


@dataclass(frozen=True, slots=True)
class ServiceWaiting:
    service_id: int
    code: str
    name_zh: str
    name_en: str
    waiting: int
    offered: int


@dataclass(frozen=True, slots=True)
class PointsFlow:
    reason: str
    earned: int
    redeemed: int


@dataclass(frozen=True, slots=True)
class BroadcastLine:
    id: int
    doctor_name: str | None
    created_at: datetime
    audience_size: int
    status: str


def in_scope(resident_id: Any, doctor_id: int | None) -> ColumnElement[bool]:
    """True for residents in the scope: everyone, or the doctor's contracted residents."""
    if doctor_id is None:
        return resident_id.is_not(None)  # type: ignore[no-any-return]
    contracted = select(m.Contract.resident_id).where(
        m.Contract.doctor_id == doctor_id, m.Contract.ended_at.is_(None)
    )
    return resident_id.in_(contracted)  # type: ignore[no-any-return]


class DashboardRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def resident_names(self, resident_ids: Iterable[int]) -> dict[int, str]:
        ids = sorted(set(resident_ids))
        if not ids:
            return {}
        rows = await self._s.execute(
            select(m.Resident.id, m.Resident.display_name).where(m.Resident.id.in_(ids))
        )
        return {int(rid): str(name) for rid, name in rows.tuples()}

    async def tip_deliveries(
        self, start: datetime, end: datetime, doctor_id: int | None
    ) -> list[DeliveryEvent]:
        """Tip pushes delivered in [start, end), and those that failed for good (failed, or
        the resident had blocked the bot) with their due time in it."""
        o = m.OutboxMessage
        at = func.coalesce(o.sent_at, o.not_before)
        rows = await self._s.execute(
            select(at, o.status).where(
                o.kind == "tip",
                o.status.in_((OutboxStatus.SENT.value, *FAILED_STATUSES)),
                at >= start,
                at < end,
                in_scope(o.resident_id, doctor_id),
            )
        )
        return [
            DeliveryEvent(at=when, delivered=status == OutboxStatus.SENT.value)
            for when, status in rows
        ]

    async def tip_ratings(
        self, start: datetime, end: datetime, doctor_id: int | None
    ) -> list[TipRating]:
        f = m.TipFeedback
        rows = await self._s.execute(
            select(
                f.tip_id,
                func.sum(case((f.helpful, 1), else_=0)),
                func.sum(case((f.helpful, 0), else_=1)),
            )
            .where(f.created_at >= start, f.created_at < end, in_scope(f.resident_id, doctor_id))
            .group_by(f.tip_id)
            .order_by(f.tip_id)
        )
        return [TipRating(tip, int(up or 0), int(down or 0)) for tip, up, down in rows]

    async def bookings(
        self, centre_id: int | None, start: datetime, end: datetime, doctor_id: int | None
    ) -> list[ServiceBookings]:
        """Appointments whose slot starts in [start, end), per service, by outcome."""
        a, s, svc = m.Appointment, m.Slot, m.BookableService

        def count(*statuses: str) -> Any:
            return func.sum(case((a.status.in_(statuses), 1), else_=0))

        query = (
            select(
                svc.id,
                svc.code,
                svc.name_zh,
                svc.name_en,
                count("booked", "attended", "no_show"),
                count("attended"),
                count("no_show"),
                count("cancelled_resident", "cancelled_centre"),
            )
            .join(s, s.id == a.slot_id)
            .join(svc, svc.id == a.service_id)
            .where(s.starts_at >= start, s.starts_at < end, in_scope(a.resident_id, doctor_id))
            .group_by(svc.id, svc.code, svc.name_zh, svc.name_en)
            .order_by(svc.code)
        )
        if centre_id is not None:
            query = query.where(svc.centre_id == centre_id)
        rows = await self._s.execute(query)
        return [
            ServiceBookings(
                sid, code, zh, en, int(b or 0), int(at or 0), int(ns or 0), int(c or 0)
            )
            for sid, code, zh, en, b, at, ns, c in rows
        ]

    async def waiting(
        self, centre_id: int | None, now: datetime, doctor_id: int | None
    ) -> list[ServiceWaiting]:
        """Live waiting-list entries for slots not yet started, per service."""
        w, s, svc = m.WaitlistEntry, m.Slot, m.BookableService
        query = (
            select(
                svc.id,
                svc.code,
                svc.name_zh,
                svc.name_en,
                func.sum(case((w.status == WaitlistStatus.WAITING.value, 1), else_=0)),
                func.sum(case((w.status == WaitlistStatus.OFFERED.value, 1), else_=0)),
            )
            .join(s, s.id == w.slot_id)
            .join(svc, svc.id == s.service_id)
            .where(
                w.status.in_((WaitlistStatus.WAITING.value, WaitlistStatus.OFFERED.value)),
                s.starts_at > now,
                in_scope(w.resident_id, doctor_id),
            )
            .group_by(svc.id, svc.code, svc.name_zh, svc.name_en)
            .order_by(svc.code)
        )
        if centre_id is not None:
            query = query.where(svc.centre_id == centre_id)
        rows = await self._s.execute(query)
        return [
            ServiceWaiting(sid, code, zh, en, int(wt or 0), int(of or 0))
            for sid, code, zh, en, wt, of in rows
        ]

    async def points(
        self, start: datetime, end: datetime, doctor_id: int | None
    ) -> list[PointsFlow]:
        """Per rule or reward: points earned (net of reversals) and redeemed (net of
        refunds) in [start, end). Expiry is neither."""
        p = m.PointsEntry
        earned = func.sum(case((p.kind.in_(("earn", "reversal")), p.delta), else_=0))
        redeemed = func.sum(case((p.kind.in_(("spend", "refund")), -p.delta), else_=0))
        rows = await self._s.execute(
            select(p.reason, earned, redeemed)
            .where(
                p.created_at >= start,
                p.created_at < end,
                p.kind != "expiry",
                in_scope(p.resident_id, doctor_id),
            )
            .group_by(p.reason)
            .order_by(p.reason)
        )
        return [PointsFlow(reason, int(e or 0), int(r or 0)) for reason, e, r in rows]

    async def broadcasts(
        self, start: datetime, end: datetime, doctor_id: int | None
    ) -> list[BroadcastLine]:
        """Broadcasts created in [start, end) (a doctor's own only)."""
        b = m.Broadcast
        query = (
            select(b.id, m.Doctor.display_name, b.created_at, b.audience_size, b.status)
            .outerjoin(m.Doctor, m.Doctor.id == b.doctor_id)
            .where(b.created_at >= start, b.created_at < end)
            .order_by(b.created_at, b.id)
        )
        if doctor_id is not None:
            query = query.where(b.doctor_id == doctor_id)
        return [
            BroadcastLine(bid, name, created, size, status)
            for bid, name, created, size, status in await self._s.execute(query)
        ]

    async def doctor_ids(self, centre_id: int | None) -> list[tuple[int, str]]:
        """Active doctors (at the centre, when given), by name."""
        d = m.Doctor
        query = select(d.id, d.display_name).where(d.active.is_(True)).order_by(d.display_name)
        if centre_id is not None:
            query = query.where(d.centre_id == centre_id)
        return [(did, name) for did, name in await self._s.execute(query)]

    async def headcounts(self, doctor_id: int | None) -> tuple[int, int]:
        """(signed-up residents, of them with an open contract) in the scope."""
        r = m.Resident
        contracted = select(m.Contract.resident_id).where(m.Contract.ended_at.is_(None))
        row = (
            await self._s.execute(
                select(
                    func.count(),
                    func.sum(case((r.id.in_(contracted), 1), else_=0)),
                ).where(and_(r.onboarded_at.is_not(None), in_scope(r.id, doctor_id)))
            )
        ).one()
        return int(row[0] or 0), int(row[1] or 0)
