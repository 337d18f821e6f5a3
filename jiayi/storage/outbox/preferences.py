"""Residents' push preferences, tip feedback and the record of planned days."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage import models as m
from jiayi.storage.dialect import insert_ignoring_duplicates
from jiayi.storage.records import PushPreferences


class PushRepository:
    """Residents' push preferences, tip feedback, and the record of planned days."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def preferences(self, resident_id: int) -> PushPreferences:
        r = await self._s.get(m.Resident, resident_id)
        assert r is not None
        topics = await self._s.scalars(
            select(m.ResidentTopicOptOut.topic).where(
                m.ResidentTopicOptOut.resident_id == resident_id
            )
        )
        return PushPreferences(
            paused=r.pushes_paused_at is not None,
            quiet_start=r.quiet_start,
            quiet_end=r.quiet_end,
            opted_out_topics=frozenset(topics),
        )

    async def set_paused(self, resident_id: int, paused_at: datetime | None) -> None:
        await self._s.execute(
            update(m.Resident)
            .where(m.Resident.id == resident_id)
            .values(pushes_paused_at=paused_at)
        )

    async def set_quiet_hours(self, resident_id: int, start: int, end: int) -> None:
        await self._s.execute(
            update(m.Resident)
            .where(m.Resident.id == resident_id)
            .values(quiet_start=start, quiet_end=end)
        )

    async def set_topic_opt_out(self, resident_id: int, topic: str, opted_out: bool) -> None:
        await self._s.execute(
            delete(m.ResidentTopicOptOut).where(
                m.ResidentTopicOptOut.resident_id == resident_id,
                m.ResidentTopicOptOut.topic == topic,
            )
        )
        if opted_out:
            self._s.add(m.ResidentTopicOptOut(resident_id=resident_id, topic=topic))
            await self._s.flush()

    async def mark_reachable(self, resident_id: int) -> None:
        await self._s.execute(
            update(m.Resident)
            .where(m.Resident.id == resident_id)
            .values(reachable=True, unreachable_since=None)
        )

    async def record_feedback(
        self, *, outbox_id: int, resident_id: int, tip_id: str, helpful: bool, now: datetime
    ) -> None:
        await self._s.execute(delete(m.TipFeedback).where(m.TipFeedback.outbox_id == outbox_id))
        self._s.add(
            m.TipFeedback(
                outbox_id=outbox_id,
                resident_id=resident_id,
                tip_id=tip_id,
                helpful=helpful,
                created_at=now,
            )
        )
        await self._s.flush()

    async def feedback_counts(self, tip_id: str) -> tuple[int, int]:
        f = m.TipFeedback
        up = await self._s.scalar(
            select(func.count()).where(f.tip_id == tip_id, f.helpful.is_(True))
        )
        down = await self._s.scalar(
            select(func.count()).where(f.tip_id == tip_id, f.helpful.is_(False))
        )
        return int(up or 0), int(down or 0)

    async def planned_days(self, start: date, end: date) -> set[date]:
        rows = await self._s.scalars(
            select(m.PlanRun.day).where(m.PlanRun.day >= start, m.PlanRun.day <= end)
        )
        return set(rows)

    async def mark_planned(self, day: date, now: datetime, created: int) -> None:
        await self._s.execute(
            insert_ignoring_duplicates(
                self._s,
                m.PlanRun.__table__,
                {"day": day, "planned_at": now, "created": created},
            )
        )
