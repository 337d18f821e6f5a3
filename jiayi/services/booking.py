"""Appointment booking: services, slots cut from weekly schedules, appointments, a waitlist.

Every resident-facing function acts for the Telegram user who sent the update: the resident is
looked up by that id, and a family member can only be booked, seen or cancelled by the resident
who manages them. Seats are counted by the database (one conditional UPDATE per seat), so two
residents pressing "book" at once can never both get the last place.

Reminders, seat offers and closure notices are outbox rows with self-contained JSON payloads;
their dedupe keys (`appt:<id>:…`, `wait:<id>:…`) let a cancellation withdraw them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from jiayi.services import careplans, console, holidays, points
from jiayi.services.clock import Clock
from jiayi.services.errors import DomainError, InvalidInput, NotAllowed, NotFound, NotRegistered
from jiayi.services.push import PushKind
from jiayi.services.push import appointments as push
from jiayi.storage.records import (
    Actor,
    AppointmentEventKind,
    AppointmentRecord,
    AppointmentStatus,
    BookableServiceRecord,
    CentreRecord,
    DayAvailability,
    FamilyMemberRecord,
    PersonChoice,
    ResidentRecord,
    ScheduleRecord,
    ServiceKind,
    SlotRecord,
    SlotStatus,
    WaitlistEntry,
    WaitlistRow,
    WaitlistStatus,
)
from jiayi.storage.uow import UnitOfWork

__all__ = [
    "OFFER_HOLD",
    "REMINDER_LEADS",
    "AppointmentRecord",
    "AppointmentStatus",
    "BookableServiceRecord",
    "DayAvailability",
    "PersonChoice",
    "ServiceKind",
    "ServicePeople",
    "SlotRecord",
    "SlotSummary",
    "WaitlistEntry",
    "WaitlistStatus",
    "accept_offer",
    "add_referral",
    "age_in_months",
    "available_days",
    "book",
    "cancel",
    "check_in",
    "close_day",
    "day_kind",
    "doctor_day",
    "expire_offers",
    "get_appointment",
    "get_service",
    "get_slot",
    "join_waitlist",
    "list_services",
    "mark_attendance",
    "materialize_slots",
    "my_appointments",
    "new_check_in_code",
    "people",
    "reschedule",
    "slot_summary",
    "slots_on",
]

# Letters and digits that can't be mistaken for each other when read out at the desk.
CHECK_IN_ALPHABET = "ACDEFHJKMNPRTUVWXY3479"
CHECK_IN_CODE_LENGTH = 6
OFFER_HOLD = timedelta(minutes=30)
REMINDER_LEADS: tuple[tuple[str, timedelta], ...] = (
    ("24h", timedelta(hours=24)),
    ("2h", timedelta(hours=2)),
)
# Residents record a birth year only; counting them as born mid-year errs by at most 6 months.
RESIDENT_BIRTHDAY = (7, 1)

KIND_REMINDER = PushKind.REMINDER
KIND_WAITLIST_OFFER = PushKind.WAITLIST_OFFER
KIND_BOOKING_CLOSED = PushKind.BOOKING_CLOSED


# --- calendar --------------------------------------------------------------------------------


def day_kind(day: date) -> str:
    """'holiday' (an official public holiday), 'makeup' (a weekend day officially worked, 调休)
    or 'normal'. The calendar data and what happens in years without it: services.holidays."""
    return holidays.day_kind(day)


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _local_day(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def _cut(day: date, schedule: ScheduleRecord, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    step = timedelta(minutes=schedule.slot_minutes)
    start = datetime.combine(day, schedule.start_time, tzinfo=zone)
    end = datetime.combine(day, schedule.end_time, tzinfo=zone)
    spans = []
    while start + step <= end:
        spans.append((start.astimezone(UTC), (start + step).astimezone(UTC)))
        start += step
    return spans


# --- people and eligibility -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Person:
    resident: ResidentRecord
    member: FamilyMemberRecord | None

    @property
    def member_id(self) -> int | None:
        return self.member.id if self.member else None

    @property
    def key(self) -> str:
        return f"m:{self.member.id}" if self.member else f"r:{self.resident.id}"

    @property
    def name(self) -> str:
        return self.member.display_name if self.member else self.resident.display_name

    @property
    def birth(self) -> date | None:
        if self.member is not None:
            return self.member.birth_date
        if self.resident.birth_year is None:
            return None
        return date(self.resident.birth_year, *RESIDENT_BIRTHDAY)


def age_in_months(born: date, on: date) -> int:
    """Whole months of age on a day, as vaccination schedules count them."""
    months = (on.year - born.year) * 12 + on.month - born.month
    return months - 1 if on.day < born.day else months


def _age_fits(service: BookableServiceRecord, person: _Person, on: date) -> bool:
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


def _sex_fits(service: BookableServiceRecord, person: _Person) -> bool:
    if service.sex is None:
        return True
    sex = person.member.sex if person.member is not None else person.resident.sex
    return sex is service.sex


def _age_refusal(service: BookableServiceRecord) -> DomainError:
    return InvalidInput(
        "not_eligible_age", min_months=service.min_age_months, max_months=service.max_age_months
    )


async def _resident(uow: UnitOfWork, telegram_user_id: int) -> ResidentRecord:
    resident = await uow.residents.by_telegram_user(telegram_user_id)
    if resident is None:
        raise NotRegistered()
    return resident


async def _person(uow: UnitOfWork, telegram_user_id: int, member_id: int | None) -> _Person:
    resident = await _resident(uow, telegram_user_id)
    if member_id is None:
        return _Person(resident, None)
    member = await uow.family.get(member_id)
    if member is None or member.resident_id != resident.id:
        # One answer for "doesn't exist" and "someone else's": a forged id learns nothing.
        raise NotAllowed("member_not_yours")
    return _Person(resident, member)


async def _service(uow: UnitOfWork, service_id: int) -> BookableServiceRecord:
    service = await uow.booking.service(service_id)
    if service is None:
        raise NotFound("service_not_found")
    return service


async def _referral_until(
    uow: UnitOfWork, service: BookableServiceRecord, person: _Person, today: date
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
class _Window:
    """The local days a person may book a service on, and the earliest start allowed."""

    earliest: datetime
    days: list[date]

    def end(self, zone: ZoneInfo) -> datetime:
        return _local_midnight(self.days[-1] + timedelta(days=1), zone)


async def _window(
    uow: UnitOfWork,
    now: datetime,
    zone: ZoneInfo,
    service: BookableServiceRecord,
    person: _Person,
) -> _Window:
    """Runs the eligibility checks and returns the bookable days: today up to the horizon,
    cut short by a referral's validity, keeping only days the person's age fits."""
    today = _local_day(now, zone)
    if not _sex_fits(service, person):
        raise InvalidInput("not_eligible_sex", sex=service.sex)
    last = today + timedelta(days=service.horizon_days)
    referral_until = await _referral_until(uow, service, person, today)
    if referral_until is not None:
        last = min(last, referral_until)
    days = [
        today + timedelta(days=i)
        for i in range((last - today).days + 1)
        if _age_fits(service, person, today + timedelta(days=i))
    ]
    if not days:
        raise _age_refusal(service)
    return _Window(earliest=now + service.min_notice, days=days)


def _check_slot(
    slot: SlotRecord,
    service: BookableServiceRecord,
    person: _Person,
    now: datetime,
    zone: ZoneInfo,
    referral_until: date | None,
) -> None:
    if slot.status is not SlotStatus.OPEN:
        raise DomainError("slot_closed")
    if slot.starts_at < now + service.min_notice:
        raise DomainError("too_late")
    day = _local_day(slot.starts_at, zone)
    if day > _local_day(now, zone) + timedelta(days=service.horizon_days):
        raise DomainError("beyond_horizon")
    if referral_until is not None and day > referral_until:
        raise DomainError("referral_required")
    if not _age_fits(service, person, day):
        raise _age_refusal(service)
    if not _sex_fits(service, person):
        raise InvalidInput("not_eligible_sex", sex=service.sex)


# --- outbox payloads --------------------------------------------------------------------------


async def _enqueue_reminders(
    uow: UnitOfWork, appointment: AppointmentRecord, now: datetime
) -> None:
    service = await _service(uow, appointment.service_id)
    # From then on cancel/reschedule are refused: reminders sent later don't offer them.
    change_until = appointment.starts_at - service.cancel_cutoff
    for lead, before in REMINDER_LEADS:
        at = appointment.starts_at - before
        if at <= now:
            continue
        await uow.outbox.enqueue(
            resident_id=appointment.resident_id,
            kind=KIND_REMINDER,
            dedupe_key=push.reminder_key(appointment.id, lead),
            payload=push.AppointmentReminder(
                appointment_id=appointment.id,
                lead=lead,
                service=push.ServiceNames(
                    appointment.service_name_zh, appointment.service_name_en
                ),
                starts_at=appointment.starts_at,
                person_name=appointment.person_name,
                check_in_code=appointment.check_in_code,
                centre_name=appointment.centre_name,
                centre_name_en=appointment.centre_name_en,
                change_until=change_until,
                centre_phone=appointment.centre_phone,
                centre_address=appointment.centre_address,
            ).to_json(),
            not_before=at,
            now=now,
        )


async def _booked(uow: UnitOfWork, appointment: AppointmentRecord, now: datetime) -> None:
    """What every new booked appointment brings, however it was made (booked, moved, or a
    waiting-list offer accepted): its reminders, and the care plan's "please book" reminders
    for the item it fulfils withdrawn."""
    await _enqueue_reminders(uow, appointment, now)
    await careplans.on_booked(uow, appointment)


async def _withdraw_reminders(uow: UnitOfWork, appointment_id: int) -> None:
    await uow.booking.cancel_pending(push.appointment_prefix(appointment_id))


# --- seats, appointments, offers --------------------------------------------------------------


def new_check_in_code() -> str:
    return "".join(secrets.choice(CHECK_IN_ALPHABET) for _ in range(CHECK_IN_CODE_LENGTH))


async def _appointment(uow: UnitOfWork, appointment_id: int) -> AppointmentRecord:
    found = await uow.booking.appointment(appointment_id)
    if found is None:
        raise NotFound("appointment_not_found")
    return found


async def _owned(
    uow: UnitOfWork, resident: ResidentRecord, appointment_id: int
) -> AppointmentRecord:
    appointment = await uow.booking.appointment(appointment_id)
    if appointment is None or appointment.resident_id != resident.id:
        raise NotFound("appointment_not_found")
    return appointment


async def _insert_appointment(
    uow: UnitOfWork, slot: SlotRecord, person: _Person, now: datetime, actor: Actor
) -> int:
    """The appointment for a seat already taken; `already_booked` undoes the whole transaction,
    the seat included, because the caller's unit of work is left without a commit."""
    appointment_id = await uow.booking.add_appointment(
        slot_id=slot.id,
        service_id=slot.service_id,
        resident_id=person.resident.id,
        family_member_id=person.member_id,
        person_key=person.key,
        new_code=new_check_in_code,
        now=now,
    )
    if appointment_id is None:
        raise DomainError("already_booked")
    await uow.booking.add_event(appointment_id, AppointmentEventKind.BOOKED, actor, now)
    return appointment_id


