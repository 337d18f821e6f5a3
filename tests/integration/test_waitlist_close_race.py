"""Races between a waitlist hold, its expiry and closing a day: no seat is sold twice and
nobody keeps a seat on a closed day without a notice — on SQLite (BEGIN IMMEDIATE) and
PostgreSQL (row locks; its pool has more connections than there are contenders, so every
contender really is in flight at once).

On SQLite writers queue one at a time, so these tests pass there on the old code too; they
are the regression tests for PostgreSQL, where both failed before the fix (see each test).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from jiayi.services import booking
from jiayi.services.booking import AppointmentRecord, AppointmentStatus
from jiayi.services.clock import ManualClock
from jiayi.services.database import Database, UnitOfWorkFactory, open_database
from jiayi.services.errors import DomainError
from jiayi.storage import models as m
from jiayi.storage.engine import make_engine, make_sessionmaker
from tests.factories import make_centre
from tests.integration.booking_support import (
    FLU,
    HOLD,
    SHANGHAI,
    TODAY,
    local,
    make_service,
    make_slot,
)
from tests.integration.test_booking_race import make_crowd

PAIRS = 24  # slots with one held seat each, accepted and expired at the same moment
PRE_BOOKED = 30  # appointments the closure has to cancel (widens the old window)
LATE_BOOKERS = 40  # residents pressing "book" while the day is being closed
POOL = LATE_BOOKERS + 5  # more connections than contenders (at most LATE_BOOKERS + 1)


@pytest.fixture
async def racing_db(database_url: str) -> AsyncIterator[UnitOfWorkFactory]:
    """The test database with a pool big enough that no contender waits for a connection."""
    if database_url.startswith("sqlite"):
        db = open_database(database_url)
    else:
        engine = make_engine(database_url, pool_size=POOL, max_overflow=0)
        db = Database(uow_factory=UnitOfWorkFactory(make_sessionmaker(engine)), _engine=engine)
    yield db.uow_factory
    await db.dispose()


def outcomes(results: list[object]) -> Counter[str]:
    seen: Counter[str] = Counter()
    for result in results:
        if isinstance(result, AppointmentRecord):
            seen["booked"] += 1
        elif isinstance(result, DomainError):
            seen[result.code] += 1
        elif isinstance(result, BaseException):
            raise AssertionError(f"unexpected failure: {result!r}") from result
        else:
            seen["other"] += 1
    return seen


async def test_a_hold_accepted_as_it_expires_is_sold_once(
    racing_db: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Each slot has one seat, held for its first in line, with a second person waiting. The
    holder presses "accept" a moment before the hold runs out while the expiry job (a moment
    after) lapses it and offers the seat to the second person. Exactly one of them may end up
    with the seat: never two live appointments on a one-seat slot.

    Caught on PostgreSQL: the old `accept_offer` read the entry, inserted the appointment and
    ignored that its `offered → accepted` update changed no row, so the holder and the next in
    line both held the one seat. Mutation tried: the old order (check `status`/`offered_until`
    by a plain read, insert, then the unchecked update) — fails here on PostgreSQL with one
    booking and one expiry counted for the same hold (25 outcomes for 24 holds).
    """
    users = await make_crowd(racing_db, clock, 2 * PAIRS)
    holders, seconds = users[:PAIRS], users[PAIRS:]
    flu = await make_service(racing_db, clock, FLU)
    entries = []
    slots = []
    for i in range(PAIRS):
        slot = await make_slot(
            racing_db,
            flu,
            local(TODAY + timedelta(days=2), 8) + timedelta(minutes=10 * i),
            capacity=1,
        )
        slots.append(slot)
        entries.append(await booking.join_waitlist(racing_db(), clock, holders[i], slot.id, None))
        await booking.join_waitlist(racing_db(), clock, seconds[i], slot.id, None)
    # The holder's request was read just before the hold ran out; the job runs just after.
    accept_clock = ManualClock(clock.now() + HOLD - timedelta(seconds=1))
    expiry_clock = ManualClock(clock.now() + HOLD + timedelta(seconds=1))

    results = await asyncio.gather(
        booking.expire_offers(lambda: racing_db(), expiry_clock),
        *(
            booking.accept_offer(racing_db(), accept_clock, holders[i], entries[i].id, SHANGHAI)
            for i in range(PAIRS)
        ),
        return_exceptions=True,
    )

    assert not isinstance(results[0], BaseException), results[0]
    seen = outcomes(list(results[1:]))
    assert set(seen) <= {"booked", "offer_expired"}
    assert seen["booked"] + int(results[0]) == PAIRS  # type: ignore[call-overload]
    async with racing_db() as uow:
        for slot in slots:
            live = await uow.session.scalar(
                select(func.count())
                .select_from(m.Appointment)
                .where(
                    m.Appointment.slot_id == slot.id,
                    m.Appointment.status == AppointmentStatus.BOOKED.value,
                )
            )
            held = await uow.session.scalar(
                select(func.count())
                .select_from(m.WaitlistEntry)
                .where(m.WaitlistEntry.slot_id == slot.id, m.WaitlistEntry.status == "offered")
            )
            seats = (await uow.booking.slot(slot.id)).booked  # type: ignore[union-attr]
            assert (live, held, seats) in ((1, 0, 1), (0, 1, 1)), (slot.id, live, held, seats)


