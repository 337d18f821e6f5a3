"""The outbox every push goes through and the planner's runs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from jiayi.storage.models.base import Base, BigId


class OutboxMessage(Base):
    """One outgoing push (tip, reminder, broadcast). Every push goes through this table.

    `dedupe_key` makes planning idempotent: re-planning, a second scheduler or a restart
    mid-plan inserts nothing new. Rows are claimed with a lease; a crashed dispatcher's rows
    are claimed again once the lease runs out.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "not_before"),
        # The catch-up planner counts each resident's tips in a year and checks whether a
        # tip was already sent to them: both are per-resident lookups.
        Index("ix_outbox_resident_kind_not_before", "resident_id", "kind", "not_before"),
        Index("ix_outbox_resident_tip", "resident_id", "tip_id"),
        # A push goes to a resident or, for digests, to a doctor: exactly one of them.
        CheckConstraint("(resident_id IS NULL) <> (doctor_id IS NULL)", name="one_recipient"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    doctor_id: Mapped[int | None] = mapped_column(
        ForeignKey("doctors.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    tip_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    not_before: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]


class PlanRun(Base):
    """The days whose pushes have been planned, so downtime can be caught up exactly once."""

    __tablename__ = "plan_runs"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    planned_at: Mapped[datetime]
    created: Mapped[int] = mapped_column(Integer)
