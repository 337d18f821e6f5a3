"""Appointment booking on a real database (SQLite and PostgreSQL): what residents, doctors and
the centre notice — seats, refusals, reminders in the outbox, the waitlist, closures."""

from __future__ import annotations

import json
from collections.abc import Awaitable
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from jiayi.services import booking, family, residents
from jiayi.services.booking import (
    AppointmentRecord,
    AppointmentStatus,
    BookableServiceRecord,
    DayAvailability,
    PersonChoice,
    ServiceKind,
    SlotRecord,
    WaitlistStatus,
)
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.demo import seed_demo
from jiayi.services.errors import DomainError
from jiayi.services.family import NewMember, Relation
from jiayi.services.ics import appointment_ics
from jiayi.services.residents import Sex
from jiayi.storage import models as m
from jiayi.storage.records import Actor, AppointmentEventKind, DoctorRecord, FamilyMemberRecord
from tests.conftest import T0
from tests.factories import CENTRE_NAME, CENTRE_NAME_EN, make_centre, make_doctor, make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 23)  # a Monday; T0 is 10:00 local
TOMORROW = TODAY + timedelta(days=1)

PARENT = 2001  # Telegram user ids
NEIGHBOUR = 2002
THIRD = 2003
FOURTH = 2004
DOCTOR_USER = 3001
OTHER_CENTRE_DOCTOR_USER = 3002
COLLEAGUE_USER = 3003  # a second doctor of the test centre

CHILD_NAME = "小宝"
CHILD_BORN = date(2024, 3, 15)  # 32 months old on TODAY
BABY_BORN = date(2026, 5, 26)  # six months old on 26 November 2026
FLU = "flu_vaccine"
CHILD_VACCINES = "child_vaccines"
CARDIOLOGY = "referral_cardiology"
CHECKUP = "health_checkup"
HOLD = timedelta(minutes=30)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI).astimezone(UTC)


async def refused(code: str, call: Awaitable[object]) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await call
    assert caught.value.code == code
    return caught.value


# --- factories ------------------------------------------------------------------------------


async def make_service(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    code: str = FLU,
    kind: ServiceKind = ServiceKind.VACCINATION,
    *,
    centre_id: int | None = None,
    **options: object,
) -> BookableServiceRecord:
    if centre_id is None:
        centre_id = (await make_centre(uow_factory, clock)).id
    async with uow_factory() as uow:
        await uow.begin_write()
        service = await uow.booking.add_service(
            centre_id=centre_id,
            code=code,
            kind=kind,
            name_zh=f"{code} 中文",
            name_en=f"{code} English",
            **options,  # type: ignore[arg-type]
        )
        await uow.commit()
        return service


async def make_schedule(
    uow_factory: UnitOfWorkFactory,
    service: BookableServiceRecord,
    weekday: int,
    *,
    start: time = time(8, 30),
    end: time = time(9, 30),
    slot_minutes: int = 30,
    capacity: int = 2,
    on_makeup_workdays: bool = False,
) -> None:
    async with uow_factory() as uow:
        await uow.begin_write()
        await uow.booking.add_schedule(
            service_id=service.id,
            weekday=weekday,
            start_time=start,
            end_time=end,
            slot_minutes=slot_minutes,
            capacity=capacity,
            on_makeup_workdays=on_makeup_workdays,
        )
        await uow.commit()


async def make_slot(
    uow_factory: UnitOfWorkFactory,
    service: BookableServiceRecord,
    starts_at: datetime,
    *,
    capacity: int = 2,
    minutes: int = 30,
    doctor_id: int | None = None,
) -> SlotRecord:
    async with uow_factory() as uow:
        await uow.begin_write()
        await uow.booking.add_slot(
            service_id=service.id,
            doctor_id=doctor_id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes),
            capacity=capacity,
        )
        await uow.commit()
        slots = await uow.booking.open_slots(
            service.id, starts_at, starts_at + timedelta(seconds=1)
        )
        return slots[0]


async def make_child(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    parent: int = PARENT,
    *,
    name: str = CHILD_NAME,
    born: date = CHILD_BORN,
) -> FamilyMemberRecord:
    return await family.add_member(
        uow_factory(), clock, parent, NewMember(Relation.CHILD, name, born, Sex.MALE)
    )


async def make_doctor_user(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    telegram_user_id: int = DOCTOR_USER,
    *,
    centre_code: str | None = None,
) -> DoctorRecord:
    """A doctor with a bound Telegram account, at the test centre or another one."""
    if centre_code is None:
        doctor = await make_doctor(uow_factory, clock)
    else:
        async with uow_factory() as uow:
            await uow.begin_write()
            centre = await uow.centres.add(
                code=centre_code,
                name="河畔社区卫生服务中心",
                name_en="Riverside Community Health Centre",
                timezone="Asia/Shanghai",
                now=clock.now(),
            )
            doctor = await uow.doctors.add(
                centre_id=centre.id, display_name="赵医生", link_code=centre_code, now=clock.now()
            )
            await uow.commit()
    async with uow_factory() as uow:
        await uow.begin_write()
        await uow.doctors.bind_telegram_user(doctor.id, telegram_user_id)
        await uow.commit()
    async with uow_factory() as uow:
        bound = await uow.doctors.get(doctor.id)
    # The record as it is now, with the account bound: callers act as this Telegram user.
    assert bound is not None
    assert bound.telegram_user_id == telegram_user_id
    return bound


