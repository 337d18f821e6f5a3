"""Residents, the family members whose care they manage, and their contracts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from jiayi.storage.models.base import Base

# Quiet hours as hours of the local day: no pushes from 21:00 until 08:00 unless changed.
DEFAULT_QUIET_START = 21
DEFAULT_QUIET_END = 8


class Resident(Base):
    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    locale: Mapped[str] = mapped_column(String(8))
    # Birth year, not date: enough for age bands and care rules, less to lose.
    birth_year: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str | None] = mapped_column(String(8))
    # Expected date of delivery: pregnancy runs until it, postpartum for a year after.
    pregnancy_due: Mapped[date | None] = mapped_column(Date)
    consent_version: Mapped[str] = mapped_column(String(32))
    consented_at: Mapped[datetime]
    onboarded_at: Mapped[datetime | None]
    reachable: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    unreachable_since: Mapped[datetime | None]
    # Push preferences: pause everything, and quiet hours in the centre's local time.
    pushes_paused_at: Mapped[datetime | None]
    # Consent withdrawn through /privacy: no pushes and no new processing until given again.
    consent_withdrawn_at: Mapped[datetime | None]
    quiet_start: Mapped[int] = mapped_column(
        SmallInteger, default=DEFAULT_QUIET_START, server_default=text(str(DEFAULT_QUIET_START))
    )
    quiet_end: Mapped[int] = mapped_column(
        SmallInteger, default=DEFAULT_QUIET_END, server_default=text(str(DEFAULT_QUIET_END))
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ResidentTopicOptOut(Base):
    """Topics a resident asked not to receive tips about."""

    __tablename__ = "resident_topic_optouts"

    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[str] = mapped_column(String(32), primary_key=True)


class ResidentCondition(Base):
    __tablename__ = "resident_conditions"

    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True
    )
    condition: Mapped[str] = mapped_column(String(32), primary_key=True)


class FamilyMember(Base):
    """A child or elderly parent whose care a resident manages."""

    __tablename__ = "family_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    display_name: Mapped[str] = mapped_column(String(100))
    relation: Mapped[str] = mapped_column(String(16))
    # A full date: children's vaccination schedules are counted in months.
    birth_date: Mapped[date]
    sex: Mapped[str | None] = mapped_column(String(8))
    consent_basis: Mapped[str] = mapped_column(String(16))
    consent_recorded_at: Mapped[datetime]
    # Who confirmed the consent on the member's behalf, and which notice they confirmed.
    consented_by_resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL")
    )
    consent_version: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class FamilyMemberCondition(Base):
    __tablename__ = "family_member_conditions"

    family_member_id: Mapped[int] = mapped_column(
        ForeignKey("family_members.id", ondelete="CASCADE"), primary_key=True
    )
    condition: Mapped[str] = mapped_column(String(32), primary_key=True)


class FamilyTakeover(Base):
    """A one-time link with which a family member takes over their own account. Hash only."""

    __tablename__ = "family_takeovers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_member_id: Mapped[int] = mapped_column(
        ForeignKey("family_members.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Contract(Base):
    """A family-doctor contract. A resident has at most one open contract."""

    __tablename__ = "contracts"
    __table_args__ = (
        Index(
            "uq_contracts_one_open_per_resident",
            "resident_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    doctor_id: Mapped[int] = mapped_column(
        ForeignKey("doctors.id", ondelete="RESTRICT"), index=True
    )
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    ended_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
