"""A family member takes over their own account through a one-time link."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from jiayi.services.clock import Clock
from jiayi.services.errors import DomainError, NotAllowed, NotFound
from jiayi.services.privacy.registry import TAKEOVER_TTL, data_subject
from jiayi.services.push.care import CARD_EDIT, member_prefix
from jiayi.storage.records import (
    ConsentBasis,
    FamilyMemberRecord,
    ResidentRecord,
)
from jiayi.storage.uow import UnitOfWork


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
        subject = await data_subject(uow, telegram_user_id)
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
        await uow.careplans.cancel_pending(member_prefix(member.id), cards=CARD_EDIT)
        await uow.family.remove(member.id)
        created = await uow.residents.get(resident.id)
        await uow.commit()
    assert created is not None
    return created