async def _bookable_slot(
    uow: UnitOfWork, now: datetime, zone: ZoneInfo, person: _Person, slot_id: int
) -> SlotRecord:
    """The slot, once every rule that doesn't depend on the seat count has passed."""
    slot = await uow.booking.slot(slot_id)
    if slot is None:
        raise NotFound("slot_not_found")
    service = await _service(uow, slot.service_id)
    referral_until = await _referral_until(uow, service, person, _local_day(now, zone))
    _check_slot(slot, service, person, now, zone, referral_until)
    # Asking first gives the common case a clear answer without touching the seat count; the
    # unique index still decides when two requests race.
    if await uow.booking.active_for_person(service.id, person.key) is not None:
        raise DomainError("already_booked")
    return slot


async def _take_seat(uow: UnitOfWork, now: datetime, person: _Person, slot: SlotRecord) -> int:
    """The conditional seat increment, then the appointment; the database decides both.

    The person's active booking is looked up once more first: under SQLite's write lock that
    answer is final and spares the seat increment and the failing insert; on PostgreSQL two
    requests can both pass it, and the unique index turns the later one away.
    """
    if await uow.booking.active_for_person(slot.service_id, person.key) is not None:
        raise DomainError("already_booked")
    if not await uow.booking.take_seat(slot.id):
        current = await uow.booking.slot(slot.id)
        closed = current is None or current.status is not SlotStatus.OPEN
        raise DomainError("slot_closed" if closed else "slot_full")
    return await _insert_appointment(uow, slot, person, now, Actor.RESIDENT)