async def test_a_booking_made_while_the_day_closes_is_cancelled_with_a_notice(
    racing_db: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """A crowd books seats on a day while the centre closes that day. Afterwards every booking
    on the day is cancelled by the centre with a `booking_closed` notice and no reminder left
    queued, or was refused with `slot_closed`; no slot of the day is open.

    Caught on PostgreSQL: the old `close_day` listed the booked appointments before closing
    the slots, so a booking committing in between kept its seat on a closed day with its
    reminders queued and no notice. Mutation tried: `close_slots` back after the collection
    of booked appointments (the old order) — fails here on PostgreSQL: 30 cancelled of 65
    booked, the rest still BOOKED on the closed day.
    """
    users = await make_crowd(racing_db, clock, PRE_BOOKED + LATE_BOOKERS)
    early, late = users[:PRE_BOOKED], users[PRE_BOOKED:]
    centre = await make_centre(racing_db, clock)
    flu = await make_service(racing_db, clock, FLU, centre_id=centre.id)
    closing = TODAY + timedelta(days=2)
    slots = [
        await make_slot(
            racing_db, flu, local(closing, 8) + timedelta(minutes=30 * i), capacity=100
        )
        for i in range(4)
    ]
    for i, user in enumerate(early):
        await booking.book(racing_db(), clock, user, slots[i % 4].id, None, SHANGHAI)

    results = await asyncio.gather(
        booking.close_day(racing_db(), clock, centre.id, closing, SHANGHAI, "停电"),
        *(
            booking.book(racing_db(), clock, user, slots[i % 4].id, None, SHANGHAI)
            for i, user in enumerate(late)
        ),
        return_exceptions=True,
    )

    closed = results[0]
    assert isinstance(closed, list), closed
    seen = outcomes(list(results[1:]))
    assert set(seen) <= {"booked", "slot_closed"}
    assert len(closed) == PRE_BOOKED + seen["booked"]
    async with racing_db() as uow:
        statuses = Counter(
            await uow.session.scalars(
                select(m.Appointment.status).where(
                    m.Appointment.slot_id.in_([s.id for s in slots])
                )
            )
        )
        assert statuses == {AppointmentStatus.CANCELLED_CENTRE.value: len(closed)}
        for slot in slots:
            assert (await uow.booking.slot(slot.id)).status.value == "closed"  # type: ignore[union-attr]
        rows = {
            row.dedupe_key: row.status
            for row in await uow.session.scalars(select(m.OutboxMessage))
        }
    for appointment in closed:
        assert rows[f"appt:{appointment.id}:closed"] == "pending"
    queued = [k for k, v in rows.items() if not k.endswith(":closed") and v == "pending"]
    assert queued == []  # no reminder left for a cancelled appointment


async def test_a_hold_accepted_while_the_day_closes_leaves_nobody_booked_on_it(
    racing_db: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Holders press "accept" while the centre closes the day. Each either gets
    `offer_expired`, or their booking is cancelled by the closure with a notice; none stays
    booked on the closed day.

    Caught on PostgreSQL: the old `accept_offer` (a plain read of the hold, then the insert)
    and the old `lapse_waitlist` (ids selected, then updated by id, overwriting `accepted`)
    left accepted bookings on the closed day. Mutation tried: the old `accept_offer` alone —
    fails here on PostgreSQL: all 24 holders booked, the closure cancelled none of them.
    """
    holders = await make_crowd(racing_db, clock, PAIRS)
    centre = await make_centre(racing_db, clock)
    flu = await make_service(racing_db, clock, FLU, centre_id=centre.id)
    closing = TODAY + timedelta(days=2)
    entries = []
    slots = []
    for i, user in enumerate(holders):
        slot = await make_slot(
            racing_db, flu, local(closing, 8) + timedelta(minutes=10 * i), capacity=1
        )
        slots.append(slot)
        entries.append(await booking.join_waitlist(racing_db(), clock, user, slot.id, None))

    results = await asyncio.gather(
        booking.close_day(racing_db(), clock, centre.id, closing, SHANGHAI, "停电"),
        *(
            booking.accept_offer(racing_db(), clock, user, entry.id, SHANGHAI)
            for user, entry in zip(holders, entries, strict=True)
        ),
        return_exceptions=True,
    )

    closed = results[0]
    assert isinstance(closed, list), closed
    seen = outcomes(list(results[1:]))
    assert set(seen) <= {"booked", "offer_expired"}
    assert len(closed) == seen["booked"]
    async with racing_db() as uow:
        statuses = Counter(
            await uow.session.scalars(
                select(m.Appointment.status).where(
                    m.Appointment.slot_id.in_([s.id for s in slots])
                )
            )
        )
        rows = {
            row.dedupe_key: row.status
            for row in await uow.session.scalars(select(m.OutboxMessage))
        }
    assert AppointmentStatus.BOOKED.value not in statuses
    for appointment in closed:
        assert rows[f"appt:{appointment.id}:closed"] == "pending"
