"""Family doctors: the directory residents choose from, deep links, and one-time invites."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from storage.records import DoctorRecord
from storage.uow import UnitOfWork

from services.clock import Clock
from services.errors import InvalidInput, NotFound

DOCTOR_PAGE_SIZE = 6
LINK_PREFIX = "doc_"
INVITE_PREFIX = "inv_"

__all__ = [
    "ConsoleUser",
    "DoctorPage",
    "DoctorRecord",
    "InviteLink",
    "accept_invite",
    "console_users",
    "create_invite",
    "doctor_by_link",
    "doctor_for_user",
    "list_doctors",
    "parse_start_payload",
]


@dataclass(frozen=True, slots=True)
class DoctorPage:
    doctors: list[DoctorRecord]
    page: int
    pages: int


@dataclass(frozen=True, slots=True)
class InviteLink:
    doctor: DoctorRecord
    token: str
    payload: str


@dataclass(frozen=True, slots=True)
class StartPayload:
    kind: str  # "doctor", "invite" or "none"
    value: str = ""


def parse_start_payload(payload: str | None) -> StartPayload:
    """`/start doc_<code>` links a resident to a doctor; `/start inv_<token>` makes a doctor."""
    text = (payload or "").strip()
    if text.startswith(LINK_PREFIX) and len(text) > len(LINK_PREFIX):
        return StartPayload("doctor", text[len(LINK_PREFIX) :])
    if text.startswith(INVITE_PREFIX) and len(text) > len(INVITE_PREFIX):
        return StartPayload("invite", text[len(INVITE_PREFIX) :])
    return StartPayload("none")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_link_code() -> str:
    return secrets.token_hex(4)


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """A Telegram account that uses the doctors' commands, and the locale its menu is in
    (its resident account's, if it has one; else None for the default)."""

    telegram_user_id: int
    locale: str | None


async def console_users(uow: UnitOfWork, admin_ids: frozenset[int]) -> list[ConsoleUser]:
    """Every active doctor bound to a Telegram account, and every admin, once each."""
    async with uow:
        user_ids: set[int] = set(admin_ids)
        offset = 0
        while page := await uow.doctors.list_active(limit=500, offset=offset):
            user_ids |= {d.telegram_user_id for d in page if d.telegram_user_id is not None}
            offset += len(page)
        users = []
        for user_id in sorted(user_ids):
            resident = await uow.residents.by_telegram_user(user_id)
            users.append(ConsoleUser(user_id, resident.locale if resident else None))
        return users


async def list_doctors(uow: UnitOfWork, page: int = 0) -> DoctorPage:
    async with uow:
        total = await uow.doctors.count_active()
        pages = max(1, -(-total // DOCTOR_PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        doctors = await uow.doctors.list_active(
            limit=DOCTOR_PAGE_SIZE, offset=page * DOCTOR_PAGE_SIZE
        )
        return DoctorPage(doctors=doctors, page=page, pages=pages)


async def doctor_by_link(uow: UnitOfWork, code: str) -> DoctorRecord | None:
    async with uow:
        doctor = await uow.doctors.by_link_code(code)
        return doctor if doctor and doctor.active else None


async def doctor_for_user(uow: UnitOfWork, telegram_user_id: int) -> DoctorRecord | None:
    async with uow:
        doctor = await uow.doctors.by_telegram_user(telegram_user_id)
        return doctor if doctor and doctor.active else None


async def create_invite(
    uow: UnitOfWork, clock: Clock, *, name: str, centre_code: str, ttl: timedelta
) -> InviteLink:
    """Creates the doctor if new (by name within the centre) and a one-time invite for them.

    Only a hash of the token is stored, so a database copy cannot be used to become a doctor.
    """
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("doctor_name_empty")
    now = clock.now()
    async with uow:
        await uow.begin_write()
        centre = await uow.centres.by_code(centre_code)
        if centre is None:
            raise NotFound("centre_not_found", centre=centre_code)
        doctor = await uow.doctors.by_name(centre.id, name)
        if doctor is None:
            doctor = await uow.doctors.add(
                centre_id=centre.id, display_name=name, link_code=new_link_code(), now=now
            )
        token = secrets.token_urlsafe(18)
        await uow.doctors.add_invite(
            doctor_id=doctor.id, token_hash=_hash(token), expires_at=now + ttl, now=now
        )
        await uow.commit()
    return InviteLink(doctor=doctor, token=token, payload=f"{INVITE_PREFIX}{token}")


async def accept_invite(
    uow: UnitOfWork,
    clock: Clock,
    *,
    token: str,
    telegram_user_id: int,
    locale: str | None = None,
) -> DoctorRecord:
    """Binds the Telegram account to the invited doctor. An invite works once, until it expires.
    `locale` (the chat's language) is the language of pushes to the doctor: alerts, digests."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        invite = await uow.doctors.invite_by_hash(_hash(token))
        if invite is None:
            raise NotFound("invite_invalid")
        if invite.used_at is not None:
            raise InvalidInput("invite_used")
        if invite.expires_at <= now:
            raise InvalidInput("invite_expired")
        other = await uow.doctors.by_telegram_user(telegram_user_id)
        if other is not None and other.id != invite.doctor_id:
            raise InvalidInput("already_other_doctor")
        if not await uow.doctors.use_invite(invite.id, now):
            raise InvalidInput("invite_used")
        await uow.doctors.bind_telegram_user(invite.doctor_id, telegram_user_id)
        if locale is not None:
            await uow.careplans.set_doctor_locale(invite.doctor_id, locale)
        doctor = await uow.doctors.get(invite.doctor_id)
        await uow.commit()
    assert doctor is not None
    return doctor
