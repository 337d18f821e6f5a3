"""Residents' data rights: versioned consent, export (/mydata), erasure (/forget), retention,
and a family member taking over their own account.

Two small registries keep this open to features added later:

- export sections (`export_section`, `table_section`): each names the tables it reports and an
  async function `(uow, subject) -> JSON-able data`;
- erasure steps (`erasure_step`): run inside the erasure transaction before the generic delete,
  to keep anonymised counts or give back shared resources (seats).

The erasure itself is generic (storage/privacy.py): every row referencing the resident or their
family members is deleted (or, for ON DELETE SET NULL columns, unlinked). A unit test walks the
metadata and names any table that is neither in an export section nor excluded with a reason.
"""

from __future__ import annotations

import calendar
import contextlib
import hashlib
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.services import booking
from jiayi.services.clock import Clock
from jiayi.services.errors import DomainError, InvalidInput, NotAllowed, NotFound
from jiayi.services.people import require_resident
from jiayi.services.push import PushKind
from jiayi.services.push.care import CareDigest, member_prefix
from jiayi.services.push.messages import question_alert_key
from jiayi.services.push.readings import alert_prefix
from jiayi.storage.records import (
    ConsentBasis,
    FamilyMemberRecord,
    OutboxStatus,
    ResidentRecord,
    VoucherStatus,
)
from jiayi.storage.uow import UnitOfWork

__all__ = [
    "ConsentStatus",
    "DataExport",
    "DataSubject",
    "ErasureReport",
    "ExportSection",
    "PrivacyOverview",
    "accept_takeover",
    "consent_status",
    "create_takeover",
    "erase_my_data",
    "erasure_step",
    "export_my_data",
    "export_section",
    "give_consent",
    "leave_digests",
    "privacy_overview",
    "prune_outbox",
    "table_section",
    "takeover_member",
    "withdraw_consent",
]

DEFAULT_RETENTION_MONTHS = 13
TAKEOVER_PREFIX = "tko_"
TAKEOVER_TTL = timedelta(days=7)

# Anonymised statistics (table statistic_counts): metric names.
ACCOUNTS_ERASED = "accounts_erased"
APPOINTMENTS_ATTENDED = "appointments_attended"  # dimension: service code
PUSHES_DELIVERED = "pushes_delivered"  # dimension: push kind
PUSHES_UNDELIVERED = "pushes_undelivered"  # dimension: 'kind:status' (skipped, cancelled…)
TIP_HELPFUL = "tip_feedback_helpful"  # dimension: tip id
TIP_UNHELPFUL = "tip_feedback_unhelpful"


class ConsentStatus(StrEnum):
    CURRENT = "current"  # agreed to the notice in force
    OUTDATED = "outdated"  # agreed to an earlier notice: ask again before anything new
    WITHDRAWN = "withdrawn"


def consent_status(
    resident: ResidentRecord, current: str = CONSENT_NOTICE_VERSION
) -> ConsentStatus:
    if resident.consent_withdrawn_at is not None:
        return ConsentStatus.WITHDRAWN
    if resident.consent_version != current:
        return ConsentStatus.OUTDATED
    return ConsentStatus.CURRENT


@dataclass(frozen=True, slots=True)
class DataSubject:
    """Whose data a section collects: the resident and every family member they manage."""

    resident: ResidentRecord
    members: tuple[FamilyMemberRecord, ...]

    @property
    def member_ids(self) -> list[int]:
        return [member.id for member in self.members]


