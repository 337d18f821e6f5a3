"""Appointment booking: services, schedules, slots, appointments and waitlists."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from jiayi.storage.models.base import Base, BigId

_BOOKED = text("status = 'booked'")
_WAITING = text("status IN ('waiting', 'offered')")


class BookableService(Base):
    """Something a resident can book at a centre: a vaccination, a follow-up, a check-up…"""

    __tablename__ = "bookable_services"
    __table_args__ = (
        UniqueConstraint("centre_id", "code", name="uq_bookable_services_centre_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    centre_id: Mapped[int] = mapped_column(
        ForeignKey("centres.id", ondelete="RESTRICT"), index=True
    )
    code: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    min_notice_minutes: Mapped[int] = mapped_column(
        Integer, default=120, server_default=text("120")
    )
    horizon_days: Mapped[int] = mapped_column(Integer, default=14, server_default=text("14"))
    cancel_cutoff_minutes: Mapped[int] = mapped_column(
        Integer, default=120, server_default=text("120")
    )
    # Vaccines have age windows, counted in whole months at the day of the appointment.
    min_age_months: Mapped[int | None] = mapped_column(Integer)
    max_age_months: Mapped[int | None] = mapped_column(Integer)
    # Only people recorded with this sex ("female" / "male"); NULL: anyone.
    sex: Mapped[str | None] = mapped_column(String(8))
    requires_referral: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))


class Schedule(Base):
    """A weekly clinic session that slots are cut from, in the centre's local time."""

    __tablename__ = "schedules"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("slot_minutes > 0 AND capacity > 0", name="positive"),
        CheckConstraint("end_time > start_time", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("bookable_services.id", ondelete="CASCADE"), index=True
    )
    doctor_id: Mapped[int | None] = mapped_column(
        ForeignKey("doctors.id", ondelete="SET NULL"), index=True
    )
    weekday: Mapped[int] = mapped_column(SmallInteger)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    # Also runs on official make-up working days (调休), whatever its own weekday.
    on_makeup_workdays: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))


class ClosedDay(Base):
    __tablename__ = "closed_days"
    __table_args__ = (UniqueConstraint("centre_id", "day", name="uq_closed_days_centre_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id", ondelete="CASCADE"))
    day: Mapped[date]
    reason: Mapped[str] = mapped_column(String(200))


class Slot(Base):
    """A bookable time with seats. `booked` only moves by single conditional UPDATEs; the CHECK
    is the last line of defence against overbooking."""

    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("service_id", "starts_at", name="uq_slots_service_starts"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
        Index("ix_slots_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("bookable_services.id", ondelete="CASCADE"))
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    status: Mapped[str] = mapped_column(String(8), default="open", server_default="open")


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        # At most one active booking per service per person, enforced where races can't reach.
        Index(
            "uq_appointments_one_active_per_person",
            "service_id",
            "person_key",
            unique=True,
            sqlite_where=_BOOKED,
            postgresql_where=_BOOKED,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id", ondelete="RESTRICT"), index=True)
    service_id: Mapped[int] = mapped_column(
        ForeignKey("bookable_services.id", ondelete="RESTRICT")
    )
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    family_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("family_members.id", ondelete="CASCADE"), index=True
    )
    # 'r:<resident id>' or 'm:<member id>': who the appointment is for, in one column.
    person_key: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(20))
    check_in_code: Mapped[str] = mapped_column(String(8), unique=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]


class AppointmentEvent(Base):
    """What happened to an appointment, and who did it. Later features consume 'attended'."""

    __tablename__ = "appointment_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(12))
    at: Mapped[datetime]


class WaitlistEntry(Base):
    __tablename__ = "waitlist"
    __table_args__ = (
        Index(
            "uq_waitlist_one_live_per_person",
            "slot_id",
            "person_key",
            unique=True,
            sqlite_where=_WAITING,
            postgresql_where=_WAITING,
        ),
        Index("ix_waitlist_slot_status", "slot_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slots.id", ondelete="CASCADE"))
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    family_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("family_members.id", ondelete="CASCADE"), index=True
    )
    person_key: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(12))
    offered_until: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Referral(Base):
    """A doctor's referral that makes a referral-only service bookable until `valid_until`."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    family_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("family_members.id", ondelete="CASCADE"), index=True
    )
    service_id: Mapped[int] = mapped_column(ForeignKey("bookable_services.id", ondelete="CASCADE"))
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id", ondelete="RESTRICT"))
    valid_until: Mapped[date]
    created_at: Mapped[datetime]
