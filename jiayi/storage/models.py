"""ORM tables. Later features add their own tables here and a migration beside them."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from jiayi.storage.types import UTCDateTime

# Quiet hours as hours of the local day: no pushes from 21:00 until 08:00 unless changed.
DEFAULT_QUIET_START = 21
DEFAULT_QUIET_END = 8

BigId = BigInteger().with_variant(Integer, "sqlite")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), date: Date()}


class Centre(Base):
    __tablename__ = "centres"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    # Shown on every appointment message when set (booking YAML `phone`/`address`).
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]

    doctors: Mapped[list[Doctor]] = relationship(back_populates="centre", lazy="raise")


class Doctor(Base):
    __tablename__ = "doctors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    centre_id: Mapped[int] = mapped_column(
        ForeignKey("centres.id", ondelete="RESTRICT"), index=True
    )
    display_name: Mapped[str] = mapped_column(String(100))
    # The code residents reach through `/start doc_<code>`: public, so it is not a secret.
    link_code: Mapped[str] = mapped_column(String(32), unique=True)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    created_at: Mapped[datetime]
    # The language of pushes addressed to the doctor (digests); None = the bot's default.
    locale: Mapped[str | None] = mapped_column(String(8))
    # Urgent home-reading alerts also at night (quiet hours), when the doctor asked for it.
    urgent_alerts_all_hours: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    # Set with `active = false` by `jiayi doctor deactivate`: the console is gone at once, the
    # residents stay contracted and are listed as needing a new doctor.
    deactivated_at: Mapped[datetime | None]

    centre: Mapped[Centre] = relationship(back_populates="doctors", lazy="raise")


class DoctorInvite(Base):
    """A one-time link that binds a Telegram account to a doctor. Only a hash of it is kept."""

    __tablename__ = "doctor_invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doctor_id: Mapped[int] = mapped_column(
        ForeignKey("doctors.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # `jiayi doctor revoke-invite` (or deactivating the doctor): a forwarded link stops working.
    revoked_at: Mapped[datetime | None]
    # Set when the operator asked to re-bind an existing doctor (and their residents) to
    # whoever opens the link; a plain invite is for a doctor created with it.
    rebind: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))


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


class ConsentRefusal(Base):
    """An anonymous count of declined consent: no user id, no name, only the day and notice."""

    __tablename__ = "consent_refusals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_version: Mapped[str] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(8))
    refused_on: Mapped[date]


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


class TipFeedback(Base):
    """👍/👎 on a delivered tip: one vote per delivery, the latest press wins."""

    __tablename__ = "tip_feedback"

    outbox_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True
    )
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    tip_id: Mapped[str] = mapped_column(String(64), index=True)
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]


class PlanRun(Base):
    """The days whose pushes have been planned, so downtime can be caught up exactly once."""

    __tablename__ = "plan_runs"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    planned_at: Mapped[datetime]
    created: Mapped[int] = mapped_column(Integer)


# --- appointment booking -------------------------------------------------------------------

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


# --- care plans -----------------------------------------------------------------------------


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


# --- privacy and data rights -----------------------------------------------------------------


class StatisticCount(Base):
    """Anonymised counts the centre keeps after personal rows are erased or pruned.

    No resident id, no name: a metric, a calendar month (UTC, 'YYYY-MM') and one dimension such
    as a service code or tip id. Counts only grow, by single UPDATEs.
    """

    __tablename__ = "statistic_counts"
    __table_args__ = (
        UniqueConstraint("metric", "period", "dimension", name="uq_statistic_counts_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    metric: Mapped[str] = mapped_column(String(48))
    period: Mapped[str] = mapped_column(String(7))
    dimension: Mapped[str] = mapped_column(String(64), default="", server_default="")
    count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


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


# --- health points ---------------------------------------------------------------------------


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


# --- doctor console ------------------------------------------------------------------------


class AuditEntry(Base):
    """Who (a doctor or an admin) read or changed which resident's data, and when.

    Only the fact of the access: never a message body or a search term. Residents see their
    own entries in their data export.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_resident_at", "resident_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # NULL for an admin who is not a doctor; `actor_user_id` still says who it was.
    actor_doctor_id: Mapped[int | None] = mapped_column(
        ForeignKey("doctors.id", ondelete="SET NULL"), index=True
    )
    actor_user_id: Mapped[int] = mapped_column(BigInteger)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(32))
    ref_id: Mapped[int | None] = mapped_column(BigInteger)
    at: Mapped[datetime]