async def _cancel_booked(
    uow: UnitOfWork,
    now: datetime,
    appointment: AppointmentRecord,
    *,
    to: AppointmentStatus,
    actor: Actor,
    event: AppointmentEventKind,
    cutoff: timedelta | None,
) -> None:
    """Cancels a booked appointment and gives its seat back (the caller offers it on)."""
    if appointment.status in (
        AppointmentStatus.CANCELLED_RESIDENT,
        AppointmentStatus.CANCELLED_CENTRE,
    ):
        raise InvalidInput("appointment_cancelled")
    if cutoff is not None and (
        appointment.status is not AppointmentStatus.BOOKED or now > appointment.starts_at - cutoff
    ):
        raise DomainError("cancel_too_late", hours=_hours(cutoff))
    moved = await uow.booking.set_status(
        appointment.id, from_statuses=(AppointmentStatus.BOOKED,), to=to, now=now
    )
    if not moved:
        raise InvalidInput("appointment_cancelled")
    await uow.booking.release_seat(appointment.slot_id)
    await uow.booking.add_event(appointment.id, event, actor, now)
    await _withdraw_reminders(uow, appointment.id)


def _hours(span: timedelta) -> int | float:
    hours = span.total_seconds() / 3600
    return int(hours) if hours.is_integer() else round(hours, 1)


async def _offer_free_seats(
    uow: UnitOfWork, now: datetime, slot_id: int, hold: timedelta = OFFER_HOLD
) -> int:
    """Holds each free seat of the slot for the next person waiting; returns offers made.

    A held seat counts as booked, so nobody else can take it while the offer stands.
    """
    slot = await uow.booking.slot(slot_id)
    if slot is None or slot.status is not SlotStatus.OPEN or slot.starts_at <= now:
        return 0
    service = await uow.booking.service(slot.service_id)
    if service is None:
        return 0
    centre = await uow.booking.centre(service.centre_id)
    offers = 0
    while (entry := await uow.booking.next_waiting(slot_id)) is not None:
        if not await uow.booking.take_seat(slot_id):
            break
        until = min(now + hold, slot.starts_at)
        if not await uow.booking.set_waitlist_status(
            entry.id,
            from_status=WaitlistStatus.WAITING,
            to=WaitlistStatus.OFFERED,
            offered_until=until,
        ):
            await uow.booking.release_seat(slot_id)
            break
        await uow.outbox.enqueue(
            resident_id=entry.resident_id,
            kind=KIND_WAITLIST_OFFER,
            dedupe_key=push.offer_key(entry.id),
            payload=push.WaitlistOffer(
                waitlist_id=entry.id,
                service=push.ServiceNames(service.name_zh, service.name_en),
                starts_at=slot.starts_at,
                person_name=entry.person_name,
                offered_until=until,
                centre_phone=centre.phone if centre else None,
                centre_address=centre.address if centre else None,
            ).to_json(),
            not_before=now,
            now=now,
        )
        offers += 1
    return offers


async def _waitlist_entry(uow: UnitOfWork, row: WaitlistRow) -> WaitlistEntry:
    return WaitlistEntry(
        id=row.id,
        slot_id=row.slot_id,
        position=await uow.booking.waitlist_position(row.id),
        status=row.status,
        offered_until=row.offered_until,
    )


