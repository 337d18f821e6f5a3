"""What a resident sees before booking: their centre, its services, who in the household a
service can be booked for, and the days and slots open to them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from jiayi.services.booking.calendar import local_day
from jiayi.services.booking.eligibility import age_fits, booking_window, find_service, sex_fits
from jiayi.services.booking.seats import find_appointment
from jiayi.services.clock import Clock
from jiayi.services.errors import NotFound
from jiayi.services.people import Person, age_in_months, require_person, require_resident
from jiayi.storage.records import (
    AppointmentRecord,
    BookableServiceRecord,
    CentreRecord,
    DayAvailability,
    PersonChoice,
    SlotRecord,
)
from jiayi.storage.uow import UnitOfWork


async def centre_contact(uow: UnitOfWork, telegram_user_id: int) -> CentreRecord | None:
    """The resident's centre (through their family doctor), for its phone and address; None
    for someone not signed up or without a doctor yet."""
    async with uow:
        resident = await uow.residents.by_telegram_user(telegram_user_id)
        if resident is None:
            return None
        centre_id = await uow.booking.centre_of_resident(resident.id)
        return await uow.booking.centre(centre_id) if centre_id is not None else None


async def list_services(uow: UnitOfWork, telegram_user_id: int) -> list[BookableServiceRecord]:
    """Active services of the resident's family-doctor centre (every centre's if no contract),
    by kind and then name."""
    async with uow:
        resident = await require_resident(uow, telegram_user_id)
        centre_id = await uow.booking.centre_of_resident(resident.id)
        return await uow.booking.services(centre_id)


async def get_service(uow: UnitOfWork, service_id: int) -> BookableServiceRecord:
    async with uow:
        return await find_service(uow, service_id)


async def get_slot(uow: UnitOfWork, slot_id: int) -> SlotRecord:
    async with uow:
        slot = await uow.booking.slot(slot_id)
        if slot is None:
            raise NotFound("slot_not_found")
        return slot


@dataclass(frozen=True, slots=True)
class SlotSummary:
    """What the confirmation screen shows before a resident books a slot."""

    slot_id: int
    service_id: int
    service_name_zh: str
    service_name_en: str
    starts_at: datetime
    ends_at: datetime
    person_name: str
    member_id: int | None
    doctor_name: str | None
    centre_name: str
    centre_name_en: str
    free: int


async def slot_summary(
    uow: UnitOfWork, telegram_user_id: int, slot_id: int, member_id: int | None
) -> SlotSummary:
    """The slot and who it would be booked for. Checks the member is the resident's own; the
    booking rules themselves are checked by `book`."""
    async with uow:
        person = await require_person(uow, telegram_user_id, member_id)
        slot = await uow.booking.slot(slot_id)
        if slot is None:
            raise NotFound("slot_not_found")
        service = await find_service(uow, slot.service_id)
        centre = await uow.booking.centre(service.centre_id)
        doctor = await uow.doctors.get(slot.doctor_id) if slot.doctor_id else None
    assert centre is not None
    return SlotSummary(
        slot_id=slot.id,
        service_id=service.id,
        service_name_zh=service.name_zh,
        service_name_en=service.name_en,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        person_name=person.name,
        member_id=person.member_id,
        doctor_name=doctor.display_name if doctor else None,
        centre_name=centre.name,
        centre_name_en=centre.name_en,
        free=slot.free,
    )


async def people(uow: UnitOfWork, telegram_user_id: int) -> list[PersonChoice]:
    """Who the resident can book for: themself first, then their family members."""
    async with uow:
        resident = await require_resident(uow, telegram_user_id)
        members = await uow.family.list_for(resident.id)
    return [PersonChoice(None, resident.display_name)] + [
        PersonChoice(member.id, member.display_name) for member in members
    ]


@dataclass(frozen=True, slots=True)
class ServicePeople:
    """Who in the household a service can be booked for, as the person list shows it.

    `bookable`: the service's age and sex rules allow them on some day of its horizon, and
    they have no active appointment for it; `booked`: allowed, but already booked (with that
    appointment); `too_young` / `too_old` / `other_sex`: the rules leave them out. Themself
    first."""

    service: BookableServiceRecord
    household_size: int
    bookable: list[PersonChoice]
    booked: list[AppointmentRecord]
    too_young: list[PersonChoice]
    too_old: list[PersonChoice]
    other_sex: list[PersonChoice]


def _age_side(service: BookableServiceRecord, person: Person, today: date) -> str:
    """ "young" or "old" for a person the service's age rules leave out."""
    born = person.birth
    if born is None or service.min_age_months is None:
        return "old"
    return "young" if age_in_months(born, today) < service.min_age_months else "old"


