"""Family doctors: the directory residents choose from, deep links, and one-time invites."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from jiayi.services.clock import Clock
from jiayi.services.errors import InvalidInput, NotFound
from jiayi.storage.console import OrphanedPractice
from jiayi.storage.records import DoctorRecord
from jiayi.storage.uow import UnitOfWork
from jiayi.storage.webconsole import CentreChoice, DoctorRosterRow

DOCTOR_PAGE_SIZE = 6
LINK_PREFIX = "doc_"
INVITE_PREFIX = "inv_"

__all__ = [
    "AccountAction",
    "CentreChoice",
    "ConsoleUser",
    "Deactivation",
    "DoctorPage",
    "DoctorRecord",
    "DoctorRoster",
    "DoctorRosterRow",
    "InviteLink",
    "Namesake",
    "OrphanedPractice",
    "accept_invite",
    "console_users",
    "create_invite",
    "deactivate",
    "doctor_by_link",
    "doctor_for_user",
    "doctor_roster",
    "list_doctors",
    "move_residents",
    "parse_start_payload",
    "residents_without_doctor",
    "revoke_invite",
]


@dataclass(frozen=True, slots=True)
class DoctorPage:
    doctors: list[DoctorRecord]
    page: int
    pages: int


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


@dataclass(frozen=True, slots=True)
class Namesake:
    """Another doctor at the centre with the same display name (common in China)."""

    link_code: str
    residents: int


@dataclass(frozen=True, slots=True)
class InviteLink:
    doctor: DoctorRecord
    token: str
    payload: str
    # Residents with an open contract with the doctor (0 for a new doctor).
    residents: int = 0
    # Whether opening the link re-binds an existing doctor (and so their residents).
    rebind: bool = False
    namesakes: tuple[Namesake, ...] = ()


class AccountAction(StrEnum):
    INVITED = "invited"  # a new doctor and their first invite
    REBIND_INVITED = "rebind_invited"  # an invite to re-bind an existing doctor
    INVITE_ACCEPTED = "invite_accepted"
    REBOUND = "rebound"  # an existing doctor's account moved to another Telegram account
    INVITE_REVOKED = "invite_revoked"
    DEACTIVATED = "deactivated"
    RESIDENTS_MOVED = "residents_moved"


async def create_invite(
    uow: UnitOfWork,
    clock: Clock,
    *,
    name: str | None,
    centre_code: str,
    ttl: timedelta,
    rebind: str | None = None,
) -> InviteLink:
    """A one-time invite. Without `rebind` it is for a NEW doctor named `name`, even when a
    colleague at the centre has the same name (two 王医生 are normal): nobody's residents or
    console move. With `rebind` (a doctor's link code) it is for that existing doctor: whoever
    opens it becomes them, with their residents, and the account bound so far loses the
    console. `name`, if given with `rebind`, must be that doctor's name (a guard against a
    mistyped code).

    Only a hash of the token is stored, so a database copy cannot be used to become a doctor.
    """
    name = " ".join(name.split()) if name is not None else None
    if rebind is None and not name:
        raise InvalidInput("doctor_name_empty")
    now = clock.now()
    async with uow:
        await uow.begin_write()
        centre = await uow.centres.by_code(centre_code)
        if centre is None:
            raise NotFound("centre_not_found", centre=centre_code)
        if rebind is not None:
            doctor = await uow.doctors.by_link_code(rebind.strip())
            if doctor is None or doctor.centre_id != centre.id:
                raise NotFound("doctor_not_found", doctor=rebind)
            if not doctor.active:
                raise InvalidInput("doctor_inactive", doctor=rebind)
            if name and name != doctor.display_name:
                raise InvalidInput("rebind_name_mismatch", doctor=rebind, name=doctor.display_name)
            action = AccountAction.REBIND_INVITED
        else:
            assert name is not None
            doctor = await uow.doctors.add(
                centre_id=centre.id, display_name=name, link_code=new_link_code(), now=now
            )
            action = AccountAction.INVITED
        namesakes = tuple(
            Namesake(link_code=code, residents=count)
            for doctor_id, code, count in await uow.console.doctors_named(
                centre.id, doctor.display_name
            )
            if doctor_id != doctor.id
        )
        residents = await uow.console.resident_count(doctor.id)
        token = secrets.token_urlsafe(18)
        await uow.console.add_invite(
            doctor_id=doctor.id,
            token_hash=_hash(token),
            expires_at=now + ttl,
            rebind=rebind is not None,
            now=now,
        )
        await uow.console.add_account_event(
            doctor_id=doctor.id, action=action, at=now, count=residents
        )
        await uow.commit()
    return InviteLink(
        doctor=doctor,
        token=token,
        payload=f"{INVITE_PREFIX}{token}",
        residents=residents,
        rebind=rebind is not None,
        namesakes=namesakes,
    )


async def accept_invite(
    uow: UnitOfWork,
    clock: Clock,
    *,
    token: str,
    telegram_user_id: int,
    locale: str | None = None,
) -> DoctorRecord:
    """Binds the Telegram account to the invited doctor. An invite works once, until it expires
    or is revoked. A plain invite never takes over a doctor already bound to another account;
    only a re-bind invite (`create_invite(rebind=…)`) does.
    `locale` (the chat's language) is the language of pushes to the doctor: alerts, digests."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        invite = await uow.console.invite(_hash(token))
        if invite is None or invite.revoked_at is not None:
            raise NotFound("invite_invalid")
        if invite.used_at is not None:
            raise InvalidInput("invite_used")
        if invite.expires_at <= now:
            raise InvalidInput("invite_expired")
        invited = await uow.doctors.get(invite.doctor_id)
        if invited is None or not invited.active:
            raise NotFound("invite_invalid")
        other = await uow.doctors.by_telegram_user(telegram_user_id)
        if other is not None and other.id != invite.doctor_id:
            raise InvalidInput("already_other_doctor")
        taking_over = invited.telegram_user_id not in (None, telegram_user_id)
        if taking_over and not invite.rebind:
            raise InvalidInput("invite_used")
        if not await uow.console.use_invite(invite.id, now):
            raise InvalidInput("invite_used")
        await uow.doctors.bind_telegram_user(invite.doctor_id, telegram_user_id)
        if locale is not None:
            await uow.careplans.set_doctor_locale(invite.doctor_id, locale)
        await uow.console.add_account_event(
            doctor_id=invite.doctor_id,
            action=AccountAction.REBOUND if taking_over else AccountAction.INVITE_ACCEPTED,
            at=now,
        )
        doctor = await uow.doctors.get(invite.doctor_id)
        await uow.commit()
    assert doctor is not None
    return doctor


def _token_of(link: str) -> str:
    """The token in whatever the operator pasted: the t.me link, `/start inv_…` or the token."""
    text = link.strip().rsplit("=", 1)[-1].split()[-1] if link.strip() else ""
    return text.removeprefix(INVITE_PREFIX)


async def revoke_invite(
    uow: UnitOfWork, clock: Clock, *, link: str | None = None, doctor: str | None = None
) -> int:
    """Revokes one open invite (`link`: as the CLI printed it) or every open invite of a
    doctor (`doctor`: link code). Returns how many were revoked; audited."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        doctor_id: int | None = None
        if doctor is not None:
            found = await uow.doctors.by_link_code(doctor.strip())
            if found is None:
                raise NotFound("doctor_not_found", doctor=doctor)
            doctor_id = found.id
            revoked = await uow.console.revoke_invites(now, doctor_id=doctor_id)
        elif link is not None and _token_of(link):
            token_hash = _hash(_token_of(link))
            state = await uow.console.invite(token_hash)
            if state is None:
                raise NotFound("invite_invalid")
            doctor_id = state.doctor_id
            revoked = await uow.console.revoke_invites(now, token_hash=token_hash)
        else:
            raise InvalidInput("invite_invalid")
        if revoked:
            await uow.console.add_account_event(
                doctor_id=doctor_id,
                action=AccountAction.INVITE_REVOKED,
                at=now,
                count=len(revoked),
            )
        await uow.commit()
    return len(revoked)


@dataclass(frozen=True, slots=True)
class Deactivation:
    doctor: DoctorRecord
    residents: int  # still contracted with them, now listed as needing a new doctor
    invites_revoked: int


async def deactivate(uow: UnitOfWork, clock: Clock, *, doctor: str) -> Deactivation:
    """Ends a doctor's account at once (link code): no console, out of the directory, open
    invites revoked. Their residents keep their contract and are listed by
    `residents_without_doctor` until the operator moves them (`move_residents`)."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        found = await uow.doctors.by_link_code(doctor.strip())
        if found is None:
            raise NotFound("doctor_not_found", doctor=doctor)
        if not await uow.console.deactivate_doctor(found.id, now):
            raise InvalidInput("doctor_inactive", doctor=doctor)
        revoked = await uow.console.revoke_invites(now, doctor_id=found.id)
        residents = await uow.console.resident_count(found.id)
        await uow.console.add_account_event(
            doctor_id=found.id, action=AccountAction.DEACTIVATED, at=now, count=residents
        )
        await uow.commit()
    return Deactivation(doctor=found, residents=residents, invites_revoked=len(revoked))


async def residents_without_doctor(uow: UnitOfWork) -> list[OrphanedPractice]:
    """Per deactivated doctor, the residents still contracted with them."""
    async with uow:
        return await uow.console.orphaned_practices()


async def move_residents(
    uow: UnitOfWork, clock: Clock, *, from_doctor: str, to_doctor: str
) -> int:
    """Moves every open contract of one doctor to another active doctor of the same centre
    (both by link code); the old contracts end, new ones start. Returns residents moved."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        source = await uow.doctors.by_link_code(from_doctor.strip())
        if source is None:
            raise NotFound("doctor_not_found", doctor=from_doctor)
        target = await uow.doctors.by_link_code(to_doctor.strip())
        if target is None:
            raise NotFound("doctor_not_found", doctor=to_doctor)
        if not target.active:
            raise InvalidInput("doctor_inactive", doctor=to_doctor)
        if target.centre_id != source.centre_id or target.id == source.id:
            raise InvalidInput("doctor_move_invalid")
        moved = await uow.console.move_contracts(source.id, target.id, now)
        await uow.console.add_account_event(
            doctor_id=source.id,
            action=AccountAction.RESIDENTS_MOVED,
            at=now,
            other_doctor_id=target.id,
            count=moved,
        )
        await uow.commit()
    return moved


@dataclass(frozen=True, slots=True)
class DoctorRoster:
    doctors: list[DoctorRosterRow]
    centres: list[CentreChoice]


async def doctor_roster(uow: UnitOfWork, clock: Clock) -> DoctorRoster:
    """Every doctor, active ones first, with their panel size (open contracts) and open
    invites; and the centres a new doctor can be invited to. For the operator."""
    async with uow:
        return DoctorRoster(
            doctors=await uow.webconsole.doctor_roster(clock.now()),
            centres=await uow.webconsole.centres(),
        )