async def _release_offer(
    uow: UnitOfWork, now: datetime, entry: WaitlistRow, to: WaitlistStatus, hold: timedelta
) -> bool:
    """Ends a held offer, gives the seat back and offers it to the next in line."""
    moved = await uow.booking.set_waitlist_status(
        entry.id,
        from_status=WaitlistStatus.OFFERED,
        to=to,
        offered_until=None,
        expired_by=now if to is WaitlistStatus.LAPSED else None,
    )
    if not moved:
        return False
    await uow.booking.release_seat(entry.slot_id)
    await uow.booking.cancel_pending(push.waitlist_prefix(entry.id))
    await _offer_free_seats(uow, now, entry.slot_id, hold)
    return True


# --- resident-facing services -----------------------------------------------------------------


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
        resident = await _resident(uow, telegram_user_id)
        centre_id = await uow.booking.centre_of_resident(resident.id)
        return await uow.booking.services(centre_id)


async def get_service(uow: UnitOfWork, service_id: int) -> BookableServiceRecord:
    async with uow:
        return await _service(uow, service_id)


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
        person = await _person(uow, telegram_user_id, member_id)
        slot = await uow.booking.slot(slot_id)
        if slot is None:
            raise NotFound("slot_not_found")
        service = await _service(uow, slot.service_id)
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
        resident = await _resident(uow, telegram_user_id)
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


def _age_side(service: BookableServiceRecord, person: _Person, today: date) -> str:
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
    today = _local_day(clock.now(), zone)
    async with uow:
        resident = await _resident(uow, telegram_user_id)
        service = await _service(uow, service_id)
        members = await uow.family.list_for(resident.id)
        persons = [_Person(resident, None)] + [_Person(resident, m) for m in members]
        bookable: list[PersonChoice] = []
        booked: list[AppointmentRecord] = []
        young: list[PersonChoice] = []
        old: list[PersonChoice] = []
        other_sex: list[PersonChoice] = []
        horizon = [today + timedelta(days=i) for i in range(service.horizon_days + 1)]
        for person in persons:
            choice = PersonChoice(person.member_id, person.name)
            if not _sex_fits(service, person):
                other_sex.append(choice)
                continue
            if not any(_age_fits(service, person, day) for day in horizon):
                (young if _age_side(service, person, today) == "young" else old).append(choice)
                continue
            existing = await uow.booking.active_for_person(service.id, person.key)
            if existing is not None:
                booked.append(await _appointment(uow, existing))
                continue
            bookable.append(choice)
    return ServicePeople(service, len(persons), bookable, booked, young, old, other_sex)


async def existing_booking(
    uow: UnitOfWork, telegram_user_id: int, service_id: int, member_id: int | None
) -> AppointmentRecord | None:
    """The person's active appointment for the service, if any: a second one can't be booked,
    so the flow says so as soon as the person is chosen."""
    async with uow:
        person = await _person(uow, telegram_user_id, member_id)
        found = await uow.booking.active_for_person(service_id, person.key)
        return await _appointment(uow, found) if found is not None else None


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
        person = await _person(uow, telegram_user_id, member_id)
        service = await _service(uow, service_id)
        window = await _window(uow, now, zone, service, person)
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
        day = _local_day(slot.starts_at, zone)
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
    return [slot for slot in slots if _local_day(slot.starts_at, zone) == day]


async def book(
    uow: UnitOfWork,
    clock: Clock,
    telegram_user_id: int,
    slot_id: int,
    member_id: int | None,
    zone: ZoneInfo,
) -> AppointmentRecord:
    """Takes a seat and books it, queueing the 24 h and 2 h reminders."""
    now = clock.now()
    async with uow:
        person = await _person(uow, telegram_user_id, member_id)
        slot = await _bookable_slot(uow, now, zone, person, slot_id)
        if slot.free == 0:
            raise DomainError("slot_full")
    # The checks above ran in a read-only transaction. Only the two statements that decide
    # (seat, appointment) hold the write lock: SQLite has one writer at a time, and a crowd
    # pressing "book" together for the last seats must not queue behind each other's reads.
    # Nothing is lost by checking early: a seat or a duplicate is still decided below.
    async with uow:
        await uow.begin_write()
        appointment_id = await _take_seat(uow, now, person, slot)
        appointment = await _appointment(uow, appointment_id)
        await _booked(uow, appointment, now)
        await uow.commit()
    return appointment


async def my_appointments(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int
) -> list[AppointmentRecord]:
    """Booked appointments of the resident and their family that haven't ended, by time."""
    async with uow:
        resident = await _resident(uow, telegram_user_id)
        return await uow.booking.upcoming_for_resident(resident.id, clock.now())


async def get_appointment(
    uow: UnitOfWork, telegram_user_id: int, appointment_id: int
) -> AppointmentRecord:
    """Only the resident who booked it (who manages the family member) can see it."""
    async with uow:
        resident = await _resident(uow, telegram_user_id)
        return await _owned(uow, resident, appointment_id)


