"""Who may book what: a service's age, sex and referral rules, the days a person may book it
on, and the checks a slot must pass before a seat is taken."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from jiayi.services.booking.calendar import local_day, local_midnight
from jiayi.services.errors import DomainError, InvalidInput, NotFound
from jiayi.services.people import Person, age_in_months
from jiayi.storage.records import BookableServiceRecord, SlotRecord, SlotStatus
from jiayi.storage.uow import UnitOfWork


def age_fits(service: BookableServiceRecord, person: Person, on: date) -> bool:
    low, high = service.min_age_months, service.max_age_months
    if low is None and high is None:
        return True
    born = person.birth
    if born is None:
        # A resident without a birth year is an adult: fine unless the service has an upper
        # age limit (children's vaccines).
        return person.member is None and high is None
    age = age_in_months(born, on)
    return (low is None or age >= low) and (high is None or age <= high)


def sex_fits(service: BookableServiceRecord, person: Person) -> bool:
    if service.sex is None:
        return True
    sex = person.member.sex if person.member is not None else person.resident.sex
    return sex is service.sex


def age_refusal(service: BookableServiceRecord) -> DomainError:
    return InvalidInput(
        "not_eligible_age", min_months=service.min_age_months, max_months=service.max_age_months
    )


async def find_service(uow: UnitOfWork, service_id: int) -> BookableServiceRecord:
    service = await uow.booking.service(service_id)
    if service is None:
        raise NotFound("service_not_found")
    return service


async def last_referral_day(
    uow: UnitOfWork, service: BookableServiceRecord, person: Person, today: date
) -> date | None:
    """The last day a referral service may be booked for; None if no referral is needed."""
    if not service.requires_referral:
        return None
    until = await uow.booking.referral_valid_until(
        person.resident.id, person.member_id, service.id
    )
    if until is None or until < today:
        raise DomainError("referral_required")
    return until


@dataclass(frozen=True, slots=True)
class Window:
    """The local days a person may book a service on, and the earliest start allowed."""

    earliest: datetime
    days: list[date]

    def end(self, zone: ZoneInfo) -> datetime:
        return local_midnight(self.days[-1] + timedelta(days=1), zone)


async def booking_window(
    uow: UnitOfWork,
    now: datetime,
    zone: ZoneInfo,
    service: BookableServiceRecord,
    person: Person,
) -> Window:
    """Runs the eligibility checks and returns the bookable days: today up to the horizon,
    cut short by a referral's validity, keeping only days the person's age fits."""
    today = local_day(now, zone)
    if not sex_fits(service, person):
        raise InvalidInput("not_eligible_sex", sex=service.sex)
    last = today + timedelta(days=service.horizon_days)
    referral_until = await last_referral_day(uow, service, person, today)
    if referral_until is not None:
        last = min(last, referral_until)
    days = [
        today + timedelta(days=i)
        for i in range((last - today).days + 1)
        if age_fits(service, person, today + timedelta(days=i))
    ]
    if not days:
        raise age_refusal(service)
    return Window(earliest=now + service.min_notice, days=days)


def check_slot(
    slot: SlotRecord,
    service: BookableServiceRecord,
    person: Person,
    now: datetime,
    zone: ZoneInfo,
    referral_until: date | None,
) -> None:
    if slot.status is not SlotStatus.OPEN:
        raise DomainError("slot_closed")
    if slot.starts_at < now + service.min_notice:
        raise DomainError("too_late")
    day = local_day(slot.starts_at, zone)
    if day > local_day(now, zone) + timedelta(days=service.horizon_days):
        raise DomainError("beyond_horizon")
    if referral_until is not None and day > referral_until:
        raise DomainError("referral_required")
    if not age_fits(service, person, day):
        raise age_refusal(service)
    if not sex_fits(service, person):
        raise InvalidInput("not_eligible_sex", sex=service.sex)
