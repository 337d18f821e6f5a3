"""Broadcasts: a doctor's message to a segment of residents, queued as outbox rows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from jiayi.storage import models as m
from jiayi.storage.records import BroadcastRecord, OutboxStatus

BROADCAST_KIND = "broadcast"


def broadcast_dedupe_prefix(broadcast_id: int) -> str:
    return f"broadcast:{broadcast_id}:"


def _broadcast(row: m.Broadcast) -> BroadcastRecord:
    return BroadcastRecord(
        id=row.id,
        doctor_id=row.doctor_id,
        owner_user_id=row.owner_user_id,
        owner_locale=row.owner_locale,
        texts=dict(json.loads(row.texts)),
        photo_file_id=row.photo_file_id,
        segments=tuple(json.loads(row.segments)),
        audience_size=row.audience_size,
        starts_at=row.starts_at,
        spread_minutes=row.spread_minutes,
        status=row.status,
        status_message_id=row.status_message_id,
        created_at=row.created_at,
        cancelled_at=row.cancelled_at,
        finished_at=row.finished_at,
    )


class ConsoleBroadcasts:
    """Broadcasts and the outbox rows that carry them."""

    _s: AsyncSession

    async def add_broadcast(
        self,
        *,
        doctor_id: int | None,
        owner_user_id: int,
        owner_locale: str,
        texts: dict[str, str],
        photo_file_id: str | None,
        segments: Sequence[str],
        audience_size: int,
        starts_at: datetime,
        spread_minutes: int,
        status: str,
        now: datetime,
    ) -> BroadcastRecord:
        row = m.Broadcast(
            doctor_id=doctor_id,
            owner_user_id=owner_user_id,
            owner_locale=owner_locale,
            texts=json.dumps(texts, ensure_ascii=False),
            photo_file_id=photo_file_id,
            segments=json.dumps(list(segments)),
            audience_size=audience_size,
            starts_at=starts_at,
            spread_minutes=spread_minutes,
            status=status,
            created_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        return _broadcast(row)

    async def broadcast(self, broadcast_id: int) -> BroadcastRecord | None:
        row = await self._s.get(m.Broadcast, broadcast_id)
        return _broadcast(row) if row else None

    async def broadcasts_of(self, owner_user_id: int, *, limit: int) -> list[BroadcastRecord]:
        b = m.Broadcast
        rows = await self._s.scalars(
            select(b).where(b.owner_user_id == owner_user_id).order_by(b.id.desc()).limit(limit)
        )
        return [_broadcast(row) for row in rows]

    async def broadcasts_in(self, statuses: Sequence[str]) -> list[BroadcastRecord]:
        b = m.Broadcast
        rows = await self._s.scalars(select(b).where(b.status.in_(statuses)).order_by(b.id))
        return [_broadcast(row) for row in rows]

    async def set_broadcast_status(
        self, broadcast_id: int, *, old: Sequence[str], new: str, **values: object
    ) -> bool:
        """Moves a broadcast on only from one of `old`: two jobs cannot both finish it."""
        b = m.Broadcast
        result = await self._s.execute(
            update(b).where(b.id == broadcast_id, b.status.in_(old)).values(status=new, **values)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def set_status_message(self, broadcast_id: int, message_id: int) -> None:
        await self._s.execute(
            update(m.Broadcast)
            .where(m.Broadcast.id == broadcast_id)
            .values(status_message_id=message_id)
        )

    async def enqueue_broadcast(self, rows: Sequence[dict[str, Any]], now: datetime) -> None:
        """One pending outbox row per recipient, in one executemany INSERT. The broadcast is
        new, so its dedupe keys cannot clash."""
        if rows:
            await self._s.execute(
                insert(m.OutboxMessage),
                [
                    {
                        "kind": BROADCAST_KIND,
                        "tip_id": None,
                        "status": OutboxStatus.PENDING.value,
                        "attempts": 0,
                        "created_at": now,
                        **row,
                    }
                    for row in rows
                ],
            )

    def _rows_of(self, broadcast_id: int) -> ColumnElement[bool]:
        o = m.OutboxMessage
        return and_(
            o.kind == BROADCAST_KIND,
            o.dedupe_key.startswith(broadcast_dedupe_prefix(broadcast_id), autoescape=True),
        )

    async def cancel_broadcast_rows(self, broadcast_id: int) -> int:
        """Withdraws the rows not yet claimed; what is already sending goes out."""
        o = m.OutboxMessage
        result = await self._s.execute(
            update(o)
            .where(self._rows_of(broadcast_id), o.status == OutboxStatus.PENDING.value)
            .values(status=OutboxStatus.CANCELLED.value, last_error="broadcast cancelled")
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def broadcast_counts(self, broadcast_id: int) -> dict[str, int]:
        o = m.OutboxMessage
        rows = await self._s.execute(
            select(o.status, func.count()).where(self._rows_of(broadcast_id)).group_by(o.status)
        )
        return {status: int(count) for status, count in rows}