async def cancel(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int, appointment_id: int
) -> AppointmentRecord:
    """Cancels up to the service's cutoff before the start; withdraws the reminders and holds
    the freed seat for the first person waiting."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        resident = await _resident(uow, telegram_user_id)
        appointment = await _owned(uow, resident, appointment_id)
        service = await uow.booking.service(appointment.service_id)
        await _cancel_booked(
            uow,
            now,
            appointment,
            to=AppointmentStatus.CANCELLED_RESIDENT,
            actor=Actor.RESIDENT,
            event=AppointmentEventKind.CANCELLED,
            cutoff=service.cancel_cutoff if service else timedelta(0),
        )
        await _offer_free_seats(uow, now, appointment.slot_id)
        cancelled = await _appointment(uow, appointment.id)
        await uow.commit()
    return cancelled


async def _centre_zone(uow: UnitOfWork, service_id: int) -> ZoneInfo:
    service = await _service(uow, service_id)
    name = await uow.booking.centre_timezone(service.centre_id)
    return ZoneInfo(name or "UTC")


async def reschedule(
    uow: UnitOfWork,
    clock: Clock,
    telegram_user_id: int,
    appointment_id: int,
    new_slot_id: int,
    zone: ZoneInfo | None = None,
) -> AppointmentRecord:
    """Moves a booking to another slot of the same service in one transaction: the new seat is
    taken and the old one given back together, or, on any refusal, nothing changes. The
    reminders follow the new time. `zone` defaults to the centre's time zone."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        resident = await _resident(uow, telegram_user_id)
        old = await _owned(uow, resident, appointment_id)
        new_slot = await uow.booking.slot(new_slot_id)
        if new_slot is None or new_slot.service_id != old.service_id:
            raise NotFound("slot_not_found")
        if new_slot.id == old.slot_id and old.status is AppointmentStatus.BOOKED:
            return old
        service = await _service(uow, old.service_id)
        zone = zone or await _centre_zone(uow, service.id)
        person = await _person(uow, telegram_user_id, old.family_member_id)
        # The old booking goes first: the one-active-booking rule would refuse the new one.
        await _cancel_booked(
            uow,
            now,
            old,
            to=AppointmentStatus.CANCELLED_RESIDENT,
            actor=Actor.RESIDENT,
            event=AppointmentEventKind.RESCHEDULED,
            cutoff=service.cancel_cutoff,
        )
        new_id = await _take_seat(
            uow, now, person, await _bookable_slot(uow, now, zone, person, new_slot.id)
        )
        await _offer_free_seats(uow, now, old.slot_id)
        moved = await _appointment(uow, new_id)
        await _booked(uow, moved, now)
        await uow.commit()
    return moved


