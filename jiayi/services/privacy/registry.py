"""The data subject, consent status, and the two registries (export sections, erasure steps)
that features added later plug into."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.services.people import require_resident
from jiayi.storage.records import (
    FamilyMemberRecord,
    ResidentRecord,
)
from jiayi.storage.uow import UnitOfWork

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


def month_of(instant: datetime | date) -> str:
    return f"{instant.year:04d}-{instant.month:02d}"


async def data_subject(uow: UnitOfWork, telegram_user_id: int) -> DataSubject:
    resident = await require_resident(uow, telegram_user_id)
    members = await uow.family.list_for(resident.id)
    return DataSubject(resident=resident, members=tuple(members))
