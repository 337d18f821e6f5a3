"""The account (cached balance, per-resident lock) and the append-only ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage import models as m
from jiayi.storage.dialect import insert_ignoring_duplicates
from jiayi.storage.points.mappers import ENTRY_COLUMNS, changed, entry_record
from jiayi.storage.records import EntryKind, PointsEntryRecord

_EARNINGS = (EntryKind.EARN.value, EntryKind.REVERSAL.value)


class PointsLedger:
    """The account and the ledger: lock, balance, credit, debit, entries."""

    _s: AsyncSession

    async def lock_account(self, resident_id: int, now: datetime) -> int:
        """Creates the account if needed and locks its row until the transaction ends
        (PostgreSQL; SQLite writers are already serialised by BEGIN IMMEDIATE). Every points
        write for a resident takes this lock first, so cap checks and FIFO spending see a
        stable set of lots. Returns the cached balance."""
        await self._s.execute(
            insert_ignoring_duplicates(
                self._s,
                m.PointsAccount.__table__,
                {"resident_id": resident_id, "balance": 0, "updated_at": now},
            )
        )
        balance = await self._s.scalar(
            select(m.PointsAccount.balance)
            .where(m.PointsAccount.resident_id == resident_id)
            .with_for_update()
        )
        return int(balance or 0)

    async def balance(self, resident_id: int) -> int:
        value = await self._s.scalar(
            select(m.PointsAccount.balance).where(m.PointsAccount.resident_id == resident_id)
        )
        return int(value or 0)

    async def ledger_sum(self, resident_id: int) -> int:
        value = await self._s.scalar(
            select(func.coalesce(func.sum(m.PointsEntry.delta), 0)).where(
                m.PointsEntry.resident_id == resident_id
            )
        )
        return int(value or 0)

    async def credit(self, resident_id: int, amount: int, now: datetime) -> None:
        await self._s.execute(
            update(m.PointsAccount)
            .where(m.PointsAccount.resident_id == resident_id)
            .values(balance=m.PointsAccount.balance + amount, updated_at=now)
            .execution_options(synchronize_session=False)
        )

    async def debit(self, resident_id: int, amount: int, now: datetime) -> bool:
        """Takes `amount` off the balance only if that much is there."""
        result = await self._s.execute(
            update(m.PointsAccount)
            .where(m.PointsAccount.resident_id == resident_id, m.PointsAccount.balance >= amount)
            .values(balance=m.PointsAccount.balance - amount, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return changed(result)

    # --- the ledger ---

    async def add_entry(
        self,
        *,
        resident_id: int,
        kind: EntryKind,
        delta: int,
        reason: str,
        source: str,
        key: str,
        now: datetime,
        period: str | None = None,
    ) -> int | None:
        """Appends an entry; None if an entry with this idempotency key already exists."""
        statement = insert_ignoring_duplicates(
            self._s,
            m.PointsEntry.__table__,
            {
                "resident_id": resident_id,
                "kind": kind.value,
                "delta": delta,
                "reason": reason,
                "source": source,
                "idempotency_key": key,
                "period": period,
                "created_at": now,
            },
        ).returning(m.PointsEntry.__table__.c.id)
        entry_id = await self._s.scalar(statement)
        return int(entry_id) if entry_id is not None else None

    async def earned_in_period(self, resident_id: int, rule: str, period: str) -> int:
        """Net points a rule has given in a cap period (reversals count back)."""
        e = m.PointsEntry
        value = await self._s.scalar(
            select(func.coalesce(func.sum(e.delta), 0)).where(
                e.resident_id == resident_id,
                e.reason == rule,
                e.period == period,
                e.kind.in_(_EARNINGS),
            )
        )
        return int(value or 0)

    async def period_of(self, entry_id: int) -> str | None:
        period: str | None = await self._s.scalar(
            select(m.PointsEntry.period).where(m.PointsEntry.id == entry_id)
        )
        return period

    async def entries_for_source(self, resident_id: int, source: str) -> list[PointsEntryRecord]:
        rows = await self._s.execute(
            select(*ENTRY_COLUMNS)
            .where(m.PointsEntry.resident_id == resident_id, m.PointsEntry.source == source)
            .order_by(m.PointsEntry.id)
        )
        return [entry_record(r) for r in rows]

    async def history(self, resident_id: int, limit: int | None = None) -> list[PointsEntryRecord]:
        """Newest first; every entry when `limit` is None."""
        rows = await self._s.execute(
            select(*ENTRY_COLUMNS)
            .where(m.PointsEntry.resident_id == resident_id)
            .order_by(m.PointsEntry.created_at.desc(), m.PointsEntry.id.desc())
            .limit(limit)
        )
        return [entry_record(r) for r in rows]
