"""The doctor console: who counts as a doctor, the audit log, the resident list and card,
personal messages.

Every doctor service starts with `require_doctor`, so the role is checked here whatever the
bot shows: a resident who types a doctor command or forges a button's data is refused before
anything is read or written.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from jiayi.content.render import Renderer
from jiayi.services import careplans
from jiayi.services.clock import Clock
from jiayi.services.delivery import OutboxDispatcher, OutgoingMessage
from jiayi.services.errors import InvalidInput, NotAllowed, NotFound
from jiayi.services.push import PushKind
from jiayi.services.push.messages import PersonalMessage, personal_key
from jiayi.services.settings import Settings
from jiayi.storage.records import (
    AppointmentRecord,
    AuditRecord,
    Condition,
    Delivery,
    FamilyMemberRecord,
    ResidentFilter,
    ResidentListItem,
    ResidentRecord,
)
from jiayi.storage.uow import UnitOfWork

RESIDENT_PAGE_SIZE = 8
MESSAGE_MAX = 2000
PERSONAL = PushKind.PERSONAL

__all__ = [
    "PERSONAL",
    "Actor",
    "AgeBand",
    "AuditAction",
    "ResidentCard",
    "ResidentPage",
    "actor",
    "audit",
    "audit_desk_action",
    "audit_entries_for_resident",
    "is_doctor_or_admin",
    "list_residents",
    "message_target",
    "parse_message",
    "require_doctor",
    "require_reachable_by_message",
    "require_resident_in_scope",
    "resident_card",
    "send_personal_message",
]


class AuditAction(StrEnum):
    LIST = "list"  # the resident appeared in the doctor's resident list
    CARD = "card"  # the doctor opened the resident's card
    MESSAGE = "message"  # the doctor sent the resident a personal message
    BROADCAST = "broadcast"  # the resident was in a broadcast's audience
    QUESTION_READ = "question_read"
    ANSWER = "answer"
    # Desk actions: centre-wide, so they reach residents of every doctor at the centre.
    DESK_DAY = "desk_day"  # the resident (or their family member) was on the day list
    CHECK_IN = "check_in"  # checked in by their code
    ATTENDANCE = "attendance"  # marked attended / no-show
    VOUCHER_REDEEMED = "voucher_redeemed"  # their voucher was redeemed at the desk


class AgeBand(StrEnum):
    """Age bands doctors filter by, from the birth year (as tips count age)."""

    UNDER_45 = "0-44"
    FROM_45 = "45-64"
    FROM_65 = "65+"

    @property
    def bounds(self) -> tuple[int, int | None]:
        return {
            AgeBand.UNDER_45: (0, 44),
            AgeBand.FROM_45: (45, 64),
            AgeBand.FROM_65: (65, None),
        }[self]


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is using the console: a doctor, an admin, or both."""

    telegram_user_id: int
    doctor_id: int | None
    doctor_name: str | None
    is_admin: bool

    @property
    def scope(self) -> int | None:
        """The doctor whose residents this actor sees; None means every resident (admins)."""
        return None if self.is_admin else self.doctor_id


async def require_doctor(uow: UnitOfWork, telegram_user_id: int, settings: Settings) -> Actor:
    """The actor if this Telegram account is an active doctor or an admin; else NotAllowed.

    Call inside an open unit of work, first thing in every doctor service.
    """
    doctor = await uow.doctors.by_telegram_user(telegram_user_id)
    if doctor is not None and not doctor.active:
        doctor = None
    is_admin = telegram_user_id in settings.admin_ids
    if doctor is None and not is_admin:
        raise NotAllowed("not_a_doctor")
    return Actor(
        telegram_user_id=telegram_user_id,
        doctor_id=doctor.id if doctor else None,
        doctor_name=doctor.display_name if doctor else None,
        is_admin=is_admin,
    )


async def actor(uow: UnitOfWork, settings: Settings, telegram_user_id: int) -> Actor:
    """The console's gate for a screen that reads nothing yet (e.g. starting a broadcast)."""
    async with uow:
        return await require_doctor(uow, telegram_user_id, settings)


async def is_doctor_or_admin(uow: UnitOfWork, settings: Settings, telegram_user_id: int) -> bool:
    """Whether this Telegram account may use the doctor console (an active doctor or admin)."""
    if telegram_user_id in settings.admin_ids:
        return True
    async with uow:
        doctor = await uow.doctors.by_telegram_user(telegram_user_id)
    return doctor is not None and doctor.active


