"""Care plans: care records, prescriptions, vaccine answers, pregnancies, digests."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from jiayi.storage.models.base import Base


class CareRecord(Base):
    """A care-plan item done: a dose or visit, from an attended appointment, a doctor's record,
    or the resident saying it was done elsewhere. Each row of a series rule is one dose."""

    __tablename__ = "care_records"
    __table_args__ = (Index("ix_care_records_person_rule", "person_key", "rule_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    family_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("family_members.id", ondelete="CASCADE"), index=True
    )
    person_key: Mapped[str] = mapped_column(String(24))
    rule_id: Mapped[str] = mapped_column(String(32))
    done_on: Mapped[date]
    source: Mapped[str] = mapped_column(String(12))
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), index=True
    )
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id", ondelete="SET NULL"))
    # A follow-up the doctor found not controlled brings the next one forward.
    outcome: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]


class CarePrescription(Base):
    """A long-term prescription's length, recorded by the doctor: the refill falls due when
    it runs out."""

    __tablename__ = "care_prescriptions"
    __table_args__ = (CheckConstraint("weeks BETWEEN 1 AND 26", name="weeks"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    family_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("family_members.id", ondelete="CASCADE"), index=True
    )
    person_key: Mapped[str] = mapped_column(String(24), index=True)
    weeks: Mapped[int] = mapped_column(SmallInteger)
    prescribed_on: Mapped[date]
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]


class CareVaccineAnswer(Base):
    """A parent's answer for one vaccine of a child's vaccination record (预防接种证):
    done, not done, or don't know. Until it is answered, the child's overdue doses of that
    vaccine are not reminded (they were probably given)."""

    __tablename__ = "care_vaccine_answers"
    __table_args__ = (UniqueConstraint("person_key", "rule_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    family_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("family_members.id", ondelete="CASCADE"), index=True
    )
    person_key: Mapped[str] = mapped_column(String(24))
    rule_id: Mapped[str] = mapped_column(String(32))
    answer: Mapped[str] = mapped_column(String(12))
    answered_at: Mapped[datetime]


class CarePregnancy(Base):
    """A pregnancy's expected delivery date (and the delivery date once known): antenatal and
    postnatal care are counted from it. One row per person: a new pregnancy replaces it."""

    __tablename__ = "care_pregnancies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    family_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("family_members.id", ondelete="CASCADE"), index=True
    )
    person_key: Mapped[str] = mapped_column(String(24), unique=True)
    expected_on: Mapped[date]
    delivered_on: Mapped[date | None]
    updated_at: Mapped[datetime]


class DoctorDigestPref(Base):
    """How often a doctor gets the digest of their residents' overdue items."""

    __tablename__ = "doctor_digest_prefs"

    doctor_id: Mapped[int] = mapped_column(
        ForeignKey("doctors.id", ondelete="CASCADE"), primary_key=True
    )
    frequency: Mapped[str] = mapped_column(String(8))
    updated_at: Mapped[datetime]
