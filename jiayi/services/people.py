"""A person jiayi serves: a resident (the Telegram user) or a family member they manage.

What every service means by one: the key their health data and bookings are filed under
(`r:<resident id>` / `m:<member id>`), their birthday and age in months, and the resident behind
a Telegram update — signed up (`require_resident`) or also through onboarding
(`require_onboarded_resident`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from jiayi.services.errors import NotAllowed, NotRegistered
from jiayi.storage.records import FamilyMemberRecord, ResidentRecord
from jiayi.storage.uow import UnitOfWork

# Residents record a birth year only; counting them as born mid-year errs by at most 6 months.
RESIDENT_BIRTHDAY = (7, 1)


def resident_key(resident_id: int) -> str:
    return f"r:{resident_id}"


def member_key(member_id: int) -> str:
    return f"m:{member_id}"


def person_key(resident_id: int, member_id: int | None) -> str:
    """The key of the resident (`member_id` None) or of their family member."""
    return member_key(member_id) if member_id else resident_key(resident_id)


def resident_birth(resident: ResidentRecord) -> date | None:
    """The birthday counted for a resident, from their birth year (`RESIDENT_BIRTHDAY`)."""
    if resident.birth_year is None:
        return None
    return date(resident.birth_year, *RESIDENT_BIRTHDAY)


def age_in_months(born: date, on: date) -> int:
    """Whole months of age on a day, as vaccination schedules count them."""
    months = (on.year - born.year) * 12 + on.month - born.month
    return months - 1 if on.day < born.day else months


@dataclass(frozen=True, slots=True)
class Person:
    """The resident, or one of their family members (`member`)."""

    resident: ResidentRecord
    member: FamilyMemberRecord | None

    @property
    def member_id(self) -> int | None:
        return self.member.id if self.member else None

    @property
    def key(self) -> str:
        return person_key(self.resident.id, self.member_id)

    @property
    def name(self) -> str:
        return self.member.display_name if self.member else self.resident.display_name

    @property
    def birth(self) -> date | None:
        if self.member is not None:
            return self.member.birth_date
        return resident_birth(self.resident)


async def require_resident(uow: UnitOfWork, telegram_user_id: int) -> ResidentRecord:
    """The resident using this Telegram account; `NotRegistered` if they never signed up."""
    resident = await uow.residents.by_telegram_user(telegram_user_id)
    if resident is None:
        raise NotRegistered()
    return resident


async def require_onboarded_resident(uow: UnitOfWork, telegram_user_id: int) -> ResidentRecord:
    """The resident using this Telegram account, once they finished onboarding;
    `NotRegistered` before that too."""
    resident = await uow.residents.by_telegram_user(telegram_user_id)
    if resident is None or resident.onboarded_at is None:
        raise NotRegistered()
    return resident


async def require_person(uow: UnitOfWork, telegram_user_id: int, member_id: int | None) -> Person:
    """The resident (`member_id` None) or a family member they manage."""
    resident = await require_resident(uow, telegram_user_id)
    if member_id is None:
        return Person(resident, None)
    member = await uow.family.get(member_id)
    if member is None or member.resident_id != resident.id:
        # One answer for "doesn't exist" and "someone else's": a forged id learns nothing.
        raise NotAllowed("member_not_yours")
    return Person(resident, member)
