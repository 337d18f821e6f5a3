"""Health points: the ledger, its lots and balances, rewards and vouchers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from jiayi.storage.models.base import Base, BigId


class PointsEntry(Base):
    """One line of the append-only points ledger. Rows are never updated or deleted.

    `idempotency_key` is what makes an event earn once: marking attendance twice, a retried
    job or two workers all try to insert the same key, and only one row can exist.
    """

    __tablename__ = "points_ledger"
    __table_args__ = (
        Index("ix_points_ledger_resident_created", "resident_id", "created_at"),
        Index("ix_points_ledger_resident_rule_period", "resident_id", "reason", "period"),
        Index("ix_points_ledger_source", "source"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    # earn / reversal / spend / refund / expiry
    kind: Mapped[str] = mapped_column(String(12))
    delta: Mapped[int] = mapped_column(Integer)
    # The earn rule's or the reward's code.
    reason: Mapped[str] = mapped_column(String(40))
    # What caused it: 'appointment:12', 'lecture:2026-11-23', 'quiz:<tip id>', 'voucher:5'…
    source: Mapped[str] = mapped_column(String(80))
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    # The cap period an earning counts towards ('2026' or '2026-11'); empty for spending.
    period: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime]


class PointsLot(Base):
    """Points earned by one ledger entry, with what is left of them and when they expire.
    Spending takes from the soonest-expiring lots first."""

    __tablename__ = "points_lots"
    __table_args__ = (
        CheckConstraint("remaining >= 0 AND remaining <= amount", name="remaining_within_amount"),
        Index("ix_points_lots_resident_expires", "resident_id", "expires_at"),
        Index("ix_points_lots_expires", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("points_ledger.id", ondelete="CASCADE"), unique=True
    )
    amount: Mapped[int] = mapped_column(Integer)
    remaining: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime]


class PointsAccount(Base):
    """The cached balance: always the sum of the ledger, moved in the same transaction by
    single conditional UPDATEs. Its row is also the per-resident lock for points writes."""

    __tablename__ = "points_accounts"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True
    )
    balance: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    updated_at: Mapped[datetime]


class PointsReward(Base):
    """Something a centre offers for points: a test, a TCM session, a loan, supplies."""

    __tablename__ = "points_rewards"
    __table_args__ = (
        UniqueConstraint("centre_id", "code", name="uq_points_rewards_centre_code"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("cost > 0 AND valid_days > 0", name="positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    centre_id: Mapped[int] = mapped_column(
        ForeignKey("centres.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(40))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    cost: Mapped[int] = mapped_column(Integer)
    stock: Mapped[int] = mapped_column(Integer)
    valid_days: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))


class PointsVoucher(Base):
    """A redeemed reward waiting to be used at the centre. Its status only moves by
    conditional UPDATEs from 'active', so it is used, cancelled or expired exactly once."""

    __tablename__ = "points_vouchers"
    __table_args__ = (Index("ix_points_vouchers_status_valid", "status", "valid_until"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    reward_id: Mapped[int] = mapped_column(ForeignKey("points_rewards.id", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(String(12), unique=True)
    cost: Mapped[int] = mapped_column(Integer)
    # The ledger entry that paid for it; a refund gives back exactly its lots. Ledger rows
    # only go with their resident (account deletion), and the voucher goes with them.
    spend_entry_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("points_ledger.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(12))
    valid_until: Mapped[datetime]
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    redeemed_by: Mapped[int | None] = mapped_column(ForeignKey("doctors.id", ondelete="SET NULL"))


class PointsAllocation(Base):
    """Which lots a spending entry took its points from, for FIFO and exact refunds."""

    __tablename__ = "points_allocations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("points_ledger.id", ondelete="CASCADE"), index=True
    )
    lot_id: Mapped[int] = mapped_column(BigId, ForeignKey("points_lots.id", ondelete="CASCADE"))
    amount: Mapped[int] = mapped_column(Integer)