class DoctorAccountEvent(Base):
    """The operator's changes to doctors' accounts (invites, re-binds, revocations,
    deactivations, residents moved): who the change was for, never a token."""

    __tablename__ = "doctor_account_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doctor_id: Mapped[int | None] = mapped_column(
        ForeignKey("doctors.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(32))
    # A second doctor the action involved (the one residents were moved to).
    other_doctor_id: Mapped[int | None] = mapped_column(
        ForeignKey("doctors.id", ondelete="SET NULL")
    )
    count: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime]


class Broadcast(Base):
    """A doctor's message to a segment of their residents. Its pushes are outbox rows with the
    dedupe key `broadcast:<id>:<resident id>`; the report is counted from their statuses."""

    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_status", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    doctor_id: Mapped[int | None] = mapped_column(
        ForeignKey("doctors.id", ondelete="SET NULL"), index=True
    )
    owner_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    owner_locale: Mapped[str] = mapped_column(String(8))
    # JSON {locale: text}; the first language is the doctor's, the second optional.
    texts: Mapped[str] = mapped_column(Text)
    photo_file_id: Mapped[str | None] = mapped_column(String(200))
    # JSON list of segment codes, e.g. ["cond.hypertension", "age.65+"].
    segments: Mapped[str] = mapped_column(Text)
    audience_size: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime]
    spread_minutes: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    status: Mapped[str] = mapped_column(String(12))
    status_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class Question(Base):
    """A resident's question to their family doctor."""

    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_doctor_open", "doctor_id", "answered_at", "asked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    doctor_id: Mapped[int] = mapped_column(ForeignKey("doctors.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[int | None] = mapped_column(BigInteger)


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


class TipSignoff(Base):
    """A clinician's sign-off of a tip, given in the console: who, when, which source sections
    they checked, and a hash of the tip's content then (an edited tip needs signing again).
    Layered on the tip files' own `review`: either one signs the tip off."""

    __tablename__ = "tip_signoffs"
    __table_args__ = (Index("ix_tip_signoffs_tip_signed", "tip_id", "signed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tip_id: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    # The name the clinician signed with (a doctor's display name, or the operator's entry).
    clinician: Mapped[str] = mapped_column(String(100))
    signed_by_user_id: Mapped[int] = mapped_column(BigInteger)
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("doctors.id", ondelete="SET NULL"))
    # JSON list of the source sections checked.
    sections: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime]


class RosterEntry(Base):
    """A person the centre's family-doctor contract system lists (imported from its CSV/XLSX
    export), not yet — or already — a resident of the bot. Nobody is messaged because of it:
    it waits until someone signs up and shares this phone number through Telegram.

    Personal data: while unmatched it is deleted by the next import that no longer lists it
    or by retention after the contract end; once matched (`resident_id`) it is the resident's,
    exported by /mydata and erased by /forget (ON DELETE CASCADE)."""

    __tablename__ = "roster_entries"
    __table_args__ = (
        UniqueConstraint("centre_id", "phone", name="uq_roster_entries_centre_phone"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    centre_id: Mapped[int] = mapped_column(ForeignKey("centres.id", ondelete="CASCADE"))
    doctor_id: Mapped[int | None] = mapped_column(
        ForeignKey("doctors.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    # E.164 (+8613812345678), normalised with `phonenumbers`.
    phone: Mapped[str] = mapped_column(String(20), index=True)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    birth_date: Mapped[date | None] = mapped_column(Date)
    sex: Mapped[str | None] = mapped_column(String(8))
    # Condition codes, comma-separated, sorted ("diabetes_t2,hypertension").
    conditions: Mapped[str] = mapped_column(String(200), default="", server_default="")
    contract_starts_on: Mapped[date | None] = mapped_column(Date)
    contract_ends_on: Mapped[date | None] = mapped_column(Date)
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), unique=True
    )
    matched_at: Mapped[datetime | None]
    imported_at: Mapped[datetime]


# --- web console (#17) ----------------------------------------------------------------------


class ConsoleLogin(Base):
    """A one-time sign-in link `/console` sent in the bot. Only a hash of its token is kept."""

    __tablename__ = "console_logins"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The language of the chat it was asked for in: the console starts in it.
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ConsoleSession(Base):
    """A signed-in browser. The cookie holds the token; only its hash is kept here."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