async def people_for_service(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int, service_id: int, zone: ZoneInfo
) -> ServicePeople:
    """The person list of a service: only who can really be booked is offered, and who is
    left out is named with the reason (age, or an appointment already booked)."""
    today = local_day(clock.now(), zone)
    async with uow:
        resident = await require_resident(uow, telegram_user_id)
        service = await find_service(uow, service_id)
        members = await uow.family.list_for(resident.id)
        persons = [Person(resident, None)] + [Person(resident, m) for m in members]
        bookable: list[PersonChoice] = []
        booked: list[AppointmentRecord] = []
        young: list[PersonChoice] = []
        old: list[PersonChoice] = []
        other_sex: list[PersonChoice] = []
        horizon = [today + timedelta(days=i) for i in range(service.horizon_days + 1)]
        for person in persons:
            choice = PersonChoice(person.member_id, person.name)
            if not sex_fits(service, person):
                other_sex.append(choice)
                continue
            if not any(age_fits(service, person, day) for day in horizon):
                (young if _age_side(service, person, today) == "young" else old).append(choice)
                continue
            existing = await uow.booking.active_for_person(service.id, person.key)
            if existing is not None:
                booked.append(await find_appointment(uow, existing))
                continue
            bookable.append(choice)
    return ServicePeople(service, len(persons), bookable, booked, young, old, other_sex)


async def existing_booking(
    uow: UnitOfWork, telegram_user_id: int, service_id: int, member_id: int | None
) -> AppointmentRecord | None:
    """The person's active appointment for the service, if any: a second one can't be booked,
    so the flow says so as soon as the person is chosen."""
    async with uow:
        person = await require_person(uow, telegram_user_id, member_id)
        found = await uow.booking.active_for_person(service_id, person.key)
        return await find_appointment(uow, found) if found is not None else None


async def _bookable_slots(
    uow: UnitOfWork,
    clock: Clock,
    telegram_user_id: int,
    service_id: int,
    member_id: int | None,
    zone: ZoneInfo,
) -> tuple[list[SlotRecord], set[date]]:
    now = clock.now()
    async with uow:
        person = await require_person(uow, telegram_user_id, member_id)
        service = await find_service(uow, service_id)
        window = await booking_window(uow, now, zone, service, person)
        slots = await uow.booking.open_slots(service.id, window.earliest, window.end(zone))
    return slots, set(window.days)


async def available_days(
    uow: UnitOfWork,
    clock: Clock,
    telegram_user_id: int,
    service_id: int,
    member_id: int | None,
    zone: ZoneInfo,
) -> list[DayAvailability]:
    """Local days from today to the service's horizon that have bookable slots, with the free
    seats of each. A day whose slots are all full is kept (free=0) so the waitlist can be
    offered. Raises the eligibility refusals (age, referral, member) first."""
    slots, days = await _bookable_slots(uow, clock, telegram_user_id, service_id, member_id, zone)
    free: dict[date, int] = {}
    for slot in slots:
        day = local_day(slot.starts_at, zone)
        if day in days:
            free[day] = free.get(day, 0) + slot.free
    return [DayAvailability(day, seats) for day, seats in sorted(free.items())]


async def slots_on(
    uow: UnitOfWork,
    clock: Clock,
    telegram_user_id: int,
    service_id: int,
    member_id: int | None,
    day: date,
    zone: ZoneInfo,
) -> list[SlotRecord]:
    """The bookable slots of one local day, full ones included, by time."""
    slots, days = await _bookable_slots(uow, clock, telegram_user_id, service_id, member_id, zone)
    if day not in days:
        return []
    return [slot for slot in slots if local_day(slot.starts_at, zone) == day]
