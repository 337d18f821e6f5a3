"""What the centre offers and to whom, on a real database (SQLite and PostgreSQL): slots
materialised from weekly schedules around holidays and closures, the demo catalogue, the
days and seats a resident sees, age windows and referrals."""

from __future__ import annotations

from datetime import date, time, timedelta

from jiayi.services import booking, residents
from jiayi.services.booking import DayAvailability, PersonChoice, ServiceKind
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.demo import seed_demo
from tests.factories import make_centre, make_resident
from tests.integration.booking_support import (
    BABY_BORN,
    CARDIOLOGY,
    CHECKUP,
    CHILD_NAME,
    CHILD_VACCINES,
    COLLEAGUE_USER,
    DOCTOR_USER,
    FLU,
    NEIGHBOUR,
    OTHER_CENTRE_DOCTOR_USER,
    PARENT,
    SHANGHAI,
    TODAY,
    TOMORROW,
    local,
    make_child,
    make_doctor_user,
    make_schedule,
    make_service,
    make_slot,
    refused,
    slot_days,
    slot_now,
)

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