async def join_waitlist(
    uow: UnitOfWork,
    clock: Clock,
    telegram_user_id: int,
    slot_id: int,
    member_id: int | None,
    zone: ZoneInfo | None = None,
) -> WaitlistEntry:
    """Joins the line for a slot. If a seat happens to be free it is held for the first in
    line at once (perhaps this person: then the entry comes back `offered`)."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        person = await _person(uow, telegram_user_id, member_id)
        slot = await uow.booking.slot(slot_id)
        if slot is None:
            raise NotFound("slot_not_found")
        service = await _service(uow, slot.service_id)
        zone = zone or await _centre_zone(uow, service.id)
        referral_until = await _referral_until(uow, service, person, _local_day(now, zone))
        _check_slot(slot, service, person, now, zone, referral_until)
        if await uow.booking.active_for_person(service.id, person.key) is not None:
            raise DomainError("already_booked")
        entry_id = await uow.booking.add_waiting(
            slot_id=slot.id,
            resident_id=person.resident.id,
            family_member_id=person.member_id,
            person_key=person.key,
            now=now,
        )
        if entry_id is None:
            raise DomainError("already_waiting")
        await _offer_free_seats(uow, now, slot.id)
        row = await uow.booking.waitlist_entry(entry_id)
        assert row is not None
        entry = await _waitlist_entry(uow, row)
        await uow.commit()
    return entry


async def accept_offer(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int, waitlist_id: int, zone: ZoneInfo
) -> AppointmentRecord:
    """Turns a held seat into an appointment while the hold lasts (`offer_expired` after).

    The `offered → accepted` update is the guard, not the read before it: the expiry job, a
    closure or a second press can move the entry between the two, and only the one update
    that changes the row may go on to use the held seat.
    """
    now = clock.now()
    async with uow:
        await uow.begin_write()
        resident = await _resident(uow, telegram_user_id)
        entry = await uow.booking.waitlist_entry(waitlist_id)
        if entry is None or entry.resident_id != resident.id:
            raise DomainError("offer_expired")
        if await uow.booking.active_for_person(entry.service_id, entry.person_key) is not None:
            # Booked elsewhere meanwhile: pass the held seat on rather than sit on it.
            if not await _release_offer(uow, now, entry, WaitlistStatus.LEFT, OFFER_HOLD):
                raise DomainError("offer_expired")
            await uow.commit()
            raise DomainError("already_booked")
        if not await uow.booking.set_waitlist_status(
            entry.id,
            from_status=WaitlistStatus.OFFERED,
            to=WaitlistStatus.ACCEPTED,
            held_after=now,
        ):
            raise DomainError("offer_expired")
        slot = await uow.booking.slot(entry.slot_id)
        assert slot is not None
        person = await _person(uow, telegram_user_id, entry.family_member_id)
        # The seat was taken when the offer was made: no second increment here.
        appointment_id = await _insert_appointment(uow, slot, person, now, Actor.RESIDENT)
        await uow.booking.cancel_pending(push.waitlist_prefix(entry.id))
        appointment = await _appointment(uow, appointment_id)
        await _booked(uow, appointment, now)
        await uow.commit()
    return appointment


# --- jobs -------------------------------------------------------------------------------------


async def expire_offers(
    uow_factory: Callable[[], UnitOfWork], clock: Clock, hold: timedelta = OFFER_HOLD
) -> int:
    """Lapses holds that ran out and offers each seat to the next in line. One short
    transaction per hold; safe to run from several schedulers. Returns holds lapsed."""
    now = clock.now()
    async with uow_factory() as uow:
        expired = await uow.booking.expired_offers(now)
    moved = 0
    for entry_id in expired:
        async with uow_factory() as uow:
            await uow.begin_write()
            entry = await uow.booking.waitlist_entry(entry_id)
            if entry is None:
                continue
            if await _release_offer(uow, now, entry, WaitlistStatus.LAPSED, hold):
                await uow.commit()
                moved += 1
    return moved


def _runs_on(schedule: ScheduleRecord, day: date, kind: str) -> bool:
    if schedule.weekday == day.weekday():
        return True
    return kind == "makeup" and schedule.on_makeup_workdays


async def materialize_slots(uow: UnitOfWork, clock: Clock, zone: ZoneInfo, weeks: int = 3) -> int:
    """Cuts slots from the active schedules for today … today + weeks×7 (local days).

    Skips official public holidays and the centre's closed days; on official make-up working
    days (a weekend day worked in lieu, 调休) schedules marked `on_makeup_workdays` run too,
    whatever their own weekday. Slots already started are not created. Idempotent: a slot is
    unique per service and start. Returns the slots created.
    """
    now = clock.now()
    today = _local_day(now, zone)
    last = today + timedelta(days=weeks * 7)
    created = 0
    async with uow:
        await uow.begin_write()
        schedules = await uow.booking.active_schedules()
        closed = await uow.booking.closed_days(today, last)
        existing = await uow.booking.slot_starts(
            _local_midnight(today, zone), _local_midnight(last + timedelta(days=1), zone)
        )
        for offset in range((last - today).days + 1):
            day = today + timedelta(days=offset)
            kind = day_kind(day)
            if kind == "holiday":
                continue
            # The day's own schedules first, so they win a clash with a make-up one.
            todays = sorted(
                (s for s in schedules if _runs_on(s, day, kind)),
                key=lambda s: (s.weekday != day.weekday(), s.weekday, s.start_time, s.id),
            )
            for schedule in todays:
                if (schedule.centre_id, day) in closed:
                    continue
                for starts_at, ends_at in _cut(day, schedule, zone):
                    key = (schedule.service_id, starts_at)
                    if starts_at <= now or key in existing:
                        continue
                    existing.add(key)
                    created += await uow.booking.add_slot(
                        service_id=schedule.service_id,
                        doctor_id=schedule.doctor_id,
                        starts_at=starts_at,
                        ends_at=ends_at,
                        capacity=schedule.capacity,
                    )
        await uow.commit()
    return created


async def close_day(
    uow: UnitOfWork, clock: Clock, centre_id: int, day: date, zone: ZoneInfo, reason: str
) -> list[AppointmentRecord]:
    """Closes a centre for a local day: its slots close, their appointments are cancelled by
    the centre (reminders withdrawn, a `booking_closed` notice queued for each so the bot can
    offer rebooking), waitlist entries lapse. Returns the appointments cancelled."""
    async with uow:
        await uow.begin_write()
        await uow.booking.add_closed_day(centre_id=centre_id, day=day, reason=reason)
        slot_ids = await uow.booking.centre_slot_ids(
            centre_id, _local_midnight(day, zone), _local_midnight(day + timedelta(days=1), zone)
        )
        affected = await _close_slots(uow, slot_ids, clock.now(), reason)
        await uow.commit()
    return affected


async def close_slot(
    uow: UnitOfWork, clock: Clock, slot_id: int, reason: str
) -> list[AppointmentRecord]:
    """Closes one slot, with the same consequences as closing a day."""
    async with uow:
        await uow.begin_write()
        if await uow.booking.slot(slot_id) is None:
            raise NotFound("slot_not_found")
        affected = await _close_slots(uow, [slot_id], clock.now(), reason)
        await uow.commit()
    return affected


async def _close_slots(
    uow: UnitOfWork, slot_ids: list[int], now: datetime, reason: str
) -> list[AppointmentRecord]:
    # Close first, then collect: the closing update waits for any booking that already took a
    # seat (its row lock) and turns every later one away, so the list read after it is
    # complete. Read first and a booking committing in between keeps its seat on a closed day.
    await uow.booking.close_slots(slot_ids)
    # Lapse the held offers before collecting too: an acceptance in flight holds its waitlist
    # row (it took its seat when the offer was made, so the slot update doesn't wait for it);
    # this update waits for it to commit, so its appointment is in the list read next.
    for entry_id in await uow.booking.lapse_waitlist(slot_ids):
        await uow.booking.cancel_pending(push.waitlist_prefix(entry_id))
    cancelled: list[int] = []
    for appointment_id in await uow.booking.booked_on_slots(slot_ids):
        moved = await uow.booking.set_status(
            appointment_id,
            from_statuses=(AppointmentStatus.BOOKED,),
            to=AppointmentStatus.CANCELLED_CENTRE,
            now=now,
        )
        if moved:
            await uow.booking.add_event(
                appointment_id, AppointmentEventKind.CANCELLED, Actor.CENTRE, now
            )
            await _withdraw_reminders(uow, appointment_id)
            cancelled.append(appointment_id)
    affected = await uow.booking.appointments(cancelled)
    for appointment in affected:
        await uow.outbox.enqueue(
            resident_id=appointment.resident_id,
            kind=KIND_BOOKING_CLOSED,
            dedupe_key=push.closed_key(appointment.id),
            payload=push.BookingClosed(
                appointment_id=appointment.id,
                service_id=appointment.service_id,
                member_id=appointment.family_member_id,
                service=push.ServiceNames(
                    appointment.service_name_zh, appointment.service_name_en
                ),
                starts_at=appointment.starts_at,
                person_name=appointment.person_name,
                reason=reason,
                centre_phone=appointment.centre_phone,
                centre_address=appointment.centre_address,
            ).to_json(),
            not_before=now,
            now=now,
        )
    return affected


# --- doctors ----------------------------------------------------------------------------------


async def _doctor(
    uow: UnitOfWork, doctor_telegram_id: int, admin_ids: frozenset[int] = frozenset()
) -> tuple[int, int]:
    """(doctor id, centre id) of the active doctor using this Telegram account.

    The appointment list, check-in and attendance work on the doctor's own centre. An admin
    who is also a doctor uses them as that doctor; an admin who isn't has no centre here and
    is told so (`admin_not_a_doctor`) rather than refused like a resident (the doctor console,
    services/console.py, does let admins in: its lists aren't tied to a centre).
    """
    doctor = await uow.doctors.by_telegram_user(doctor_telegram_id)
    if doctor is None or not doctor.active:
        if doctor_telegram_id in admin_ids:
            raise NotAllowed("admin_not_a_doctor")
        raise NotAllowed("not_a_doctor")
    return doctor.id, doctor.centre_id


async def _at_centre(uow: UnitOfWork, centre_id: int, appointment_id: int) -> AppointmentRecord:
    appointment = await _appointment(uow, appointment_id)
    service = await uow.booking.service(appointment.service_id)
    if service is None or service.centre_id != centre_id:
        raise NotAllowed("not_your_centre")
    return appointment


async def _audit_desk(
    uow: UnitOfWork,
    now: datetime,
    doctor_id: int,
    doctor_telegram_id: int,
    appointments: list[AppointmentRecord],
    action: console.AuditAction,
) -> None:
    """The desk works centre-wide, on residents of every doctor there: each action is in the
    audit log of every resident it showed or changed (own residents too, for one rule), so
    the resident sees it in /mydata. One row per resident and action; `ref_id` is the
    appointment when there is exactly one."""
    await uow.console.audit(
        actor_doctor_id=doctor_id,
        actor_user_id=doctor_telegram_id,
        resident_ids=sorted({a.resident_id for a in appointments}),
        action=str(action),
        at=now,
        ref_id=appointments[0].id if len(appointments) == 1 else None,
    )


async def doctor_day(
    uow: UnitOfWork,
    clock: Clock,
    doctor_telegram_id: int,
    day: date,
    zone: ZoneInfo,
    *,
    admin_ids: frozenset[int] = frozenset(),
) -> list[AppointmentRecord]:
    """Every appointment that isn't cancelled at the doctor's centre on a local day, by time;
    audited for each resident on it. `admin_ids` (settings.admin_ids) only changes the refusal
    an admin gets."""
    async with uow:
        await uow.begin_write()
        doctor_id, centre_id = await _doctor(uow, doctor_telegram_id, admin_ids)
        items = await uow.booking.centre_day(
            centre_id, _local_midnight(day, zone), _local_midnight(day + timedelta(days=1), zone)
        )
        await _audit_desk(
            uow, clock.now(), doctor_id, doctor_telegram_id, items, console.AuditAction.DESK_DAY
        )
        await uow.commit()
        return items


async def _mark(
    uow: UnitOfWork, now: datetime, appointment: AppointmentRecord, attended: bool
) -> AppointmentRecord:
    marked, _moved = await mark_moving(uow, now, appointment, attended)
    return marked


async def mark_moving(
    uow: UnitOfWork, now: datetime, appointment: AppointmentRecord, attended: bool
) -> tuple[AppointmentRecord, int]:
    """Records attended / no-show inside the caller's write transaction (services/attendance.py
    uses it too); returns the appointment after and the points moved (0 when none did)."""
    target = AppointmentStatus.ATTENDED if attended else AppointmentStatus.NO_SHOW
    if appointment.status in (
        AppointmentStatus.CANCELLED_RESIDENT,
        AppointmentStatus.CANCELLED_CENTRE,
    ):
        raise InvalidInput("appointment_cancelled")
    if appointment.status is target:
        return appointment, 0
    # From booked, or a correction between attended and no-show; each leaves an event.
    others = {
        AppointmentStatus.BOOKED,
        AppointmentStatus.ATTENDED,
        AppointmentStatus.NO_SHOW,
    } - {target}
    if not await uow.booking.set_status(appointment.id, from_statuses=others, to=target, now=now):
        raise InvalidInput("appointment_cancelled")
    kind = AppointmentEventKind.ATTENDED if attended else AppointmentEventKind.NO_SHOW
    await uow.booking.add_event(appointment.id, kind, Actor.DOCTOR, now)
    moved = await points.on_attendance(uow, now, appointment, attended)
    if appointment.status is AppointmentStatus.BOOKED:
        await _withdraw_reminders(uow, appointment.id)
    await careplans.on_attendance(uow, now, appointment, attended)
    return await _appointment(uow, appointment.id), moved


async def mark_attendance(
    uow: UnitOfWork,
    clock: Clock,
    doctor_telegram_id: int,
    appointment_id: int,
    attended: bool,
    *,
    admin_ids: frozenset[int] = frozenset(),
) -> AppointmentRecord:
    """A doctor of the appointment's centre records attended / no-show. Marking the same
    outcome again changes nothing; a cancelled appointment is refused."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        doctor_id, centre_id = await _doctor(uow, doctor_telegram_id, admin_ids)
        appointment = await _at_centre(uow, centre_id, appointment_id)
        marked = await _mark(uow, now, appointment, attended)
        await _audit_desk(
            uow, now, doctor_id, doctor_telegram_id, [marked], console.AuditAction.ATTENDANCE
        )
        await uow.commit()
    return marked


