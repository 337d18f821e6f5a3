"""Family members a resident manages: children and elderly parents (family-unit signing).

Authorisation lives here: a member can only be read or changed by the resident who added them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.services import booking, privacy
from jiayi.services.clock import Clock
from jiayi.services.errors import InvalidInput, NotAllowed, NotFound
from jiayi.services.people import require_resident
from jiayi.services.push import appointments, care
from jiayi.services.push.readings import alert_key
from jiayi.services.residents import OLDEST_AGE, parse_display_name
from jiayi.storage.records import Condition, ConsentBasis, FamilyMemberRecord, Relation, Sex
from jiayi.storage.uow import UnitOfWork

MAX_MEMBERS = 12
# Under 14 a child's personal information needs a guardian's consent (PIPL art. 31).
GUARDIAN_CONSENT_UNDER = 14
# The centre's zone when a caller doesn't pass one (the Settings default): a birthday is a
# local date, and between 00:00 and 08:00 in Beijing the UTC date is still yesterday.
DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")

_DATE = re.compile(r"^\s*(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?\s*$")

__all__ = [
    "FamilyMemberRecord",
    "NewMember",
    "Relation",
    "RemovedMember",
    "add_member",
    "conditions_for",
    "consent_basis_for",
    "get_member",
    "list_members",
    "parse_birth_date",
    "remove_member",
    "update_member",
]


@dataclass(frozen=True, slots=True)
class NewMember:
    """A member being described step by step before it is saved."""

    relation: Relation
    display_name: str
    birth_date: date
    sex: Sex | None = None
    conditions: frozenset[Condition] = frozenset()


# The care plans follow chronic conditions from adulthood (their rules are `who: adult`), and
# pregnancy is asked of women of childbearing age only.
CHRONIC = (Condition.HYPERTENSION, Condition.DIABETES, Condition.HYPERLIPIDAEMIA)
ADULT_YEARS = 18
CHILDBEARING_YEARS = (14, 55)


def _years(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def conditions_for(born: date, sex: Sex | None, today: date) -> tuple[Condition, ...]:
    """The conditions worth asking a family member about, in the usual order: chronic ones for
    adults; pregnancy for a woman (or sex not given) of childbearing age. A child has none:
    the question is skipped."""
    years = _years(born, today)
    offered = set(CHRONIC) if years >= ADULT_YEARS else set()
    low, high = CHILDBEARING_YEARS
    if sex is not Sex.MALE and low <= years <= high:
        offered.add(Condition.PREGNANT)
    return tuple(c for c in Condition if c in offered)


def parse_birth_date(text: str, today: date) -> date:
    """Accepts 2021-03-05, 2021.3.5, 2021/03/05 and 2021年3月5日."""
    match = _DATE.match(text)
    if not match:
        raise InvalidInput("birth_date_format")
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise InvalidInput("birth_date_format") from None
    if day > today:
        raise InvalidInput("birth_date_future")
    if day.year < today.year - OLDEST_AGE:
        raise InvalidInput("birth_date_too_old", years=OLDEST_AGE)
    return day


def consent_basis_for(relation: Relation, birth_date: date, today: date) -> ConsentBasis:
    age = (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )
    if relation is Relation.CHILD and age < GUARDIAN_CONSENT_UNDER:
        return ConsentBasis.GUARDIAN
    return ConsentBasis.AUTHORISED


async def _manager_id(uow: UnitOfWork, telegram_user_id: int) -> int:
    return (await require_resident(uow, telegram_user_id)).id


async def _owned(uow: UnitOfWork, telegram_user_id: int, member_id: int) -> FamilyMemberRecord:
    manager_id = await _manager_id(uow, telegram_user_id)
    member = await uow.family.get(member_id)
    if member is None:
        raise NotFound("member_not_found")
    if member.resident_id != manager_id:
        # Same answer as "not found" would leak existence; this one is logged by the caller.
        raise NotAllowed("member_not_yours")
    return member


async def list_members(uow: UnitOfWork, telegram_user_id: int) -> list[FamilyMemberRecord]:
    async with uow:
        return await uow.family.list_for(await _manager_id(uow, telegram_user_id))


async def get_member(uow: UnitOfWork, telegram_user_id: int, member_id: int) -> FamilyMemberRecord:
    async with uow:
        return await _owned(uow, telegram_user_id, member_id)


def local_today(now: datetime, zone: tzinfo) -> date:
    """The calendar date at the centre, which is the date ages are counted on."""
    return now.astimezone(zone).date()


async def add_member(
    uow: UnitOfWork,
    clock: Clock,
    telegram_user_id: int,
    member: NewMember,
    *,
    zone: tzinfo = DEFAULT_ZONE,
) -> FamilyMemberRecord:
    """Saves a member with the consent basis the resident confirmed on their behalf; the
    age that decides it is counted on the centre's local date (`zone`, the centre's zone)."""
    now = clock.now()
    name = parse_display_name(member.display_name)
    conditions = _valid_conditions(member.sex, member.conditions)
    async with uow:
        await uow.begin_write()
        manager_id = await _manager_id(uow, telegram_user_id)
        if len(await uow.family.list_for(manager_id)) >= MAX_MEMBERS:
            raise InvalidInput("family_full", max=MAX_MEMBERS)
        saved = await uow.family.add(
            resident_id=manager_id,
            display_name=name,
            relation=member.relation,
            birth_date=member.birth_date,
            sex=member.sex,
            conditions=conditions,
            consent_basis=consent_basis_for(
                member.relation, member.birth_date, local_today(now, zone)
            ),
            now=now,
            consented_by_resident_id=manager_id,
            consent_version=CONSENT_NOTICE_VERSION,
        )
        await uow.commit()
        return saved


def _valid_conditions(sex: Sex | None, conditions: Iterable[Condition]) -> frozenset[Condition]:
    chosen = frozenset(Condition(c) for c in conditions)
    if Condition.PREGNANT in chosen and sex is Sex.MALE:
        raise InvalidInput("pregnant_male")
    return chosen


async def update_member(
    uow: UnitOfWork,
    clock: Clock,
    telegram_user_id: int,
    member_id: int,
    *,
    display_name: str | None = None,
    birth_date: date | None = None,
    sex: Sex | None = None,
    conditions: Iterable[Condition] | None = None,
    zone: tzinfo = DEFAULT_ZONE,
) -> FamilyMemberRecord:
    now = clock.now()
    async with uow:
        await uow.begin_write()
        member = await _owned(uow, telegram_user_id, member_id)
        values: dict[str, object] = {}
        if display_name is not None:
            values["display_name"] = parse_display_name(display_name)
        if birth_date is not None:
            values["birth_date"] = birth_date
            values["consent_basis"] = consent_basis_for(
                member.relation, birth_date, local_today(now, zone)
            ).value
        if sex is not None:
            values["sex"] = Sex(sex).value
        if conditions is not None:
            chosen = _valid_conditions(sex or member.sex, conditions)
            await uow.family.set_conditions(member.id, chosen)
        elif sex is Sex.MALE and Condition.PREGNANT in member.conditions:
            await uow.family.set_conditions(member.id, member.conditions - {Condition.PREGNANT})
        await uow.family.update(member.id, now, **values)
        updated = await uow.family.get(member.id)
        await uow.commit()
    assert updated is not None
    return updated


@dataclass(frozen=True, slots=True)
class RemovedMember:
    name: str
    bookings_cancelled: int


async def remove_member(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int, member_id: int
) -> RemovedMember:
    """Deletes the member and their health data. Their upcoming bookings are cancelled first
    (seats go to whoever waits), their waiting-list places left, reminders about them not yet
    delivered deleted, and they leave doctors' care digests. Tells how many bookings went."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        member = await _owned(uow, telegram_user_id, member_id)
        waiting = await uow.privacy.live_waitlist_ids(member.resident_id, member.id)
        cancelled = await booking.release_for_erasure(
            uow, now, member.resident_id, waiting, member_id=member.id
        )
        # Reminders about them never delivered (queued, or withdrawn just now) name them and
        # their health: they go with them. Delivered ones are the manager's messages.
        await uow.privacy.delete_unsent(care.member_prefix(member.id))
        for appointment_id in await uow.privacy.member_appointment_ids(member.id):
            await uow.privacy.delete_unsent(appointments.appointment_prefix(appointment_id))
        await privacy.leave_digests(uow, member.resident_id, member.display_name)
        # So do urgent-reading alerts about them, addressed to the doctor.
        await uow.privacy.delete_pushes_prefixed(alert_key(member.resident_id, member.id, ""))
        await uow.family.remove(member.id)
        await uow.commit()
    return RemovedMember(name=member.display_name, bookings_cancelled=cancelled)