async def message_target(
    uow: UnitOfWork, settings: Settings, telegram_user_id: int, resident_id: int
) -> ResidentRecord:
    """The resident a doctor is about to write to, checked before they type."""
    async with uow:
        found = await require_doctor(uow, telegram_user_id, settings)
        await require_resident_in_scope(uow, found, resident_id)
        return await require_reachable_by_message(uow, resident_id)


async def require_resident_in_scope(uow: UnitOfWork, actor: Actor, resident_id: int) -> None:
    """A doctor reaches only their own contracted residents; admins reach all."""
    if not await uow.console.in_scope(actor.scope, resident_id):
        raise NotAllowed("resident_not_yours")


async def require_reachable_by_message(uow: UnitOfWork, resident_id: int) -> ResidentRecord:
    """The resident a doctor writes to, refused while their consent is withdrawn: the
    dispatcher would skip the message, so the doctor must not be told it was sent."""
    resident = await uow.residents.get(resident_id)
    if resident is None:
        raise NotFound("resident_not_found")
    if resident.consent_withdrawn_at is not None:
        raise NotAllowed("resident_withdrew_consent")
    return resident


async def audit(
    uow: UnitOfWork,
    actor: Actor,
    resident_ids: list[int] | set[int] | tuple[int, ...],
    action: str,
    now: datetime,
    ref_id: int | None = None,
) -> None:
    """Writes the access into the audit log, in the caller's transaction (which commits)."""
    await uow.console.audit(
        actor_doctor_id=actor.doctor_id,
        actor_user_id=actor.telegram_user_id,
        resident_ids=sorted(set(resident_ids)),
        action=str(action),
        at=now,
        ref_id=ref_id,
    )


async def audit_desk_action(
    uow: UnitOfWork,
    clock: Clock,
    doctor_telegram_id: int,
    resident_id: int,
    action: AuditAction,
    ref_id: int | None = None,
) -> None:
    """Audits a desk action another service already carried out and committed (the voucher
    redemption), in its own short transaction, so it shows in the resident's /mydata."""
    async with uow:
        await uow.begin_write()
        doctor = await uow.doctors.by_telegram_user(doctor_telegram_id)
        if doctor is None or not doctor.active:
            raise NotAllowed("not_a_doctor")
        await uow.console.audit(
            actor_doctor_id=doctor.id,
            actor_user_id=doctor_telegram_id,
            resident_ids=[resident_id],
            action=str(action),
            at=clock.now(),
            ref_id=ref_id,
        )
        await uow.commit()


async def audit_entries_for_resident(uow: UnitOfWork, resident_id: int) -> list[AuditRecord]:
    """Every recorded access to the resident's data, oldest first (for their data export)."""
    async with uow:
        return await uow.console.audit_for_resident(resident_id)


# --- resident list and card ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ResidentQuery:
    name: str | None = None
    condition: str | None = None
    age_band: AgeBand | None = None

    def to_filter(self) -> ResidentFilter:
        return ResidentFilter(
            conditions=frozenset({Condition(self.condition)}) if self.condition else frozenset(),
            age_bands=(self.age_band.bounds,) if self.age_band else (),
            name_contains=self.name or None,
        )


@dataclass(frozen=True, slots=True)
class ResidentPage:
    residents: list[ResidentListItem]
    page: int
    pages: int
    total: int


