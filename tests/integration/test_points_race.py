"""Many redemptions at the same moment: no negative balance, stock never below zero, and a
voucher redeemed once.

What each database proves (see tests/integration/race_support.py): on PostgreSQL every caller
holds its own pooled connection, so the account row lock and the conditional UPDATEs decide; on
SQLite in one process the callers queue on the process's write lock (the services' logic and
answers are proved, not the locking); the `_across_processes` test puts the presses in two OS
processes on one SQLite file, where only BEGIN IMMEDIATE keeps them apart."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

from jiayi.services import points
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory, open_database
from jiayi.services.errors import DomainError
from jiayi.services.points import VoucherRecord
from tests.integration.booking_support import DOCTOR_USER, SHANGHAI
from tests.integration.race_support import contenders, race_in_processes
from tests.integration.test_points import (
    CHECKUP_POINTS,
    RESIDENT,
    TCM,
    TCM_COST,
    assert_books_balance,
    balance,
    give,
    make_member,
    reward_id,
    setup_centre,
    stock,
)

PRESSES = 30
CROWD = 40
SHELF = 3
DOCTORS = 12
FIRST_CROWD_USER = 61_000
FIRST_DOCTOR_USER = 62_000
PROCESS_PRESSES = 15  # presses per process in the two-process race


def outcomes(results: list[VoucherRecord | BaseException]) -> Counter[str]:
    seen: Counter[str] = Counter()
    for result in results:
        if isinstance(result, VoucherRecord):
            seen["ok"] += 1
        elif isinstance(result, DomainError):
            seen[result.code] += 1
        else:
            raise AssertionError(f"unexpected failure: {result!r}") from result
    return seen


async def test_one_balance_pressed_many_times_never_goes_negative(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    database_url: str,
    race_uow_factory: Callable[[int], UnitOfWorkFactory],
) -> None:
    """PostgreSQL: `presses` redemptions at once on as many connections.

    Mutation tried: `debit` (storage/points.py) without `balance >= amount`: on both databases
    losers hit the CHECK constraint instead of getting `points_not_enough`. (Dropping
    `lock_account` alone still passes: the conditional UPDATE is what guards the balance.)"""
    presses = contenders(database_url, PRESSES)
    racing = race_uow_factory(presses)
    await setup_centre(uow_factory, clock)
    resident_id = await make_member(uow_factory, clock, RESIDENT)
    await give(uow_factory, clock, resident_id, "appointment:1")
    await give(uow_factory, clock, resident_id, "appointment:2")  # 100 points: two sessions
    tcm = await reward_id(uow_factory, RESIDENT, TCM)
    shelf = await stock(uow_factory, tcm)

    results = await asyncio.gather(
        *(points.redeem(racing(), clock, RESIDENT, tcm, SHANGHAI) for _ in range(presses)),
        return_exceptions=True,
    )

    assert outcomes(results) == {"ok": 2, "points_not_enough": presses - 2}
    assert await balance(uow_factory, clock, RESIDENT) == 2 * CHECKUP_POINTS - 2 * TCM_COST
    assert await stock(uow_factory, tcm) == shelf - 2
    await assert_books_balance(uow_factory, resident_id)


async def test_the_last_items_go_to_exactly_as_many_residents(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    database_url: str,
    race_uow_factory: Callable[[int], UnitOfWorkFactory],
) -> None:
    """PostgreSQL: `crowd` residents redeem the last items at once on as many connections."""
    crowd = contenders(database_url, CROWD)
    racing = race_uow_factory(crowd)
    await setup_centre(uow_factory, clock, stock=SHELF)
    users = [FIRST_CROWD_USER + i for i in range(crowd)]
    ids = [await make_member(uow_factory, clock, user) for user in users]
    for resident_id in ids:
        await give(uow_factory, clock, resident_id, "appointment:1")
    tcm = await reward_id(uow_factory, users[0], TCM)

    results = await asyncio.gather(
        *(points.redeem(racing(), clock, user, tcm, SHANGHAI) for user in users),
        return_exceptions=True,
    )

    assert outcomes(results) == {"ok": SHELF, "reward_out_of_stock": crowd - SHELF}
    assert await stock(uow_factory, tcm) == 0
    balances = Counter([await balance(uow_factory, clock, user) for user in users])
    assert balances == {CHECKUP_POINTS - TCM_COST: SHELF, CHECKUP_POINTS: crowd - SHELF}


async def test_one_voucher_presented_to_many_doctors_at_once_redeems_once(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    race_uow_factory: Callable[[int], UnitOfWorkFactory],
) -> None:
    """PostgreSQL: DOCTORS redemptions and one cancellation at once, each on its connection."""
    racing = race_uow_factory(DOCTORS + 1)
    await setup_centre(uow_factory, clock)
    resident_id = await make_member(uow_factory, clock, RESIDENT)
    await give(uow_factory, clock, resident_id, "appointment:1")
    voucher = await points.redeem(
        uow_factory(), clock, RESIDENT, await reward_id(uow_factory, RESIDENT, TCM), SHANGHAI
    )
    async with uow_factory() as uow:
        await uow.begin_write()
        doctor = await uow.doctors.by_telegram_user(DOCTOR_USER)
        assert doctor is not None
        for i in range(DOCTORS):
            colleague = await uow.doctors.add(
                centre_id=doctor.centre_id,
                display_name=f"医生{i}",
                link_code=f"colleague{i}",
                now=clock.now(),
            )
            await uow.doctors.bind_telegram_user(colleague.id, FIRST_DOCTOR_USER + i)
        await uow.commit()

    results = await asyncio.gather(
        *(
            points.redeem_voucher(racing(), clock, FIRST_DOCTOR_USER + i, voucher.code)
            for i in range(DOCTORS)
        ),
        # The resident cancelling at the same moment can't get a refund for a used voucher.
        points.cancel_voucher(racing(), clock, RESIDENT, voucher.id),
        return_exceptions=True,
    )

    seen = outcomes(results)
    assert seen["ok"] == 1
    assert seen["voucher_already_redeemed"] + seen["voucher_cancelled"] == DOCTORS
    [final] = await points.my_vouchers(uow_factory(), RESIDENT)
    expected = CHECKUP_POINTS if final.status.value == "cancelled" else CHECKUP_POINTS - TCM_COST
    assert await balance(uow_factory, clock, RESIDENT) == expected
    await assert_books_balance(uow_factory, resident_id)


async def test_one_balance_pressed_across_processes(
    sqlite_file_url: str, clock: ManualClock
) -> None:
    """Two OS processes spend one balance in one SQLite file, each with its own write lock:
    only SQLite's BEGIN IMMEDIATE file lock stops them spending the same points twice.

    Mutation tried: `_on_begin` in storage/engine.py always issuing a plain BEGIN: writers
    fail with "database is locked" on upgrade (crash outcomes) instead of a clean answer (the
    single-process tests still pass: the process's write lock serialises them)."""
    database = open_database(sqlite_file_url)
    try:
        factory = database.uow_factory
        await setup_centre(factory, clock)
        resident_id = await make_member(factory, clock, RESIDENT)
        await give(factory, clock, resident_id, "appointment:1")
        await give(factory, clock, resident_id, "appointment:2")  # 100 points: two sessions
        tcm = await reward_id(factory, RESIDENT, TCM)
        shelf = await stock(factory, tcm)
        job = {"kind": "redeem", "user": RESIDENT, "reward_id": tcm, "presses": PROCESS_PRESSES}
        seen = await race_in_processes(sqlite_file_url, [job, job])
        assert seen == {"ok": 2, "points_not_enough": 2 * PROCESS_PRESSES - 2}
        assert await balance(factory, clock, RESIDENT) == 2 * CHECKUP_POINTS - 2 * TCM_COST
        assert await stock(factory, tcm) == shelf - 2
        await assert_books_balance(factory, resident_id)
    finally:
        await database.dispose()
