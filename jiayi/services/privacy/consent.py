"""Versioned consent: the privacy overview, withdrawing and giving consent."""

from __future__ import annotations

from dataclasses import dataclass

from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.services.clock import Clock
from jiayi.services.people import require_resident
from jiayi.services.privacy.registry import ConsentStatus, consent_status, data_subject
from jiayi.storage.records import (
    FamilyMemberRecord,
    ResidentRecord,
)
from jiayi.storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class PrivacyOverview:
    resident: ResidentRecord
    status: ConsentStatus
    current_version: str
    members: tuple[FamilyMemberRecord, ...]


async def privacy_overview(uow: UnitOfWork, telegram_user_id: int) -> PrivacyOverview:
    async with uow:
        subject = await data_subject(uow, telegram_user_id)
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
