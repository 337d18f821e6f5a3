"""Health-points queries: the ledger, lots, the cached balance, rewards and vouchers. Never
commits.

The ledger is append-only. Balances, lot remainders, stock and voucher states move only by
single conditional UPDATEs (`balance >= :cost`, `stock > 0`, `status = 'active'`), and CHECK
constraints are the last line of defence. Reads select columns, not ORM entities, so a row
updated earlier in the same transaction is never served stale from the identity map.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage import models as m
from jiayi.storage.dialect import insert_ignoring_duplicates
from jiayi.storage.records import (
    EntryKind,
    PointsEntryRecord,
    PointsLotRecord,
    RewardRecord,
    VoucherRecord,
    VoucherStatus,
)

_EARNINGS = (EntryKind.EARN.value, EntryKind.REVERSAL.value)


def _entry(row: Row[Any]) -> PointsEntryRecord:
    return PointsEntryRecord(
        id=row.id,
        resident_id=row.resident_id,
        kind=EntryKind(row.kind),
        delta=row.delta,
        reason=row.reason,
        source=row.source,
        created_at=row.created_at,
    )


_ENTRY_COLUMNS = (
    m.PointsEntry.id,
    m.PointsEntry.resident_id,
    m.PointsEntry.kind,
    m.PointsEntry.delta,
    m.PointsEntry.reason,
    m.PointsEntry.source,
    m.PointsEntry.created_at,
)
_LOT_COLUMNS = (
    m.PointsLot.id,
    m.PointsLot.resident_id,
    m.PointsLot.entry_id,
    m.PointsLot.amount,
    m.PointsLot.remaining,
    m.PointsLot.expires_at,
)


def _lot(row: Row[Any]) -> PointsLotRecord:
    return PointsLotRecord(
        id=row.id,
        resident_id=row.resident_id,
        entry_id=row.entry_id,
        amount=row.amount,
        remaining=row.remaining,
        expires_at=row.expires_at,
    )


_REWARD_COLUMNS = (
    m.PointsReward.id,
    m.PointsReward.centre_id,
    m.PointsReward.code,
    m.PointsReward.name_zh,
    m.PointsReward.name_en,
    m.PointsReward.cost,
    m.PointsReward.stock,
    m.PointsReward.valid_days,
    m.PointsReward.active,
)


def _reward(row: Row[Any]) -> RewardRecord:
    return RewardRecord(
        id=row.id,
        centre_id=row.centre_id,
        code=row.code,
        name_zh=row.name_zh,
        name_en=row.name_en,
        cost=row.cost,
        stock=row.stock,
        valid_days=row.valid_days,
        active=row.active,
    )


def _vouchers() -> Select[Any]:
    v, r = m.PointsVoucher, m.PointsReward
    return (
        select(
            v.id,
            v.resident_id,
            v.reward_id,
            r.centre_id,
            r.code.label("reward_code"),
            r.name_zh,
            r.name_en,
            v.code,
            v.cost,
            v.spend_entry_id,
            v.status,
            v.valid_until,
            v.created_at,
            v.closed_at,
            m.Resident.display_name.label("resident_name"),
        )
        .join(r, r.id == v.reward_id)
        .join(m.Resident, m.Resident.id == v.resident_id)
    )


def _voucher(row: Row[Any]) -> VoucherRecord:
    return VoucherRecord(
        id=row.id,
        resident_id=row.resident_id,
        reward_id=row.reward_id,
        centre_id=row.centre_id,
        reward_code=row.reward_code,
        reward_name_zh=row.name_zh,
        reward_name_en=row.name_en,
        code=row.code,
        cost=row.cost,
        spend_entry_id=row.spend_entry_id,
        status=VoucherStatus(row.status),
        valid_until=row.valid_until,
        created_at=row.created_at,
        closed_at=row.closed_at,
        resident_name=row.resident_name,
    )


def _changed(result: Any) -> bool:
    return bool(result.rowcount)


class PointsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    # --- the account: cached balance and per-resident lock ---

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
        return _changed(result)

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
            select(*_ENTRY_COLUMNS)
            .where(m.PointsEntry.resident_id == resident_id, m.PointsEntry.source == source)
            .order_by(m.PointsEntry.id)
        )
        return [_entry(r) for r in rows]

    async def history(self, resident_id: int, limit: int | None = None) -> list[PointsEntryRecord]:
        """Newest first; every entry when `limit` is None."""
        rows = await self._s.execute(
            select(*_ENTRY_COLUMNS)
            .where(m.PointsEntry.resident_id == resident_id)
            .order_by(m.PointsEntry.created_at.desc(), m.PointsEntry.id.desc())
            .limit(limit)
        )
        return [_entry(r) for r in rows]

    # --- lots ---

    async def add_lot(
        self, *, resident_id: int, entry_id: int, amount: int, expires_at: datetime
    ) -> int:
        lot_id = await self._s.scalar(
            insert(m.PointsLot)
            .values(
                resident_id=resident_id,
                entry_id=entry_id,
                amount=amount,
                remaining=amount,
                expires_at=expires_at,
            )
            .returning(m.PointsLot.id)
        )
        assert lot_id is not None
        return int(lot_id)

    async def lot_for_entry(self, entry_id: int) -> PointsLotRecord | None:
        row = (
            await self._s.execute(select(*_LOT_COLUMNS).where(m.PointsLot.entry_id == entry_id))
        ).first()
        return _lot(row) if row else None

    async def live_lots(self, resident_id: int, now: datetime) -> list[PointsLotRecord]:
        """Unexpired lots with points left, soonest-expiring first (the spending order)."""
        lot = m.PointsLot
        rows = await self._s.execute(
            select(*_LOT_COLUMNS)
            .where(lot.resident_id == resident_id, lot.remaining > 0, lot.expires_at > now)
            .order_by(lot.expires_at, lot.id)
        )
        return [_lot(r) for r in rows]

    async def lapsed_lots(
        self, now: datetime, *, resident_id: int | None = None, limit: int = 500
    ) -> list[PointsLotRecord]:
        """Lots past their expiry that still hold points."""
        lot = m.PointsLot
        query = select(*_LOT_COLUMNS).where(lot.remaining > 0, lot.expires_at <= now)
        if resident_id is not None:
            query = query.where(lot.resident_id == resident_id)
        rows = await self._s.execute(query.order_by(lot.id).limit(limit))
        return [_lot(r) for r in rows]

    async def expiring_between(
        self, start: datetime, end: datetime
    ) -> list[tuple[int, datetime, int]]:
        """(resident id, expiry, points) of points expiring in [start, end)."""
        lot = m.PointsLot
        rows = await self._s.execute(
            select(lot.resident_id, lot.expires_at, func.sum(lot.remaining))
            .where(lot.remaining > 0, lot.expires_at >= start, lot.expires_at < end)
            .group_by(lot.resident_id, lot.expires_at)
            .order_by(lot.resident_id, lot.expires_at)
        )
        return [(r[0], r[1], int(r[2])) for r in rows]

    async def take_from_lot(self, lot_id: int, amount: int) -> bool:
        result = await self._s.execute(
            update(m.PointsLot)
            .where(m.PointsLot.id == lot_id, m.PointsLot.remaining >= amount)
            .values(remaining=m.PointsLot.remaining - amount)
            .execution_options(synchronize_session=False)
        )
        return _changed(result)

    async def give_back_to_lot(self, lot_id: int, amount: int) -> bool:
        lot = m.PointsLot
        result = await self._s.execute(
            update(lot)
            .where(lot.id == lot_id, lot.remaining + amount <= lot.amount)
            .values(remaining=lot.remaining + amount)
            .execution_options(synchronize_session=False)
        )
        return _changed(result)

    async def add_allocation(self, entry_id: int, lot_id: int, amount: int) -> None:
        await self._s.execute(
            insert(m.PointsAllocation).values(entry_id=entry_id, lot_id=lot_id, amount=amount)
        )

    async def allocations(self, entry_id: int) -> list[tuple[int, int]]:
        """(lot id, points) taken by a ledger entry."""
        rows = await self._s.execute(
            select(m.PointsAllocation.lot_id, m.PointsAllocation.amount)
            .where(m.PointsAllocation.entry_id == entry_id)
            .order_by(m.PointsAllocation.id)
        )
        return [(r[0], r[1]) for r in rows]

    # --- rewards ---

    async def reward(self, reward_id: int) -> RewardRecord | None:
        row = (
            await self._s.execute(select(*_REWARD_COLUMNS).where(m.PointsReward.id == reward_id))
        ).first()
        return _reward(row) if row else None

    async def reward_by_code(self, centre_id: int, code: str) -> RewardRecord | None:
        row = (
            await self._s.execute(
                select(*_REWARD_COLUMNS).where(
                    m.PointsReward.centre_id == centre_id, m.PointsReward.code == code
                )
            )
        ).first()
        return _reward(row) if row else None

    async def rewards(self, centre_id: int) -> list[RewardRecord]:
        rows = await self._s.execute(
            select(*_REWARD_COLUMNS)
            .where(m.PointsReward.centre_id == centre_id, m.PointsReward.active.is_(True))
            .order_by(m.PointsReward.cost, m.PointsReward.id)
        )
        return [_reward(r) for r in rows]

    async def add_reward(
        self,
        *,
        centre_id: int,
        code: str,
        name_zh: str,
        name_en: str,
        cost: int,
        stock: int,
        valid_days: int,
    ) -> int:
        reward_id = await self._s.scalar(
            insert(m.PointsReward)
            .values(
                centre_id=centre_id,
                code=code,
                name_zh=name_zh,
                name_en=name_en,
                cost=cost,
                stock=stock,
                valid_days=valid_days,
            )
            .returning(m.PointsReward.id)
        )
        assert reward_id is not None
        return int(reward_id)

    async def update_reward(self, reward_id: int, **values: object) -> None:
        await self._s.execute(
            update(m.PointsReward)
            .where(m.PointsReward.id == reward_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def take_stock(self, reward_id: int) -> bool:
        """One item off the shelf if there is one and the reward is offered."""
        r = m.PointsReward
        result = await self._s.execute(
            update(r)
            .where(r.id == reward_id, r.stock > 0, r.active.is_(True))
            .values(stock=r.stock - 1)
            .execution_options(synchronize_session=False)
        )
        return _changed(result)

    async def return_stock(self, reward_id: int) -> None:
        r = m.PointsReward
        await self._s.execute(
            update(r)
            .where(r.id == reward_id)
            .values(stock=r.stock + 1)
            .execution_options(synchronize_session=False)
        )

    # --- vouchers ---

    async def add_voucher(
        self,
        *,
        resident_id: int,
        reward_id: int,
        code: str,
        cost: int,
        spend_entry_id: int,
        valid_until: datetime,
        now: datetime,
    ) -> int | None:
        """None if the code is taken (the caller draws another)."""
        voucher_id = await self._s.scalar(
            insert_ignoring_duplicates(
                self._s,
                m.PointsVoucher.__table__,
                {
                    "resident_id": resident_id,
                    "reward_id": reward_id,
                    "code": code,
                    "cost": cost,
                    "spend_entry_id": spend_entry_id,
                    "status": VoucherStatus.ACTIVE.value,
                    "valid_until": valid_until,
                    "created_at": now,
                },
            ).returning(m.PointsVoucher.__table__.c.id)
        )
        return int(voucher_id) if voucher_id is not None else None

    async def voucher(self, voucher_id: int) -> VoucherRecord | None:
        row = (await self._s.execute(_vouchers().where(m.PointsVoucher.id == voucher_id))).first()
        return _voucher(row) if row else None

    async def voucher_by_code(self, code: str) -> VoucherRecord | None:
        row = (await self._s.execute(_vouchers().where(m.PointsVoucher.code == code))).first()
        return _voucher(row) if row else None

    async def vouchers_for(
        self, resident_id: int, statuses: Iterable[VoucherStatus] | None = None
    ) -> list[VoucherRecord]:
        query = _vouchers().where(m.PointsVoucher.resident_id == resident_id)
        if statuses is not None:
            query = query.where(m.PointsVoucher.status.in_([s.value for s in statuses]))
        rows = await self._s.execute(
            query.order_by(m.PointsVoucher.created_at.desc(), m.PointsVoucher.id.desc())
        )
        return [_voucher(r) for r in rows]

    async def close_voucher(
        self,
        voucher_id: int,
        to: VoucherStatus,
        now: datetime,
        *,
        valid_at: datetime | None = None,
        doctor_id: int | None = None,
    ) -> bool:
        """Moves an active voucher on, once. `valid_at`: only if still valid at that time;
        `doctor_id`: who redeemed it."""
        v = m.PointsVoucher
        query = update(v).where(v.id == voucher_id, v.status == VoucherStatus.ACTIVE.value)
        if valid_at is not None:
            query = query.where(v.valid_until > valid_at)
        result = await self._s.execute(
            query.values(status=to.value, closed_at=now, redeemed_by=doctor_id).execution_options(
                synchronize_session=False
            )
        )
        return _changed(result)

    async def lapsed_vouchers(self, now: datetime, limit: int = 500) -> list[int]:
        v = m.PointsVoucher
        rows = await self._s.scalars(
            select(v.id)
            .where(v.status == VoucherStatus.ACTIVE.value, v.valid_until <= now)
            .order_by(v.id)
            .limit(limit)
        )
        return list(rows)
