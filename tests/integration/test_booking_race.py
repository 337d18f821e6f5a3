"""Many residents pressing "book" at the same moment: the last seats are never oversold and the
losers get a clear answer — on SQLite (BEGIN IMMEDIATE) and PostgreSQL (row locks)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from services import booking
from services.booking import AppointmentRecord
from services.clock import ManualClock
from services.database import UnitOfWorkFactory
from services.errors import DomainError
from storage import models as m
from tests.factories import NOTICE, make_resident
from tests.integration.test_booking import (
    FLU,
    SHANGHAI,
    TOMORROW,
    local,
    make_service,
    make_slot,
    slot_now,
)

CROWD = 120
SEATS = 3
SAME_PERSON_TRIES = 50
FIRST_CROWD_USER = 50_000
SOLO = 4001


async def make_crowd(uow_factory: UnitOfWorkFactory, clock: ManualClock, size: int) -> list[int]:
    """`size` registered residents in one transaction; returns their Telegram user ids."""
    users = [FIRST_CROWD_USER + i for i in range(size)]
    async with uow_factory() as uow:
        await uow.begin_write()
        for user in users:
            await uow.residents.add(
                telegram_user_id=user,
                display_name=f"居民{user}",
                locale="zh-CN",
                consent_version=NOTICE,
                now=clock.now(),
            )
        await uow.commit()
    return users


def outcomes(results: list[AppointmentRecord | BaseException]) -> Counter[str]:
    """'booked' or the error code of each caller; anything else fails the test loudly."""
    seen: Counter[str] = Counter()
    for result in results:
        if isinstance(result, AppointmentRecord):
            seen["booked"] += 1
        elif isinstance(result, DomainError):
            seen[result.code] += 1
        else:
            raise AssertionError(f"unexpected failure: {result!r}") from result
    return seen


async def appointment_count(uow_factory: UnitOfWorkFactory) -> int:
    async with uow_factory() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(m.Appointment)) or 0)


async def test_the_last_seats_go_to_exactly_as_many_people(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    users = await make_crowd(uow_factory, clock, CROWD)
    flu = await make_service(uow_factory, clock, FLU)
    slot = await make_slot(uow_factory, flu, local(TOMORROW, 9), capacity=SEATS)

    results = await asyncio.gather(
        *(booking.book(uow_factory(), clock, user, slot.id, None, SHANGHAI) for user in users),
        return_exceptions=True,
    )

    assert outcomes(results) == {"booked": SEATS, "slot_full": CROWD - SEATS}
    assert (await slot_now(uow_factory, slot.id)).booked == SEATS
    assert await appointment_count(uow_factory) == SEATS
    winners = [r for r in results if isinstance(r, AppointmentRecord)]
    assert len({w.check_in_code for w in winners}) == SEATS


async def test_one_person_pressing_many_times_gets_one_booking(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, SOLO)
    flu = await make_service(uow_factory, clock, FLU)
    # Several big slots: the presses don't queue behind one slot's row lock, so the unique
    # index (not the seat count) is what stops the duplicates.
    slots = [
        await make_slot(
            uow_factory, flu, local(TOMORROW, 9) + timedelta(minutes=30 * i), capacity=100
        )
        for i in range(5)
    ]

    results = await asyncio.gather(
        *(
            booking.book(uow_factory(), clock, SOLO, slots[i % len(slots)].id, None, SHANGHAI)
            for i in range(SAME_PERSON_TRIES)
        ),
        return_exceptions=True,
    )

    assert outcomes(results) == {"booked": 1, "already_booked": SAME_PERSON_TRIES - 1}
    assert sum([(await slot_now(uow_factory, s.id)).booked for s in slots]) == 1
    assert await appointment_count(uow_factory) == 1
    assert len(await booking.my_appointments(uow_factory(), clock, SOLO)) == 1
