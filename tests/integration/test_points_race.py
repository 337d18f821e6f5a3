"""Many redemptions at the same moment, on SQLite (BEGIN IMMEDIATE) and PostgreSQL (the
account row lock and conditional UPDATEs): no negative balance, stock never below zero, and a
voucher redeemed once."""

from __future__ import annotations

import asyncio
from collections import Counter

from services import points
from services.clock import ManualClock
from services.database import UnitOfWorkFactory
from services.errors import DomainError
from services.points import VoucherRecord
from tests.integration.test_booking import DOCTOR_USER, SHANGHAI
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
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await setup_centre(uow_factory, clock)
    resident_id = await make_member(uow_factory, clock, RESIDENT)
    await give(uow_factory, clock, resident_id, "appointment:1")
    await give(uow_factory, clock, resident_id, "appointment:2")  # 100 points: two sessions
    tcm = await reward_id(uow_factory, RESIDENT, TCM)
    shelf = await stock(uow_factory, tcm)

    results = await asyncio.gather(
        *(points.redeem(uow_factory(), clock, RESIDENT, tcm, SHANGHAI) for _ in range(PRESSES)),
        return_exceptions=True,
    )

    assert outcomes(results) == {"ok": 2, "points_not_enough": PRESSES - 2}
    assert await balance(uow_factory, clock, RESIDENT) == 2 * CHECKUP_POINTS - 2 * TCM_COST
    assert await stock(uow_factory, tcm) == shelf - 2
    await assert_books_balance(uow_factory, resident_id)


async def test_the_last_items_go_to_exactly_as_many_residents(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await setup_centre(uow_factory, clock, stock=SHELF)
    users = [FIRST_CROWD_USER + i for i in range(CROWD)]
    ids = [await make_member(uow_factory, clock, user) for user in users]
    for resident_id in ids:
        await give(uow_factory, clock, resident_id, "appointment:1")
    tcm = await reward_id(uow_factory, users[0], TCM)

    results = await asyncio.gather(
        *(points.redeem(uow_factory(), clock, user, tcm, SHANGHAI) for user in users),
        return_exceptions=True,
    )

    assert outcomes(results) == {"ok": SHELF, "reward_out_of_stock": CROWD - SHELF}
    assert await stock(uow_factory, tcm) == 0
    balances = Counter([await balance(uow_factory, clock, user) for user in users])
    assert balances == {CHECKUP_POINTS - TCM_COST: SHELF, CHECKUP_POINTS: CROWD - SHELF}


async def test_one_voucher_presented_to_many_doctors_at_once_redeems_once(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
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
            points.redeem_voucher(uow_factory(), clock, FIRST_DOCTOR_USER + i, voucher.code)
            for i in range(DOCTORS)
        ),
        # The resident cancelling at the same moment can't get a refund for a used voucher.
        points.cancel_voucher(uow_factory(), clock, RESIDENT, voucher.id),
        return_exceptions=True,
    )

    seen = outcomes(results)
    assert seen["ok"] == 1
    assert seen["voucher_already_redeemed"] + seen["voucher_cancelled"] == DOCTORS
    [final] = await points.my_vouchers(uow_factory(), RESIDENT)
    expected = CHECKUP_POINTS if final.status.value == "cancelled" else CHECKUP_POINTS - TCM_COST
    assert await balance(uow_factory, clock, RESIDENT) == expected
    await assert_books_balance(uow_factory, resident_id)