Collector = Callable[[UnitOfWork, DataSubject], Awaitable[object]]
EraseStep = Callable[[UnitOfWork, DataSubject, datetime], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ExportSection:
    name: str
    tables: tuple[str, ...]
    collect: Collector


@dataclass(frozen=True, slots=True)
class ErasureStep:
    name: str
    tables: tuple[str, ...]
    run: EraseStep


_SECTIONS: dict[str, ExportSection] = {}
_ERASURE_STEPS: dict[str, ErasureStep] = {}

# Tables that hold no data a person could read about themselves, or none of theirs at all,
# each with the reason. Everything else that points at a resident or a family member, or holds
# a Telegram id, must be in an export section (tests/unit/test_privacy_coverage.py).
EXCLUDED_FROM_EXPORT: dict[str, str] = {
    "doctors": "doctors' own accounts; a resident's doctor is named in their contract",
    "console_logins": "staff's one-time web console sign-in links (hashes): no resident's data",
    "console_sessions": "staff's web console sessions (hashes): no resident's data",
    "family_takeovers": "hashes of one-time links: nothing readable; erased with the member",
    "points_allocations": (
        "which earned lot paid for which spend: bookkeeping; the ledger and lots sections "
        "show every entry; erased with the ledger"
    ),
}


def export_section(name: str, *tables: str) -> Callable[[Collector], Collector]:
    """Registers `collect(uow, subject)` as the export section `name`, reporting `tables`.

    The section's data goes into the JSON file under its name; the readable summary lists
    sections it has no special layout for by name and entry count.
    """

    def register(collect: Collector) -> Collector:
        if name in _SECTIONS:
            raise ValueError(f"export section {name!r} is registered twice")
        _SECTIONS[name] = ExportSection(name=name, tables=tables, collect=collect)
        return collect

    return register


def table_section(name: str, table: str, *, omit: tuple[str, ...] = ()) -> None:
    """A section that is every row of `table` referencing the resident or one of their
    members, as stored (minus `omit` columns). Enough for most tables added later."""

    async def collect(uow: UnitOfWork, subject: DataSubject) -> object:
        return await uow.privacy.rows_about(
            table, subject.resident.id, subject.member_ids, omit=omit
        )

    export_section(name, table)(collect)


def erasure_step(name: str, *tables: str) -> Callable[[EraseStep], EraseStep]:
    """Registers `run(uow, subject, now)` to run inside the erasure transaction before the
    generic delete: to keep anonymised counts, release what other people need (seats), or
    clear rows the generic delete can't reach — name those `tables` (rows hanging off a
    resident's rows without ON DELETE CASCADE / SET NULL), and the coverage test accepts them.
    """

    def register(run: EraseStep) -> EraseStep:
        if name in _ERASURE_STEPS:
            raise ValueError(f"erasure step {name!r} is registered twice")
        _ERASURE_STEPS[name] = ErasureStep(name=name, tables=tables, run=run)
        return run

    return register


def export_sections() -> list[ExportSection]:
    return list(_SECTIONS.values())


def erasure_steps() -> list[ErasureStep]:
    return list(_ERASURE_STEPS.values())


def _month(instant: datetime | date) -> str:
    return f"{instant.year:04d}-{instant.month:02d}"


async def _subject(uow: UnitOfWork, telegram_user_id: int) -> DataSubject:
    resident = await require_resident(uow, telegram_user_id)
    members = await uow.family.list_for(resident.id)
    return DataSubject(resident=resident, members=tuple(members))


# --- consent ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrivacyOverview:
    resident: ResidentRecord
    status: ConsentStatus
    current_version: str
    members: tuple[FamilyMemberRecord, ...]


async def privacy_overview(uow: UnitOfWork, telegram_user_id: int) -> PrivacyOverview:
    async with uow:
        subject = await _subject(uow, telegram_user_id)
    return PrivacyOverview(
        resident=subject.resident,
        status=consent_status(subject.resident),
        current_version=CONSENT_NOTICE_VERSION,
        members=subject.members,
    )


async def withdraw_consent(uow: UnitOfWork, clock: Clock, telegram_user_id: int) -> int:
    """Stops everything at once: pending pushes are withdrawn, the planner and the dispatcher
    leave the resident out, and interactive features ask for consent again. Their data stays
    until they erase it (/forget). Returns the pushes withdrawn."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        resident = await require_resident(uow, telegram_user_id)
        withdrawn = await uow.privacy.withdraw_pending(resident.id)
        if resident.consent_withdrawn_at is None:
            await uow.residents.update(resident.id, now, consent_withdrawn_at=now)
        await uow.commit()
    return withdrawn


async def give_consent(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int, notice_version: str
) -> ResidentRecord:
    """Agreeing (again) to the notice `notice_version`; ends a withdrawal."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        resident = await require_resident(uow, telegram_user_id)
        await uow.residents.update(
            resident.id,
            now,
            consent_version=notice_version,
            consented_at=now,
            consent_withdrawn_at=None,
        )
        updated = await uow.residents.get(resident.id)
        await uow.commit()
    assert updated is not None
    return updated


# --- export -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DataExport:
    generated_at: datetime
    subject: DataSubject
    sections: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> bytes:
        document = {
            "generated_at": self.generated_at.isoformat(),
            "consent_notice_in_force": CONSENT_NOTICE_VERSION,
            "sections": self.sections,
        }
        return json.dumps(document, ensure_ascii=False, indent=2, default=str).encode()

    def count(self, name: str) -> int:
        data = self.sections.get(name)
        return len(data) if isinstance(data, list | dict) else 0


async def export_my_data(uow: UnitOfWork, clock: Clock, telegram_user_id: int) -> DataExport:
    """Everything jiayi holds about the resident and the family members they manage."""
    async with uow:
        subject = await _subject(uow, telegram_user_id)
        sections = {s.name: await s.collect(uow, subject) for s in export_sections()}
    return DataExport(generated_at=clock.now(), subject=subject, sections=sections)


@export_section("profile", "residents", "resident_conditions", "resident_topic_optouts")
async def _profile(uow: UnitOfWork, subject: DataSubject) -> object:
    r = subject.resident
    [row] = await uow.privacy.rows_about("residents", r.id, [])
    preferences = await uow.pushes.preferences(r.id)
    return {
        **row,
        "conditions": sorted(c.value for c in r.conditions),
        "topics_opted_out": sorted(preferences.opted_out_topics),
        "consent": {
            "notice_version": r.consent_version,
            "consented_at": r.consented_at.isoformat(),
            "withdrawn_at": r.consent_withdrawn_at.isoformat() if r.consent_withdrawn_at else None,
            "status": consent_status(r).value,
        },
    }


@export_section("family_members", "family_members", "family_member_conditions")
async def _family(uow: UnitOfWork, subject: DataSubject) -> object:
    return [
        {
            "id": m.id,
            "name": m.display_name,
            "relation": m.relation.value,
            "birth_date": m.birth_date.isoformat(),
            "sex": m.sex.value if m.sex else None,
            "conditions": sorted(c.value for c in m.conditions),
            "consent": {
                "basis": m.consent_basis.value,
                "given_by_resident_id": m.consented_by_resident_id,
                "notice_version": m.consent_version,
                "recorded_at": m.consent_recorded_at.isoformat(),
            },
        }
        for m in subject.members
    ]


@export_section("contracts", "contracts")
async def _contracts(uow: UnitOfWork, subject: DataSubject) -> object:
    rows = await uow.privacy.rows_about("contracts", subject.resident.id, [])
    for row in rows:
        doctor = await uow.doctors.get(int(str(row["doctor_id"])))
        row["doctor_name"] = doctor.display_name if doctor else None
        row["centre_name"] = doctor.centre_name if doctor else None
    return rows


@export_section("appointments", "appointments", "appointment_events")
async def _appointments(uow: UnitOfWork, subject: DataSubject) -> object:
    rows = await uow.privacy.rows_about("appointments", subject.resident.id, subject.member_ids)
    ids = [int(str(row["id"])) for row in rows]
    details = {a.id: a for a in await uow.booking.appointments(ids)}
    events = await uow.privacy.appointment_events(ids)
    for row in rows:
        a = details.get(int(str(row["id"])))
        if a is not None:
            row.update(
                service_name_zh=a.service_name_zh,
                service_name_en=a.service_name_en,
                starts_at=a.starts_at.isoformat(),
                person_name=a.person_name,
                doctor_name=a.doctor_name,
                centre_name=a.centre_name,
            )
        row["events"] = [e for e in events if e["appointment_id"] == row["id"]]
    return rows


table_section("waiting_list", "waitlist")
table_section("referrals", "referrals")
table_section("tip_feedback", "tip_feedback")
table_section("care_records", "care_records", omit=("person_key",))
table_section("care_prescriptions", "care_prescriptions", omit=("person_key",))
table_section("care_vaccine_answers", "care_vaccine_answers", omit=("person_key",))
table_section("care_pregnancies", "care_pregnancies", omit=("person_key",))
table_section("points_balance", "points_accounts")
table_section("points_ledger", "points_ledger")
table_section("points_lots", "points_lots")
table_section("vouchers", "points_vouchers")
table_section("questions", "questions", omit=("answered_by",))
table_section("home_readings", "home_readings")
table_section("reading_reminders", "reading_reminders")
# The centre's contract-system record the resident confirmed as theirs (services/roster.py).
table_section("roster_record", "roster_entries")


@export_section("doctor_access", "audit_log")
async def _doctor_access(uow: UnitOfWork, subject: DataSubject) -> object:
    # Who looked at or acted on their data, and when; the doctor's own Telegram id stays out.
    return [
        {
            "at": e.at.isoformat(),
            "doctor_id": e.actor_doctor_id,
            "doctor_name": e.actor_doctor_name,
            "action": e.action,
        }
        for e in await uow.console.audit_for_resident(subject.resident.id)
    ]


@export_section("messages", "outbox")
async def _messages(uow: UnitOfWork, subject: DataSubject) -> object:
    rows = await uow.privacy.rows_about(
        "outbox", subject.resident.id, [], omit=("claimed_until", "attempts")
    )
    for row in rows:
        with contextlib.suppress(ValueError):
            row["payload"] = json.loads(str(row["payload"]))
    return rows


# --- erasure ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ErasureReport:
    members: int
    bookings_cancelled: int


@erasure_step("bookings")
async def _release_bookings(uow: UnitOfWork, subject: DataSubject, now: datetime) -> None:
    waiting = await uow.privacy.live_waitlist_ids(subject.resident.id)
    await booking.release_for_erasure(uow, now, subject.resident.id, waiting)


@erasure_step("question_alerts")
async def _question_alerts(uow: UnitOfWork, subject: DataSubject, now: datetime) -> None:
    # Alerts of their questions went to the doctor and carry their name and words.
    asked = await uow.privacy.rows_about("questions", subject.resident.id, [])
    await uow.privacy.delete_pushes([question_alert_key(int(str(q["id"]))) for q in asked])


@erasure_step("reading_alerts")
async def _reading_alerts(uow: UnitOfWork, subject: DataSubject, now: datetime) -> None:
    # Urgent-reading alerts went to the doctor and carry their name and the value.
    await uow.privacy.delete_pushes_prefixed(alert_prefix(subject.resident.id))


@erasure_step("doctor_digests")
async def _leave_digests(uow: UnitOfWork, subject: DataSubject, now: datetime) -> None:
    await leave_digests(uow, subject.resident.id)


async def leave_digests(uow: UnitOfWork, resident_id: int, member_name: str | None = None) -> None:
    """Within the caller's write transaction: the resident's entry leaves every doctor's care
    digest (with `member_name`: only that family member's items). A digest lists residents
    and their family by name and is addressed to the doctor, so deleting the resident's rows
    doesn't reach it. A digest not yet sent that is left listing nobody is deleted."""
    for outbox_id, status, payload in await uow.privacy.doctor_pushes_mentioning(
        PushKind.CARE_DIGEST, str(resident_id)
    ):
        digest = CareDigest.from_json(payload)
        edited = (
            e.without_member(member_name) if e.resident_id == resident_id else e
            for e in digest.residents
        )
        kept = tuple(entry for entry in edited if entry is not None)
        if kept == digest.residents:
            continue
        if (
            not kept
            and status == OutboxStatus.PENDING
            and (await uow.privacy.delete_pending_push(outbox_id))
        ):
            continue
        await uow.privacy.set_payload(outbox_id, replace(digest, residents=kept).to_json())


@erasure_step("vouchers")
async def _return_vouchers(uow: UnitOfWork, subject: DataSubject, now: datetime) -> None:
    # An unused voucher holds one item of the reward's stock: it goes back on the shelf for
    # others (the points go with the account).
    for voucher in await uow.points.vouchers_for(subject.resident.id, [VoucherStatus.ACTIVE]):
        if await uow.points.close_voucher(voucher.id, VoucherStatus.CANCELLED, now):
            await uow.points.return_stock(voucher.reward_id)


@erasure_step("statistics")
async def _keep_counts(uow: UnitOfWork, subject: DataSubject, now: datetime) -> None:
    rid = subject.resident.id
    await uow.privacy.add_count(ACCOUNTS_ERASED, _month(now), "", 1)
    await _add_grouped(
        uow,
        APPOINTMENTS_ATTENDED,
        [(at, code) for at, code, _ in await uow.privacy.attended_by_service_month(rid)],
    )
    await _add_grouped(uow, PUSHES_DELIVERED, await uow.privacy.delivered_by_kind(resident_id=rid))
    await _add_feedback(uow, await uow.privacy.feedback(resident_id=rid))


async def _add_grouped(uow: UnitOfWork, metric: str, items: list[tuple[datetime, str]]) -> None:
    counts: dict[tuple[str, str], int] = {}
    for at, dimension in items:
        key = (_month(at), dimension)
        counts[key] = counts.get(key, 0) + 1
    for (period, dimension), count in sorted(counts.items()):
        await uow.privacy.add_count(metric, period, dimension, count)


async def _add_feedback(uow: UnitOfWork, votes: list[tuple[datetime, str, bool]]) -> None:
    await _add_grouped(uow, TIP_HELPFUL, [(at, tip) for at, tip, helpful in votes if helpful])
    await _add_grouped(
        uow, TIP_UNHELPFUL, [(at, tip) for at, tip, helpful in votes if not helpful]
    )


async def erase_my_data(uow: UnitOfWork, clock: Clock, telegram_user_id: int) -> ErasureReport:
    """Erases the resident and every family member they manage, in one transaction.

    Upcoming bookings are cancelled (their seats go to whoever waits), pending pushes go with
    the outbox rows, and only anonymised counts remain (statistic_counts). A doctor's link to
    the resident (contract) is deleted too. Irreversible.
    """
    now = clock.now()
    async with uow:
        await uow.begin_write()
        subject = await _subject(uow, telegram_user_id)
        cancelled = await uow.booking.upcoming_for_resident(subject.resident.id, now)
        for step in erasure_steps():
            await step.run(uow, subject, now)
        await uow.privacy.erase(subject.resident.id, subject.member_ids)
        await uow.commit()
    return ErasureReport(members=len(subject.members), bookings_cancelled=len(cancelled))


# --- retention ----------------------------------------------------------------------------


def months_before(instant: datetime, months: int) -> datetime:
    index = instant.year * 12 + instant.month - 1 - months
    year, month = divmod(index, 12)
    day = min(instant.day, calendar.monthrange(year, month + 1)[1])
    return instant.replace(year=year, month=month + 1, day=day)


async def prune_outbox(uow: UnitOfWork, clock: Clock, months: int) -> int:
    """Deletes delivered pushes sent more than `months` ago (and the tip votes on them), and
    undelivered ones (skipped, cancelled, failed, blocked) due that long ago, keeping their
    counts per month and kind (votes per tip). Pending pushes stay. Returns rows deleted."""
    if months < 1:
        raise InvalidInput("retention_months")
    cutoff = months_before(clock.now().astimezone(UTC), months)
    async with uow:
        await uow.begin_write()
        await _add_grouped(
            uow, PUSHES_DELIVERED, await uow.privacy.delivered_by_kind(sent_before=cutoff)
        )
        await _add_grouped(uow, PUSHES_UNDELIVERED, await uow.privacy.undelivered_before(cutoff))
        await _add_feedback(uow, await uow.privacy.feedback(sent_before=cutoff))
        pruned = await uow.privacy.prune_finished(cutoff)
        await uow.commit()
    return pruned


async def statistics(uow: UnitOfWork, metric: str) -> dict[tuple[str, str], int]:
    """Anonymised counts of `metric` by (month, dimension)."""
    async with uow:
        return await uow.privacy.counts(metric)


async def all_statistics(uow: UnitOfWork) -> list[tuple[str, str, str, int]]:
    """Every anonymised count as (metric, month, dimension, count), for the operator."""
    async with uow:
        return await uow.privacy.all_counts()


# --- a family member takes over their own account -------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_takeover(
    uow: UnitOfWork,
    clock: Clock,
    telegram_user_id: int,
    member_id: int,
    ttl: timedelta = TAKEOVER_TTL,
) -> str:
    """A one-time token (for `/start tko_<token>`) with which an adult member takes over their
    own account. Only its hash is stored. Children under 14 cannot take over."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        subject = await _subject(uow, telegram_user_id)
        member = await uow.family.get(member_id)
        if member is None:
            raise NotFound("member_not_found")
        if member.resident_id != subject.resident.id:
            raise NotAllowed("member_not_yours")
        if member.consent_basis is ConsentBasis.GUARDIAN:
            raise NotAllowed("takeover_child")
        token = secrets.token_urlsafe(16)
        await uow.privacy.add_takeover(
            member_id=member.id, token_hash=_hash(token), expires_at=now + ttl, now=now
        )
        await uow.commit()
    return token


async def _live_link(uow: UnitOfWork, now: datetime, token: str) -> tuple[int, FamilyMemberRecord]:
    found = await uow.privacy.takeover_by_hash(_hash(token))
    if found is None:
        raise NotFound("takeover_invalid")
    link_id, member_id, expires_at, used = found
    if used:
        raise DomainError("takeover_used")
    if expires_at <= now:
        raise DomainError("takeover_expired")
    member = await uow.family.get(member_id)
    if member is None:
        raise NotFound("takeover_invalid")
    return link_id, member


async def takeover_member(uow: UnitOfWork, clock: Clock, token: str) -> FamilyMemberRecord:
    """The member a live link is for (to greet them before they consent)."""
    async with uow:
        _, member = await _live_link(uow, clock.now(), token)
    return member


async def accept_takeover(
    uow: UnitOfWork,
    clock: Clock,
    *,
    token: str,
    telegram_user_id: int,
    locale: str,
    notice_version: str,
) -> ResidentRecord:
    """The member consents for themselves: they become a resident with their profile, bookings,
    waiting-list places, referrals and care history, and leave the manager's family list (the
    manager's pending care reminders about them are withdrawn)."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        link_id, member = await _live_link(uow, now, token)
        if await uow.residents.by_telegram_user(telegram_user_id) is not None:
            raise NotAllowed("takeover_already_resident")
        if not await uow.privacy.use_takeover(link_id, now):
            raise DomainError("takeover_used")
        resident = await uow.residents.add(
            telegram_user_id=telegram_user_id,
            display_name=member.display_name,
            locale=locale,
            consent_version=notice_version,
            now=now,
        )
        await uow.residents.update(
            resident.id,
            now,
            birth_year=member.birth_date.year,
            sex=member.sex.value if member.sex else None,
            onboarded_at=now,
        )
        await uow.residents.set_conditions(resident.id, member.conditions)
        await uow.privacy.move_member_to_resident(member.id, member.resident_id, resident.id)
        # Her care reminders are planned for her own account from now on; the manager's
        # pending ones about her are withdrawn.
        await uow.careplans.cancel_pending(member_prefix(member.id))
        await uow.family.remove(member.id)
        created = await uow.residents.get(resident.id)
        await uow.commit()
    assert created is not None
    return created