def _normalise_code(code: str) -> str:
    return "".join(code.split()).upper()


async def check_in(
    uow: UnitOfWork,
    clock: Clock,
    doctor_telegram_id: int,
    code: str,
    *,
    admin_ids: frozenset[int] = frozenset(),
) -> AppointmentRecord:
    """Marks attended the appointment with this check-in code today at the doctor's centre
    (the centre's local day). Case and spaces don't matter."""
    marked, _previous, _moved = await check_in_marking(
        uow, clock, doctor_telegram_id, code, admin_ids=admin_ids
    )
    return marked


async def check_in_marking(
    uow: UnitOfWork,
    clock: Clock,
    doctor_telegram_id: int,
    code: str,
    *,
    admin_ids: frozenset[int] = frozenset(),
) -> tuple[AppointmentRecord, AppointmentStatus, int]:
    """`check_in`, also giving the status before and the points moved (for 撤销)."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        doctor_id, centre_id = await _doctor(uow, doctor_telegram_id, admin_ids)
        zone = ZoneInfo(await uow.booking.centre_timezone(centre_id) or "UTC")
        today = _local_day(now, zone)
        appointment = await uow.booking.by_check_in_code(
            centre_id,
            _normalise_code(code),
            _local_midnight(today, zone),
            _local_midnight(today + timedelta(days=1), zone),
        )
        if appointment is None:
            raise NotFound("check_in_code_unknown")
        marked, moved = await mark_moving(uow, now, appointment, attended=True)
        await _audit_desk(
            uow, now, doctor_id, doctor_telegram_id, [marked], console.AuditAction.CHECK_IN
        )
        await uow.commit()
    return marked, appointment.status, moved


async def add_referral(
    uow: UnitOfWork,
    clock: Clock,
    doctor_telegram_id: int,
    resident_id: int,
    member_id: int | None,
    service_id: int,
    valid_days: int = 90,
) -> None:
    """The resident's own family doctor refers them (or a member they manage) to a
    referral-only service of the doctor's centre, valid for `valid_days` from today."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        doctor_id, centre_id = await _doctor(uow, doctor_telegram_id)
        contract = await uow.contracts.open_for(resident_id)
        if contract is None or contract.doctor_id != doctor_id:
            raise NotAllowed("not_your_centre")
        if member_id is not None:
            member = await uow.family.get(member_id)
            if member is None or member.resident_id != resident_id:
                raise NotAllowed("member_not_yours")
        service = await _service(uow, service_id)
        if service.centre_id != centre_id:
            raise NotFound("service_not_found")
        zone = ZoneInfo(await uow.booking.centre_timezone(centre_id) or "UTC")
        await uow.booking.add_referral(
            resident_id=resident_id,
            family_member_id=member_id,
            service_id=service.id,
            doctor_id=doctor_id,
            valid_until=_local_day(now, zone) + timedelta(days=valid_days),
            now=now,
        )
        await uow.commit()