async def list_residents(
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
    telegram_user_id: int,
    query: ResidentQuery,
    page: int = 0,
) -> ResidentPage:
    """One page of the actor's residents matching the query, by name. The residents shown
    are written to the audit log."""
    now = clock.now()
    today = now.astimezone(settings.zone).date()
    async with uow:
        await uow.begin_write()
        actor = await require_doctor(uow, telegram_user_id, settings)
        f = query.to_filter()
        total = await uow.console.count_residents(actor.scope, f, today)
        pages = max(1, -(-total // RESIDENT_PAGE_SIZE))
        page = min(max(page, 0), pages - 1)
        items = await uow.console.list_residents(
            actor.scope, f, today, limit=RESIDENT_PAGE_SIZE, offset=page * RESIDENT_PAGE_SIZE
        )
        await audit(uow, actor, [i.id for i in items], AuditAction.LIST, now)
        await uow.commit()
    return ResidentPage(residents=items, page=page, pages=pages, total=total)


@dataclass(frozen=True, slots=True)
class ResidentCard:
    """What a doctor sees of one resident. Later features add their own sections."""

    resident: ResidentRecord
    age: int | None
    family: list[FamilyMemberRecord]
    appointments: list[AppointmentRecord]
    open_questions: int
    # Care-plan items of the household that are overdue or due, soonest first.
    care: list[careplans.PlanEntry]
    points_balance: int
    # Care records and lecture attendance are for the resident's own contracted doctor only,
    # so an admin looking at someone else's resident isn't offered actions that would refuse.
    can_record: bool


def _age(birth_year: int | None, today: date) -> int | None:
    return today.year - birth_year if birth_year else None


async def resident_card(
    uow: UnitOfWork, clock: Clock, settings: Settings, telegram_user_id: int, resident_id: int
) -> ResidentCard:
    """The resident's card, for their own doctor or an admin; the view is audited."""
    now = clock.now()
    today = now.astimezone(settings.zone).date()
    # Read first, then write the audit row in a short transaction of its own: on SQLite the
    # card's dozen reads must not hold the one write lock (issue #14). The card is returned
    # only once its view is audited.
    async with uow:
        actor = await require_doctor(uow, telegram_user_id, settings)
        await require_resident_in_scope(uow, actor, resident_id)
        resident = await uow.residents.get(resident_id)
        if resident is None:
            raise NotFound("resident_not_found")
        family = await uow.family.list_for(resident_id)
        appointments = await uow.booking.upcoming_for_resident(resident_id, now)
        open_questions = await uow.console.count_open_questions(resident_id, actor.scope)
        care = [
            e
            for e in await careplans.household_entries(
                uow, resident_id, today, settings.zone, resident=resident
            )
            if e.state is not careplans.ItemState.UPCOMING
        ]
        points_balance = await uow.points.balance(resident_id)
        contract = await uow.contracts.open_for(resident_id)
        can_record = contract is not None and contract.doctor_id == actor.doctor_id
    async with uow:
        await uow.begin_write()
        await audit(uow, actor, [resident_id], AuditAction.CARD, now)
        await uow.commit()
    return ResidentCard(
        resident=resident,
        age=_age(resident.birth_year, today),
        family=family,
        appointments=appointments,
        open_questions=open_questions,
        care=care,
        points_balance=points_balance,
        can_record=can_record,
    )


def parse_message(text: str | None, limit: int = MESSAGE_MAX) -> str:
    body = (text or "").strip()
    if not body:
        raise InvalidInput("message_empty")
    if len(body) > limit:
        raise InvalidInput("message_too_long", max=limit)
    return body


async def send_personal_message(
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
    telegram_user_id: int,
    resident_id: int,
    text: str | None,
) -> None:
    """Queues a message from the doctor to one of their residents (through the outbox, so it
    respects the resident's pause and reachability like every push). The body is not logged
    or audited, only the fact of the message."""
    body = parse_message(text)
    now = clock.now()
    async with uow:
        await uow.begin_write()
        actor = await require_doctor(uow, telegram_user_id, settings)
        await require_resident_in_scope(uow, actor, resident_id)
        await require_reachable_by_message(uow, resident_id)
        await uow.outbox.enqueue(
            resident_id=resident_id,
            kind=PERSONAL,
            dedupe_key=personal_key(resident_id, secrets.token_hex(8)),
            payload=PersonalMessage(actor.doctor_name or "", body).to_json(),
            not_before=now,
            now=now,
        )
        await audit(uow, actor, [resident_id], AuditAction.MESSAGE, now)
        await uow.commit()


def register(dispatcher: OutboxDispatcher, renderer: Renderer) -> None:
    """Plugs personal messages into the dispatcher."""

    def personal(d: Delivery) -> OutgoingMessage:
        p = PersonalMessage.from_json(d.payload)
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=d.locale,
            kind=d.kind,
            text=renderer.render("personal_message", d.locale, doctor=p.doctor, text=p.text),
            payload=p,
        )

    # The resident's own doctor writing to them, not a push: pausing pushes doesn't stop it.
    dispatcher.register_renderer(PERSONAL, personal, despite_pause=True)
