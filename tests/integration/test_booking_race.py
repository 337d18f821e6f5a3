"""Many residents pressing "book" at the same moment: the last seats are never oversold and the
losers get a clear answer.

What each database proves (see tests/integration/race_support.py): on PostgreSQL every caller
holds its own pooled connection, so the row lock / conditional UPDATE and the unique index
decide; on SQLite in one process the callers queue on the process's write lock (the services'
logic and answers are proved, not the locking); the `_across_processes` test puts contenders in
two OS processes on one SQLite file, where only BEGIN IMMEDIATE keeps them apart."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select

from jiayi.services import booking
from jiayi.services.booking import AppointmentRecord
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory, open_database
from jiayi.services.errors import DomainError
from jiayi.storage import models as m
from tests.factories import NOTICE, make_resident
from tests.integration.booking_support import (
    FLU,
    SHANGHAI,
    TOMORROW,
    local,
    make_service,
    make_slot,
    slot_now,
)
from tests.integration.race_support import contenders, race_in_processes

CROWD = 120
SEATS = 3
SAME_PERSON_TRIES = 50
FIRST_CROWD_USER = 50_000
SOLO = 4001
PROCESS_CROWD = 20  # bookings per process in the two-process race


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
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    database_url: str,
    race_uow_factory: Callable[[int], UnitOfWorkFactory],
) -> None:
    """PostgreSQL: `crowd` bookings at once on as many connections. SQLite: the same crowd,
    serialised by the process's write lock.

    Mutation tried: `take_seat` (storage/booking.py) without its `booked < capacity` condition:
    on both databases losers get a raw CHECK-constraint error instead of `slot_full`."""
    crowd = contenders(database_url, CROWD)
    users = await make_crowd(uow_factory, clock, crowd)
    flu = await make_service(uow_factory, clock, FLU)
    slot = await make_slot(uow_factory, flu, local(TOMORROW, 9), capacity=SEATS)
    racing = race_uow_factory(crowd)

    results = await asyncio.gather(
        *(booking.book(racing(), clock, user, slot.id, None, SHANGHAI) for user in users),
        return_exceptions=True,
    )

    assert outcomes(results) == {"booked": SEATS, "slot_full": crowd - SEATS}
    assert (await slot_now(uow_factory, slot.id)).booked == SEATS
    assert await appointment_count(uow_factory) == SEATS
    winners = [r for r in results if isinstance(r, AppointmentRecord)]
    assert len({w.check_in_code for w in winners}) == SEATS


async def test_one_person_pressing_many_times_gets_one_booking(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    database_url: str,
    race_uow_factory: Callable[[int], UnitOfWorkFactory],
) -> None:
    """PostgreSQL: `tries` presses at once on as many connections; the unique index
    uq_appointments_one_active_per_person is what stops the duplicates there. SQLite (one
    process): the presses are serialised, so the service's own check answers them.

    Mutation tried: that index made non-unique (models and migration 0003): the PostgreSQL run
    books the person more than once."""
    tries = contenders(database_url, SAME_PERSON_TRIES)
    racing = race_uow_factory(tries)
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
            booking.book(racing(), clock, SOLO, slots[i % len(slots)].id, None, SHANGHAI)
            for i in range(tries)
        ),
        return_exceptions=True,
    )

    assert outcomes(results) == {"booked": 1, "already_booked": tries - 1}
    assert sum([(await slot_now(uow_factory, s.id)).booked for s in slots]) == 1
    assert await appointment_count(uow_factory) == 1
    assert len(await booking.my_appointments(uow_factory(), clock, SOLO)) == 1


async def test_the_last_seats_across_processes(sqlite_file_url: str, clock: ManualClock) -> None:
    """Two OS processes book the same slot in one SQLite file, each with its own write lock:
    only SQLite's BEGIN IMMEDIATE file lock keeps them from overselling.

    Mutation tried: `_on_begin` in storage/engine.py always issuing a plain BEGIN: the two
    processes read the same free seats and the slot is oversold, or a writer fails with
    "database is locked" on upgrade (a crash outcome)."""
    database = open_database(sqlite_file_url)
    try:
        factory = database.uow_factory
        users = await make_crowd(factory, clock, 2 * PROCESS_CROWD)
        flu = await make_service(factory, clock, FLU)
        slot = await make_slot(factory, flu, local(TOMORROW, 9), capacity=SEATS)
        halves = [users[:PROCESS_CROWD], users[PROCESS_CROWD:]]
        seen = await race_in_processes(
            sqlite_file_url,
            [{"kind": "book", "slot_id": slot.id, "users": half} for half in halves],
        )
        assert seen == {"ok": SEATS, "slot_full": 2 * PROCESS_CROWD - SEATS}
        assert (await slot_now(factory, slot.id)).booked == SEATS
        assert await appointment_count(factory) == SEATS
    finally:
        await database.dispose()