# --- privacy: an account being erased (services/privacy.py) -----------------------------------


async def release_for_erasure(
    uow: UnitOfWork,
    now: datetime,
    resident_id: int,
    waitlist_ids: list[int],
    member_id: int | None = None,
) -> int:
    """Within the caller's write transaction: the account's live waiting-list places are left
    (held seats given back), its upcoming bookings (with `member_id`: only that family
    member's) cancelled by the system, and each freed seat offered to the next person
    waiting. Returns the bookings cancelled."""
    slots: set[int] = set()
    for entry_id in waitlist_ids:
        entry = await uow.booking.waitlist_entry(entry_id)
        if entry is None:
            continue
        if entry.status is WaitlistStatus.WAITING:
            await uow.booking.set_waitlist_status(
                entry.id, from_status=WaitlistStatus.WAITING, to=WaitlistStatus.LEFT
            )
        elif entry.status is WaitlistStatus.OFFERED and await uow.booking.set_waitlist_status(
            entry.id, from_status=WaitlistStatus.OFFERED, to=WaitlistStatus.LEFT
        ):
            await uow.booking.release_seat(entry.slot_id)
            slots.add(entry.slot_id)
    upcoming = [
        a
        for a in await uow.booking.upcoming_for_resident(resident_id, now)
        if member_id is None or a.family_member_id == member_id
    ]
    for appointment in upcoming:
        await _cancel_booked(
            uow,
            now,
            appointment,
            to=AppointmentStatus.CANCELLED_RESIDENT,
            actor=Actor.SYSTEM,
            event=AppointmentEventKind.CANCELLED,
            cutoff=None,
        )
        slots.add(appointment.slot_id)
    for slot_id in sorted(slots):
        await _offer_free_seats(uow, now, slot_id)
    return len(upcoming)
