"""Home readings (blood pressure, glucose) and reminders to measure."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from jiayi.storage.models.base import Base, BigId


class HomeReading(Base):
    """A blood-pressure or glucose reading a resident sent for themself or a family member.

    Health data: kept only under consent, exported, erased and pruned after the retention
    period (`JIAYI_READINGS_RETENTION_MONTHS`). Glucose is stored in tenths of mmol/L."""

    __tablename__ = "home_readings"
    __table_args__ = (
        Index("ix_home_readings_person_measured", "resident_id", "member_id", "measured_at"),
        CheckConstraint("kind IN ('bp', 'glucose')", name="kind"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("family_members.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))
    systolic: Mapped[int | None] = mapped_column(SmallInteger)
    diastolic: Mapped[int | None] = mapped_column(SmallInteger)
    pulse: Mapped[int | None] = mapped_column(SmallInteger)
    glucose_tenths: Mapped[int | None] = mapped_column(SmallInteger)
    context: Mapped[str | None] = mapped_column(String(16))
    # in_range, above or urgent, as the thresholds in force when it was recorded said.
    level: Mapped[str] = mapped_column(String(16))
    measured_at: Mapped[datetime]
    recorded_at: Mapped[datetime]


class ReadingReminder(Base):
    """A resident's choice to be reminded to measure at home: at which local hours, daily
    until `daily_until`, then weekly on that weekday. Off = no row."""

    __tablename__ = "reading_reminders"

    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True
    )
    # Local hours, comma-separated ("7,19").
    hours: Mapped[str] = mapped_column(String(32))
    daily_until: Mapped[date]
    created_at: Mapped[datetime]