async def slot_now(uow_factory: UnitOfWorkFactory, slot_id: int) -> SlotRecord:
    async with uow_factory() as uow:
        found = await uow.booking.slot(slot_id)
        assert found is not None
        return found


async def outbox_rows(uow_factory: UnitOfWorkFactory) -> list[SimpleNamespace]:
    table = m.OutboxMessage.__table__
    async with uow_factory() as uow:
        result = await uow.session.execute(select(table).order_by(table.c.id))
        return [SimpleNamespace(**row) for row in result.mappings()]


async def outbox_by_key(uow_factory: UnitOfWorkFactory) -> dict[str, SimpleNamespace]:
    return {row.dedupe_key: row for row in await outbox_rows(uow_factory)}


async def slot_days(uow_factory: UnitOfWorkFactory, service_id: int) -> set[date]:
    async with uow_factory() as uow:
        slots = await uow.booking.open_slots(
            service_id, datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
        )
    return {s.starts_at.astimezone(SHANGHAI).date() for s in slots}


# --- materialising slots from schedules -----------------------------------------------------


async def test_materialise_follows_weekdays_holidays_makeup_days_and_closures(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    clock.set(local(date(2026, 9, 28), 6))  # a Monday, three weeks around National Day
    centre = await make_centre(uow_factory, clock)
    checkup = await make_service(uow_factory, clock, CHECKUP, ServiceKind.CHECKUP)
    flu = await make_service(uow_factory, clock, FLU)
    await make_schedule(uow_factory, checkup, 0, on_makeup_workdays=True)  # Mondays
    await make_schedule(uow_factory, checkup, 2)  # Wednesdays
    await make_schedule(uow_factory, flu, 5, start=time(9), end=time(10))  # Saturday clinic
    async with uow_factory() as uow:
        await uow.begin_write()
        await uow.booking.add_closed_day(
            centre_id=centre.id, day=date(2026, 10, 14), reason="staff training"
        )
        await uow.commit()

    created = await booking.materialize_slots(uow_factory(), clock, SHANGHAI, weeks=3)

    assert await slot_days(uow_factory, checkup.id) == {
        date(2026, 9, 28),
        date(2026, 9, 30),
        # 1–7 October is the National Day holiday: Monday 5th and Wednesday 7th are skipped.
        date(2026, 10, 10),  # the make-up Saturday works like a weekday
        date(2026, 10, 12),
        # Wednesday 14th: the centre is closed.
        date(2026, 10, 19),
    }
    # The Saturday clinic: 3 October is inside the holiday; the make-up Saturday keeps it.
    assert await slot_days(uow_factory, flu.id) == {date(2026, 10, 10), date(2026, 10, 17)}
    assert date(2026, 10, 1) not in await slot_days(uow_factory, checkup.id)
    assert created == 5 * 2 + 2 * 2
    async with uow_factory() as uow:
        slots = await uow.booking.open_slots(
            flu.id, local(date(2026, 10, 17), 0), local(date(2026, 10, 18), 0)
        )
    assert [s.starts_at.astimezone(SHANGHAI).time() for s in slots] == [time(9), time(9, 30)]
    assert {(s.capacity, s.booked) for s in slots} == {(2, 0)}

    assert await booking.materialize_slots(uow_factory(), clock, SHANGHAI, weeks=3) == 0


async def test_demo_seed_adds_services_and_slots_once(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    first = await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    second = await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    assert first.services_created == 11  # with child check-ups, maternal care, HPV and the
    # yearly contract confirmation visit
    assert first.slots_created > 0
    assert (second.services_created, second.slots_created) == (0, 0)
    chen = 9_000_000_002  # the demo parent with a toddler
    offered = await booking.list_services(uow_factory(), chen)
    assert [s.kind for s in offered] == sorted(
        (s.kind for s in offered), key=list(ServiceKind).index
    )
    assert {s.code for s in offered} >= {FLU, CHILD_VACCINES, CARDIOLOGY, "tcm_moxibustion"}


# --- what a resident sees -------------------------------------------------------------------


async def test_services_people_and_days(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, PARENT, name="王芳")
    child = await make_child(uow_factory, clock)
    tcm = await make_service(uow_factory, clock, "tcm_moxibustion", ServiceKind.TCM)
    flu = await make_service(uow_factory, clock, FLU, horizon_days=7)
    assert [s.id for s in await booking.list_services(uow_factory(), PARENT)] == [flu.id, tcm.id]
    assert await booking.people(uow_factory(), PARENT) == [
        PersonChoice(None, "王芳"),
        PersonChoice(child.id, CHILD_NAME),
    ]

    eleven = await make_slot(uow_factory, flu, local(TODAY, 11))  # inside two hours' notice
    afternoon = await make_slot(uow_factory, flu, local(TODAY, 13))
    full = await make_slot(uow_factory, flu, local(TOMORROW, 9), capacity=1)
    last_day = await make_slot(uow_factory, flu, local(TODAY + timedelta(days=7), 9))
    beyond = await make_slot(uow_factory, flu, local(TODAY + timedelta(days=8), 9))
    await booking.book(uow_factory(), clock, PARENT, full.id, child.id, SHANGHAI)

    days = await booking.available_days(uow_factory(), clock, PARENT, flu.id, None, SHANGHAI)
    assert days == [
        DayAvailability(TODAY, 2),
        DayAvailability(TOMORROW, 0),  # full, still listed so the waitlist can be offered
        DayAvailability(TODAY + timedelta(days=7), 2),
    ]
    slots = await booking.slots_on(uow_factory(), clock, PARENT, flu.id, None, TODAY, SHANGHAI)
    assert [s.id for s in slots] == [afternoon.id]
    assert [s.free for s in slots] == [2]
    assert (
        await booking.slots_on(
            uow_factory(), clock, PARENT, flu.id, None, TODAY + timedelta(days=8), SHANGHAI
        )
        == []
    )

    await refused(
        "too_late", booking.book(uow_factory(), clock, PARENT, eleven.id, None, SHANGHAI)
    )
    await refused(
        "beyond_horizon", booking.book(uow_factory(), clock, PARENT, beyond.id, None, SHANGHAI)
    )
    await refused(
        "slot_not_found", booking.book(uow_factory(), clock, PARENT, 999, None, SHANGHAI)
    )
    assert (await slot_now(uow_factory, last_day.id)).booked == 0


async def test_booking_for_self_and_a_child_queues_reminders(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    resident = await make_resident(uow_factory, clock, PARENT, name="王芳")
    child = await make_child(uow_factory, clock)
    doctor = await make_doctor(uow_factory, clock)
    flu = await make_service(uow_factory, clock, FLU)
    day_after = await make_slot(
        uow_factory, flu, local(TODAY + timedelta(days=2), 9), doctor_id=doctor.id
    )
    tomorrow = await make_slot(uow_factory, flu, local(TOMORROW, 9))

    summary = await booking.slot_summary(uow_factory(), PARENT, tomorrow.id, child.id)
    assert (summary.person_name, summary.centre_name_en, summary.free) == (
        CHILD_NAME,
        CENTRE_NAME_EN,
        2,
    )
    mine = await booking.book(uow_factory(), clock, PARENT, day_after.id, None, SHANGHAI)
    childs = await booking.book(uow_factory(), clock, PARENT, tomorrow.id, child.id, SHANGHAI)

    assert (mine.person_name, mine.family_member_id, mine.status) == (
        "王芳",
        None,
        AppointmentStatus.BOOKED,
    )
    assert (mine.doctor_name, mine.centre_name, mine.centre_name_en) == (
        doctor.display_name,
        CENTRE_NAME,
        CENTRE_NAME_EN,
    )
    assert (childs.person_name, childs.family_member_id) == (CHILD_NAME, child.id)
    assert len(mine.check_in_code) == 6
    assert set(mine.check_in_code) <= set(booking.CHECK_IN_ALPHABET)
    assert (await slot_now(uow_factory, day_after.id)).booked == 1

    assert [a.id for a in await booking.my_appointments(uow_factory(), clock, PARENT)] == [
        childs.id,
        mine.id,
    ]
    assert await booking.get_appointment(uow_factory(), PARENT, mine.id) == mine

    rows = await outbox_by_key(uow_factory)
    # Tomorrow 09:00 is 23 hours away: its 24-hour reminder would be in the past already.
    assert set(rows) == {
        f"appt:{mine.id}:24h",
        f"appt:{mine.id}:2h",
        f"appt:{childs.id}:2h",
    }
    reminder = rows[f"appt:{mine.id}:24h"]
    assert (reminder.kind, reminder.resident_id, reminder.status) == (
        "reminder",
        resident.id,
        "pending",
    )
    assert reminder.not_before == mine.starts_at - timedelta(hours=24)
    assert rows[f"appt:{mine.id}:2h"].not_before == mine.starts_at - timedelta(hours=2)
    assert json.loads(rows[f"appt:{childs.id}:2h"].payload) == {
        "appointment_id": childs.id,
        "lead": "2h",
        "service_name_zh": flu.name_zh,
        "service_name_en": flu.name_en,
        "starts_at": childs.starts_at.isoformat(),
        "person_name": CHILD_NAME,
        "check_in_code": childs.check_in_code,
        "centre_name": CENTRE_NAME,
        "centre_name_en": CENTRE_NAME_EN,
        # From then on the service refuses cancel/reschedule (its 120-minute cutoff).
        "change_until": (childs.starts_at - timedelta(minutes=120)).isoformat(),
        "centre_phone": None,
        "centre_address": None,
    }


async def test_vaccine_age_windows(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> None:
    await make_resident(uow_factory, clock, PARENT, birth_year=1990)
    child = await make_child(uow_factory, clock)
    baby = await make_child(uow_factory, clock, name="二宝", born=BABY_BORN)
    kids_only = await make_service(
        uow_factory, clock, CHILD_VACCINES, min_age_months=0, max_age_months=72
    )
    flu = await make_service(uow_factory, clock, FLU, min_age_months=6)
    kids_slot = await make_slot(uow_factory, kids_only, local(TOMORROW, 9))
    await make_slot(uow_factory, flu, local(TOMORROW, 9))
    flu_later = await make_slot(uow_factory, flu, local(TODAY + timedelta(days=4), 9))

    error = await refused(
        "not_eligible_age",
        booking.available_days(uow_factory(), clock, PARENT, kids_only.id, None, SHANGHAI),
    )
    assert error.params == {"min_months": 0, "max_months": 72}
    await refused(
        "not_eligible_age",
        booking.book(uow_factory(), clock, PARENT, kids_slot.id, None, SHANGHAI),
    )
    booked = await booking.book(uow_factory(), clock, PARENT, kids_slot.id, child.id, SHANGHAI)
    assert booked.person_name == CHILD_NAME

    # The baby turns six months on the 26th: only days from then on are offered.
    days = await booking.available_days(uow_factory(), clock, PARENT, flu.id, baby.id, SHANGHAI)
    assert [d.day for d in days] == [TODAY + timedelta(days=4)]
    tomorrow_flu = (
        await booking.slots_on(uow_factory(), clock, PARENT, flu.id, None, TOMORROW, SHANGHAI)
    )[0]
    error = await refused(
        "not_eligible_age",
        booking.book(uow_factory(), clock, PARENT, tomorrow_flu.id, baby.id, SHANGHAI),
    )
    assert error.params == {"min_months": 6, "max_months": None}
    await booking.book(uow_factory(), clock, PARENT, flu_later.id, baby.id, SHANGHAI)


async def test_referral_slots_need_a_referral_from_the_family_doctor(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Only the resident's own family doctor refers them.

    Mutation tried: removing the own-resident check in `booking.add_referral` (`contract is
    None or contract.doctor_id != doctor_id`): the same-centre colleague's referral goes
    through, and the other centre's doctor gets `service_not_found` instead of
    `not_your_centre`."""
    resident = await make_resident(uow_factory, clock, PARENT)
    doctor = await make_doctor_user(uow_factory, clock)
    await residents.choose_doctor(uow_factory(), clock, PARENT, doctor.id, SHANGHAI)
    colleague = await make_doctor_user(uow_factory, clock, COLLEAGUE_USER)
    stranger = await make_doctor_user(
        uow_factory, clock, OTHER_CENTRE_DOCTOR_USER, centre_code="riverside"
    )
    assert colleague.centre_id == doctor.centre_id != stranger.centre_id
    cardiology = await make_service(
        uow_factory, clock, CARDIOLOGY, ServiceKind.REFERRAL, requires_referral=True
    )
    slot = await make_slot(uow_factory, cardiology, local(TOMORROW, 14))

    await refused(
        "referral_required",
        booking.available_days(uow_factory(), clock, PARENT, cardiology.id, None, SHANGHAI),
    )
    await refused(
        "referral_required", booking.book(uow_factory(), clock, PARENT, slot.id, None, SHANGHAI)
    )
    for other in (colleague, stranger):
        assert other.telegram_user_id is not None
        await refused(
            "not_your_centre",
            booking.add_referral(
                uow_factory(), clock, other.telegram_user_id, resident.id, None, cardiology.id
            ),
        )
    # Nothing was recorded by the refused attempts.
    await refused(
        "referral_required",
        booking.available_days(uow_factory(), clock, PARENT, cardiology.id, None, SHANGHAI),
    )
    await refused(
        "not_a_doctor",
        booking.add_referral(uow_factory(), clock, NEIGHBOUR, resident.id, None, cardiology.id),
    )

    await booking.add_referral(
        uow_factory(), clock, DOCTOR_USER, resident.id, None, cardiology.id, valid_days=30
    )

    days = await booking.available_days(
        uow_factory(), clock, PARENT, cardiology.id, None, SHANGHAI
    )
    assert days == [DayAvailability(TOMORROW, 2)]
    booked = await booking.book(uow_factory(), clock, PARENT, slot.id, None, SHANGHAI)
    assert booked.service_code == CARDIOLOGY


async def test_one_active_booking_per_service_and_person(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, PARENT)
    child = await make_child(uow_factory, clock)
    flu = await make_service(uow_factory, clock, FLU)
    first = await make_slot(uow_factory, flu, local(TOMORROW, 9))
    second = await make_slot(uow_factory, flu, local(TOMORROW, 10))
    booked = await booking.book(uow_factory(), clock, PARENT, first.id, None, SHANGHAI)

    await refused(
        "already_booked", booking.book(uow_factory(), clock, PARENT, second.id, None, SHANGHAI)
    )
    assert (await slot_now(uow_factory, second.id)).booked == 0
    # Someone else — the child — is a different person.
    await booking.book(uow_factory(), clock, PARENT, second.id, child.id, SHANGHAI)
    assert (await slot_now(uow_factory, second.id)).booked == 1

    await booking.cancel(uow_factory(), clock, PARENT, booked.id)
    await booking.book(uow_factory(), clock, PARENT, second.id, None, SHANGHAI)
    assert (await slot_now(uow_factory, second.id)).booked == 2


async def test_the_database_refuses_a_second_active_booking(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """The rule holds even for a caller that skips the service's own check."""
    resident = await make_resident(uow_factory, clock, PARENT)
    flu = await make_service(uow_factory, clock, FLU)
    slot = await make_slot(uow_factory, flu, local(TOMORROW, 9))
    await booking.book(uow_factory(), clock, PARENT, slot.id, None, SHANGHAI)
    async with uow_factory() as uow:
        await uow.begin_write()
        again = await uow.booking.add_appointment(
            slot_id=slot.id,
            service_id=flu.id,
            resident_id=resident.id,
            family_member_id=None,
            person_key=f"r:{resident.id}",
            new_code=booking.new_check_in_code,
            now=clock.now(),
        )
    assert again is None


async def test_a_check_in_code_collision_is_retried_with_a_new_code(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, PARENT)
    neighbour = await make_resident(uow_factory, clock, NEIGHBOUR)
    flu = await make_service(uow_factory, clock, FLU)
    slot = await make_slot(uow_factory, flu, local(TOMORROW, 9))
    first = await booking.book(uow_factory(), clock, PARENT, slot.id, None, SHANGHAI)
    codes = iter([first.check_in_code, "XXXXXX"])
    async with uow_factory() as uow:
        await uow.begin_write()
        appointment_id = await uow.booking.add_appointment(
            slot_id=slot.id,
            service_id=flu.id,
            resident_id=neighbour.id,
            family_member_id=None,
            person_key=f"r:{neighbour.id}",
            new_code=lambda: next(codes),
            now=clock.now(),
        )
        await uow.commit()
    assert appointment_id is not None
    async with uow_factory() as uow:
        second = await uow.booking.appointment(appointment_id)
    assert second is not None
    assert second.check_in_code == "XXXXXX"


async def test_cancel_frees_the_seat_and_withdraws_reminders(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, PARENT)
    flu = await make_service(uow_factory, clock, FLU, cancel_cutoff_minutes=180)
    slot = await make_slot(uow_factory, flu, local(TODAY + timedelta(days=2), 9))
    late = await make_slot(uow_factory, flu, local(TODAY + timedelta(days=3), 9))
    booked = await booking.book(uow_factory(), clock, PARENT, slot.id, None, SHANGHAI)

    cancelled = await booking.cancel(uow_factory(), clock, PARENT, booked.id)

    assert cancelled.status is AppointmentStatus.CANCELLED_RESIDENT
    assert (await slot_now(uow_factory, slot.id)).booked == 0
    rows = await outbox_by_key(uow_factory)
    assert {rows[f"appt:{booked.id}:{lead}"].status for lead in ("24h", "2h")} == {"cancelled"}
    assert await booking.my_appointments(uow_factory(), clock, PARENT) == []
    await refused("appointment_cancelled", booking.cancel(uow_factory(), clock, PARENT, booked.id))

    again = await booking.book(uow_factory(), clock, PARENT, late.id, None, SHANGHAI)
    clock.set(again.starts_at - timedelta(hours=2, minutes=59))
    error = await refused(
        "cancel_too_late", booking.cancel(uow_factory(), clock, PARENT, again.id)
    )
    assert error.params == {"hours": 3}
    assert (await slot_now(uow_factory, late.id)).booked == 1


async def test_reschedule_moves_the_booking_and_its_reminders(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, PARENT)
    await make_resident(uow_factory, clock, NEIGHBOUR)
    flu = await make_service(uow_factory, clock, FLU)
    other = await make_service(uow_factory, clock, CHECKUP, ServiceKind.CHECKUP)
    old_slot = await make_slot(uow_factory, flu, local(TODAY + timedelta(days=2), 9))
    new_slot = await make_slot(uow_factory, flu, local(TODAY + timedelta(days=3), 10))
    full_slot = await make_slot(uow_factory, flu, local(TODAY + timedelta(days=4), 9), capacity=1)
    other_slot = await make_slot(uow_factory, other, local(TODAY + timedelta(days=4), 9))
    await booking.book(uow_factory(), clock, NEIGHBOUR, full_slot.id, None, SHANGHAI)
    booked = await booking.book(uow_factory(), clock, PARENT, old_slot.id, None, SHANGHAI)

    # A failed move changes nothing.
    await refused(
        "slot_full",
        booking.reschedule(uow_factory(), clock, PARENT, booked.id, full_slot.id),
    )
    await refused(
        "slot_not_found",
        booking.reschedule(uow_factory(), clock, PARENT, booked.id, other_slot.id),
    )
    assert (await booking.get_appointment(uow_factory(), PARENT, booked.id)).status == "booked"
    assert (await slot_now(uow_factory, old_slot.id)).booked == 1
    assert (await outbox_by_key(uow_factory))[f"appt:{booked.id}:24h"].status == "pending"

    moved = await booking.reschedule(uow_factory(), clock, PARENT, booked.id, new_slot.id)

    assert (moved.slot_id, moved.starts_at, moved.status) == (
        new_slot.id,
        new_slot.starts_at,
        AppointmentStatus.BOOKED,
    )
    old = await booking.get_appointment(uow_factory(), PARENT, booked.id)
    assert old.status is AppointmentStatus.CANCELLED_RESIDENT
    assert (await slot_now(uow_factory, old_slot.id)).booked == 0
    assert (await slot_now(uow_factory, new_slot.id)).booked == 1
    rows = await outbox_by_key(uow_factory)
    assert rows[f"appt:{booked.id}:24h"].status == "cancelled"
    assert rows[f"appt:{booked.id}:2h"].status == "cancelled"
    assert rows[f"appt:{moved.id}:24h"].status == "pending"
    assert rows[f"appt:{moved.id}:24h"].not_before == new_slot.starts_at - timedelta(hours=24)
    assert [a.id for a in await booking.my_appointments(uow_factory(), clock, PARENT)] == [
        moved.id
    ]
    async with uow_factory() as uow:
        assert (AppointmentEventKind.RESCHEDULED, Actor.RESIDENT) in await uow.booking.events(
            booked.id
        )


async def test_nobody_books_or_sees_someone_elses_family(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, PARENT)
    await make_resident(uow_factory, clock, NEIGHBOUR)
    child = await make_child(uow_factory, clock, PARENT)
    flu = await make_service(uow_factory, clock, FLU)
    slot = await make_slot(uow_factory, flu, local(TOMORROW, 9))

    await refused(
        "member_not_yours",
        booking.book(uow_factory(), clock, NEIGHBOUR, slot.id, child.id, SHANGHAI),
    )
    await refused(
        "member_not_yours",
        booking.available_days(uow_factory(), clock, NEIGHBOUR, flu.id, child.id, SHANGHAI),
    )
    await refused(
        "member_not_yours",
        booking.join_waitlist(uow_factory(), clock, NEIGHBOUR, slot.id, child.id),
    )
    await refused(
        "member_not_yours", booking.slot_summary(uow_factory(), NEIGHBOUR, slot.id, child.id)
    )
    assert (await slot_now(uow_factory, slot.id)).booked == 0

    childs = await booking.book(uow_factory(), clock, PARENT, slot.id, child.id, SHANGHAI)
    await refused(
        "appointment_not_found", booking.get_appointment(uow_factory(), NEIGHBOUR, childs.id)
    )
    await refused(
        "appointment_not_found", booking.cancel(uow_factory(), clock, NEIGHBOUR, childs.id)
    )
    await refused("not_registered", booking.people(uow_factory(), 999))


# --- the waitlist ---------------------------------------------------------------------------


async def test_a_cancelled_seat_goes_to_the_first_in_line_with_a_hold(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    for user in (PARENT, NEIGHBOUR, THIRD, FOURTH):
        await make_resident(uow_factory, clock, user, name=f"居民{user}")
    flu = await make_service(uow_factory, clock, FLU)
    slot = await make_slot(uow_factory, flu, local(TODAY + timedelta(days=2), 9), capacity=1)
    first = await booking.book(uow_factory(), clock, PARENT, slot.id, None, SHANGHAI)
    await refused(
        "slot_full", booking.book(uow_factory(), clock, NEIGHBOUR, slot.id, None, SHANGHAI)
    )

    second = await booking.join_waitlist(uow_factory(), clock, NEIGHBOUR, slot.id, None)
    third = await booking.join_waitlist(uow_factory(), clock, THIRD, slot.id, None)
    assert (second.position, second.status, third.position) == (1, WaitlistStatus.WAITING, 2)
    await refused(
        "already_waiting", booking.join_waitlist(uow_factory(), clock, THIRD, slot.id, None)
    )

    await booking.cancel(uow_factory(), clock, PARENT, first.id)

    # The seat is held for the first in line: still full for everyone else.
    assert (await slot_now(uow_factory, slot.id)).free == 0
    await refused("slot_full", booking.book(uow_factory(), clock, FOURTH, slot.id, None, SHANGHAI))
    offer = (await outbox_by_key(uow_factory))[f"wait:{second.id}:offer"]
    assert (offer.kind, offer.status, offer.not_before) == ("waitlist_offer", "pending", T0)
    payload = json.loads(offer.payload)
    assert payload["person_name"] == f"居民{NEIGHBOUR}"
    assert payload["offered_until"] == (T0 + HOLD).isoformat()
    assert payload["starts_at"] == slot.starts_at.isoformat()
    await refused(
        "offer_expired", booking.accept_offer(uow_factory(), clock, THIRD, second.id, SHANGHAI)
    )

    clock.advance(timedelta(minutes=20))
    accepted = await booking.accept_offer(uow_factory(), clock, NEIGHBOUR, second.id, SHANGHAI)

    assert (accepted.slot_id, accepted.status) == (slot.id, AppointmentStatus.BOOKED)
    assert (await slot_now(uow_factory, slot.id)).booked == 1
    assert f"appt:{accepted.id}:24h" in await outbox_by_key(uow_factory)
    assert [a.id for a in await booking.my_appointments(uow_factory(), clock, NEIGHBOUR)] == [
        accepted.id
    ]


async def test_a_lapsed_hold_moves_to_the_next_in_line(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    for user in (PARENT, NEIGHBOUR, THIRD):
        await make_resident(uow_factory, clock, user)
    flu = await make_service(uow_factory, clock, FLU)
    slot = await make_slot(uow_factory, flu, local(TODAY + timedelta(days=2), 9), capacity=1)
    first = await booking.book(uow_factory(), clock, PARENT, slot.id, None, SHANGHAI)
    second = await booking.join_waitlist(uow_factory(), clock, NEIGHBOUR, slot.id, None)
    third = await booking.join_waitlist(uow_factory(), clock, THIRD, slot.id, None)
    await booking.cancel(uow_factory(), clock, PARENT, first.id)

    assert await booking.expire_offers(uow_factory, clock) == 0  # the hold still stands
    clock.advance(HOLD + timedelta(minutes=1))
    await refused(
        "offer_expired", booking.accept_offer(uow_factory(), clock, NEIGHBOUR, second.id, SHANGHAI)
    )

    assert await booking.expire_offers(uow_factory, clock) == 1

    rows = await outbox_by_key(uow_factory)
    assert f"wait:{third.id}:offer" in rows
    assert (await slot_now(uow_factory, slot.id)).booked == 1  # held again, for the next one
    accepted = await booking.accept_offer(uow_factory(), clock, THIRD, third.id, SHANGHAI)
    assert accepted.slot_id == slot.id
    assert (await slot_now(uow_factory, slot.id)).booked == 1
    assert await booking.expire_offers(uow_factory, clock) == 0


async def test_joining_the_line_for_a_slot_with_a_free_seat_holds_it_at_once(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, PARENT)
    flu = await make_service(uow_factory, clock, FLU)
    slot = await make_slot(uow_factory, flu, local(TOMORROW, 9), capacity=1)
    entry = await booking.join_waitlist(uow_factory(), clock, PARENT, slot.id, None)
    assert (entry.status, entry.offered_until) == (WaitlistStatus.OFFERED, T0 + HOLD)
    assert (await slot_now(uow_factory, slot.id)).booked == 1


# --- the centre and its doctors -------------------------------------------------------------


async def test_closing_a_day_cancels_its_appointments_with_a_notice(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, PARENT)
    child = await make_child(uow_factory, clock)
    await make_resident(uow_factory, clock, NEIGHBOUR)
    await make_resident(uow_factory, clock, THIRD)
    centre = await make_centre(uow_factory, clock)
    flu = await make_service(uow_factory, clock, FLU)
    closing = TODAY + timedelta(days=2)
    morning = await make_slot(uow_factory, flu, local(closing, 9), capacity=1)
    afternoon = await make_slot(uow_factory, flu, local(closing, 15))
    next_day = await make_slot(uow_factory, flu, local(closing + timedelta(days=1), 9))
    mine = await booking.book(uow_factory(), clock, PARENT, afternoon.id, None, SHANGHAI)
    childs = await booking.book(uow_factory(), clock, PARENT, morning.id, child.id, SHANGHAI)
    neighbours = await booking.book(uow_factory(), clock, NEIGHBOUR, next_day.id, None, SHANGHAI)
    waiting = await booking.join_waitlist(uow_factory(), clock, THIRD, morning.id, None)

    affected = await booking.close_day(uow_factory(), clock, centre.id, closing, SHANGHAI, "停电")

    assert [(a.id, a.status) for a in affected] == [
        (childs.id, AppointmentStatus.CANCELLED_CENTRE),
        (mine.id, AppointmentStatus.CANCELLED_CENTRE),
    ]
    assert [a.id for a in await booking.my_appointments(uow_factory(), clock, PARENT)] == []
    assert [a.id for a in await booking.my_appointments(uow_factory(), clock, NEIGHBOUR)] == [
        neighbours.id
    ]
    assert (await slot_now(uow_factory, morning.id)).status == "closed"
    rows = await outbox_by_key(uow_factory)
    assert rows[f"appt:{mine.id}:24h"].status == "cancelled"
    assert rows[f"appt:{neighbours.id}:24h"].status == "pending"
    notice = rows[f"appt:{childs.id}:closed"]
    assert (notice.kind, notice.status) == ("booking_closed", "pending")
    assert json.loads(notice.payload) | {"starts_at": None} == {
        "appointment_id": childs.id,
        "service_id": flu.id,
        "member_id": child.id,
        "service_name_zh": flu.name_zh,
        "service_name_en": flu.name_en,
        "starts_at": None,
        "person_name": CHILD_NAME,
        "reason": "停电",
        "centre_phone": None,
        "centre_address": None,
    }
    days = await booking.available_days(uow_factory(), clock, PARENT, flu.id, None, SHANGHAI)
    assert closing not in [d.day for d in days]
    await refused(
        "slot_closed", booking.book(uow_factory(), clock, PARENT, afternoon.id, None, SHANGHAI)
    )
    await refused(
        "offer_expired",
        booking.accept_offer(uow_factory(), clock, THIRD, waiting.id, SHANGHAI),
    )


async def test_doctor_sees_the_centre_day_and_marks_attendance(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, PARENT)
    await make_resident(uow_factory, clock, NEIGHBOUR)
    doctor = await make_doctor_user(uow_factory, clock)
    stranger = await make_doctor_user(
        uow_factory, clock, OTHER_CENTRE_DOCTOR_USER, centre_code="riverside"
    )
    flu = await make_service(uow_factory, clock, FLU)
    elsewhere = await make_service(uow_factory, clock, FLU, centre_id=stranger.centre_id)
    late = await make_slot(uow_factory, flu, local(TOMORROW, 15))
    early = await make_slot(uow_factory, flu, local(TOMORROW, 9))
    theirs = await make_slot(uow_factory, elsewhere, local(TOMORROW, 9))
    second = await booking.book(uow_factory(), clock, PARENT, late.id, None, SHANGHAI)
    first = await booking.book(uow_factory(), clock, NEIGHBOUR, early.id, None, SHANGHAI)
    await booking.book(uow_factory(), clock, PARENT, theirs.id, None, SHANGHAI)
    cancelled_slot = await make_slot(uow_factory, elsewhere, local(TOMORROW, 10))
    await booking.cancel(
        uow_factory(),
        clock,
        NEIGHBOUR,
        (
            await booking.book(uow_factory(), clock, NEIGHBOUR, cancelled_slot.id, None, SHANGHAI)
        ).id,
    )

    day = await booking.doctor_day(uow_factory(), clock, DOCTOR_USER, TOMORROW, SHANGHAI)
    assert [a.id for a in day] == [first.id, second.id]
    await refused(
        "not_a_doctor", booking.doctor_day(uow_factory(), clock, PARENT, TOMORROW, SHANGHAI)
    )

    marked = await booking.mark_attendance(uow_factory(), clock, DOCTOR_USER, first.id, True)
    again = await booking.mark_attendance(uow_factory(), clock, DOCTOR_USER, first.id, True)
    assert marked.status is AppointmentStatus.ATTENDED
    assert again == marked
    async with uow_factory() as uow:
        events = await uow.booking.events(first.id)
    assert events.count((AppointmentEventKind.ATTENDED, Actor.DOCTOR)) == 1
    assert (await outbox_by_key(uow_factory))[f"appt:{first.id}:2h"].status == "cancelled"

    no_show = await booking.mark_attendance(uow_factory(), clock, DOCTOR_USER, second.id, False)
    assert no_show.status is AppointmentStatus.NO_SHOW
    await refused(
        "not_your_centre",
        booking.mark_attendance(uow_factory(), clock, OTHER_CENTRE_DOCTOR_USER, first.id, True),
    )
    gone = await booking.book(uow_factory(), clock, PARENT, early.id, None, SHANGHAI)
    await booking.cancel(uow_factory(), clock, PARENT, gone.id)
    await refused(
        "appointment_cancelled",
        booking.mark_attendance(uow_factory(), clock, DOCTOR_USER, gone.id, True),
    )
    assert doctor.centre_id != stranger.centre_id


async def test_check_in_by_code_today(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> None:
    await make_resident(uow_factory, clock, PARENT)
    await make_doctor_user(uow_factory, clock)
    flu = await make_service(uow_factory, clock, FLU)
    today = await make_slot(uow_factory, flu, local(TODAY, 14))
    tomorrow = await make_slot(uow_factory, flu, local(TOMORROW, 9))
    booked = await booking.book(uow_factory(), clock, PARENT, today.id, None, SHANGHAI)
    child = await make_child(uow_factory, clock)
    later = await booking.book(uow_factory(), clock, PARENT, tomorrow.id, child.id, SHANGHAI)
    code = booked.check_in_code

    typed = f" {code[:3].lower()} {code[3:].lower()} "
    checked = await booking.check_in(uow_factory(), clock, DOCTOR_USER, typed)

    assert (checked.id, checked.status) == (booked.id, AppointmentStatus.ATTENDED)
    assert (await booking.check_in(uow_factory(), clock, DOCTOR_USER, code)).id == booked.id
    await refused(
        "check_in_code_unknown", booking.check_in(uow_factory(), clock, DOCTOR_USER, "ZZZZZZ")
    )
    await refused(
        "check_in_code_unknown",
        booking.check_in(uow_factory(), clock, DOCTOR_USER, later.check_in_code),
    )
    await refused("not_a_doctor", booking.check_in(uow_factory(), clock, PARENT, code))


async def test_an_admin_uses_the_desk_commands_as_their_doctor_or_is_told_they_have_none(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    admin = 3999
    admins = frozenset({admin, DOCTOR_USER})
    await make_resident(uow_factory, clock, PARENT)
    await make_doctor_user(uow_factory, clock)
    flu = await make_service(uow_factory, clock, FLU)
    slot = await make_slot(uow_factory, flu, local(TODAY, 14))
    booked = await booking.book(uow_factory(), clock, PARENT, slot.id, None, SHANGHAI)

    # An admin without a doctor account has no centre: a message saying so, for every command.
    for call in (
        booking.doctor_day(uow_factory(), clock, admin, TODAY, SHANGHAI, admin_ids=admins),
        booking.check_in(uow_factory(), clock, admin, booked.check_in_code, admin_ids=admins),
        booking.mark_attendance(uow_factory(), clock, admin, booked.id, True, admin_ids=admins),
    ):
        await refused("admin_not_a_doctor", call)
    # Nothing was marked on the way.
    assert (await booking.get_appointment(uow_factory(), PARENT, booked.id)).status is (
        AppointmentStatus.BOOKED
    )
    # A doctor who is also an admin works as that doctor; residents are refused as before.
    day = await booking.doctor_day(
        uow_factory(), clock, DOCTOR_USER, TODAY, SHANGHAI, admin_ids=admins
    )
    assert [a.id for a in day] == [booked.id]
    await refused(
        "not_a_doctor",
        booking.doctor_day(uow_factory(), clock, PARENT, TODAY, SHANGHAI, admin_ids=admins),
    )


# --- the calendar file ----------------------------------------------------------------------


def test_ics_round_trip() -> None:
    starts = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    appointment = AppointmentRecord(
        id=42,
        slot_id=7,
        service_id=3,
        service_code=FLU,
        service_name_zh="流感疫苗接种",
        service_name_en="Flu vaccination",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=15),
        resident_id=1,
        family_member_id=None,
        person_name="王芳",
        status=AppointmentStatus.BOOKED,
        check_in_code="AC3479",
        doctor_name=None,
        centre_name=CENTRE_NAME,
        centre_name_en=CENTRE_NAME_EN,
    )
    for locale, summary, location in (
        ("zh-CN", "流感疫苗接种 · 王芳", CENTRE_NAME),
        ("en", "Flu vaccination · 王芳", CENTRE_NAME_EN),
    ):
        parsed = Calendar.from_ical(appointment_ics(appointment, locale=locale, now=T0))
        (event,) = parsed.walk("VEVENT")
        assert str(event["UID"]) == "appointment-42@jiayi"
        assert event.decoded("DTSTART") == starts
        assert event.decoded("DTEND") == starts + timedelta(minutes=15)
        assert event.decoded("DTSTAMP") == T0
        assert str(event["SUMMARY"]) == summary
        assert str(event["LOCATION"]) == location
        assert "AC3479" in str(event["DESCRIPTION"])
        (alarm,) = event.walk("VALARM")
        assert alarm.decoded("TRIGGER") == -timedelta(hours=2)
