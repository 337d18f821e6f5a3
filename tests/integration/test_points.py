"""Health points on a real database: earning with caps and idempotency, FIFO spending,
expiry with a reminder, vouchers with refunds, and the doctor's redemption."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select

from jiayi.content.points import DEMO_CATALOGUE, Catalogue, RewardSpec, parse_catalogue
from jiayi.services import booking, points, residents
from jiayi.services.booking import ServiceKind
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.family import NewMember, Relation
from jiayi.services.points import EntryKind, Rule, VoucherStatus
from jiayi.services.residents import Sex
from jiayi.storage import models as m
from tests.factories import CENTRE_CODE, make_resident
from tests.integration.booking_support import (
    CHECKUP,
    CHILD_BORN,
    CHILD_NAME,
    DOCTOR_USER,
    OTHER_CENTRE_DOCTOR_USER,
    SHANGHAI,
    TOMORROW,
    local,
    make_doctor_user,
    make_service,
    make_slot,
    refused,
)

RESIDENT = 6001
NEIGHBOUR = 6002
STRANGER = 6003
CHECKUP_POINTS = 50
CHECKUP_CAP = 100
QUIZ_POINTS = 2
QUIZ_CAP = 10
LECTURE_POINTS = 15
TCM = "tcm_moxibustion"  # 40 points
TCM_COST = 40
LIPIDS = "blood_lipid_test"  # 80 points


async def make_member(uow_factory: UnitOfWorkFactory, clock: ManualClock, user: int) -> int:
    """A resident signed with the test doctor at the test centre; returns the resident id."""
    # Under 65: a check-up earns only the check-up points, not the annual assessment too.
    resident = await make_resident(uow_factory, clock, user, birth_year=1975)
    async with uow_factory() as uow:
        doctor = await uow.doctors.by_telegram_user(DOCTOR_USER)
    assert doctor is not None
    await residents.choose_doctor(uow_factory(), clock, user, doctor.id, SHANGHAI)
    return resident.id


async def setup_centre(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, *, stock: int | None = None
) -> None:
    await make_doctor_user(uow_factory, clock)
    spec = parse_catalogue(DEMO_CATALOGUE)
    rewards = spec.rewards
    if stock is not None:
        rewards = tuple(r.model_copy(update={"stock": stock}) for r in rewards)
    await points.load_catalogue(
        uow_factory(), spec.model_copy(update={"centre": CENTRE_CODE, "rewards": rewards})
    )


async def give(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    resident_id: int,
    source: str,
    rule: Rule = Rule.CHECKUP,
) -> int:
    async with uow_factory() as uow:
        await uow.begin_write()
        earned = await points.award(uow, clock.now(), SHANGHAI, resident_id, rule, source)
        await uow.commit()
    return earned


async def reward_id(uow_factory: UnitOfWorkFactory, user: int, code: str) -> int:
    rewards = await points.catalogue(uow_factory(), user)
    return next(r.id for r in rewards if r.code == code)


async def balance(uow_factory: UnitOfWorkFactory, clock: ManualClock, user: int) -> int:
    return (await points.my_points(uow_factory(), clock, user)).balance


async def assert_books_balance(uow_factory: UnitOfWorkFactory, resident_id: int) -> None:
    """The cached balance, the ledger's sum and the lots' remainders always agree."""
    async with uow_factory() as uow:
        cached = await uow.points.balance(resident_id)
        ledger = await uow.points.ledger_sum(resident_id)
        lots = await uow.session.scalar(
            select(func.coalesce(func.sum(m.PointsLot.remaining), 0)).where(
                m.PointsLot.resident_id == resident_id
            )
        )
    assert cached == ledger == lots


async def stock(uow_factory: UnitOfWorkFactory, rid: int) -> int:
    async with uow_factory() as uow:
        reward = await uow.points.reward(rid)
    assert reward is not None
    return reward.stock


async def book_checkup(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, user: int, member_id: int | None = None
) -> int:
    async with uow_factory() as uow:
        centre = await uow.centres.by_code(CENTRE_CODE)
        assert centre is not None
        service = await uow.booking.service_by_code(centre.id, CHECKUP)
    if service is None:
        service = await make_service(
            uow_factory, clock, CHECKUP, ServiceKind.CHECKUP, centre_id=centre.id
        )
    hour = 9 + len(await booking.my_appointments(uow_factory(), clock, user))
    slot = await make_slot(uow_factory, service, local(TOMORROW, hour))
    appointment = await booking.book(uow_factory(), clock, user, slot.id, member_id, SHANGHAI)
    return appointment.id


# --- earning ---------------------------------------------------------------------------------


async def test_attended_checkup_earns_once_and_a_correction_takes_it_back(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await setup_centre(uow_factory, clock)
    resident_id = await make_member(uow_factory, clock, RESIDENT)
    appointment = await book_checkup(uow_factory, clock, RESIDENT)

    await booking.mark_attendance(uow_factory(), clock, DOCTOR_USER, appointment, True)
    await booking.mark_attendance(uow_factory(), clock, DOCTOR_USER, appointment, True)
    assert await balance(uow_factory, clock, RESIDENT) == CHECKUP_POINTS

    await booking.mark_attendance(uow_factory(), clock, DOCTOR_USER, appointment, False)
    assert await balance(uow_factory, clock, RESIDENT) == 0
    await booking.mark_attendance(uow_factory(), clock, DOCTOR_USER, appointment, True)
    assert await balance(uow_factory, clock, RESIDENT) == CHECKUP_POINTS

    summary = await points.my_points(uow_factory(), clock, RESIDENT)
    assert [(e.kind, e.delta) for e in reversed(summary.history)] == [
        (EntryKind.EARN, CHECKUP_POINTS),
        (EntryKind.REVERSAL, -CHECKUP_POINTS),
        (EntryKind.EARN, CHECKUP_POINTS),
    ]
    assert {e.reason for e in summary.history} == {Rule.CHECKUP.value}
    assert {e.source for e in summary.history} == {f"appointment:{appointment}"}
    await assert_books_balance(uow_factory, resident_id)


async def test_a_childs_checkup_earns_for_the_parent(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    from jiayi.services import family

    await setup_centre(uow_factory, clock)
    await make_member(uow_factory, clock, RESIDENT)
    child = await family.add_member(
        uow_factory(),
        clock,
        RESIDENT,
        NewMember(Relation.CHILD, CHILD_NAME, CHILD_BORN, Sex.MALE),
    )
    appointment = await book_checkup(uow_factory, clock, RESIDENT, child.id)
    await booking.mark_attendance(uow_factory(), clock, DOCTOR_USER, appointment, True)
    assert await balance(uow_factory, clock, RESIDENT) == CHECKUP_POINTS


async def test_a_rule_stops_earning_at_its_cap_for_the_period(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await setup_centre(uow_factory, clock)
    resident_id = await make_member(uow_factory, clock, RESIDENT)

    earned = [await give(uow_factory, clock, resident_id, f"appointment:{i}") for i in range(3)]
    assert earned == [CHECKUP_POINTS, CHECKUP_POINTS, 0]

    quizzes = [
        await give(uow_factory, clock, resident_id, f"quiz:t{i}", Rule.TIP_QUIZ) for i in range(7)
    ]
    assert sum(quizzes) == QUIZ_CAP
    # A new month opens the monthly cap again; the yearly check-up cap stays full.
    clock.set(datetime(2026, 12, 2, 2, tzinfo=UTC))
    assert await give(uow_factory, clock, resident_id, "quiz:t99", Rule.TIP_QUIZ) == QUIZ_POINTS
    assert await give(uow_factory, clock, resident_id, "appointment:9") == 0
    clock.set(datetime(2027, 1, 5, 2, tzinfo=UTC))
    assert await give(uow_factory, clock, resident_id, "appointment:10") == CHECKUP_POINTS
    await assert_books_balance(uow_factory, resident_id)


async def test_one_event_reported_many_times_at_once_earns_once(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    import asyncio

    await setup_centre(uow_factory, clock)
    resident_id = await make_member(uow_factory, clock, RESIDENT)
    results = await asyncio.gather(
        *(give(uow_factory, clock, resident_id, "appointment:77") for _ in range(20))
    )
    assert sorted(results) == [0] * 19 + [CHECKUP_POINTS]
    assert await balance(uow_factory, clock, RESIDENT) == CHECKUP_POINTS
    await assert_books_balance(uow_factory, resident_id)


async def test_lecture_attendance_by_the_residents_own_doctor(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await setup_centre(uow_factory, clock)
    resident_id = await make_member(uow_factory, clock, RESIDENT)
    stranger = await make_resident(uow_factory, clock, STRANGER)
    await make_doctor_user(uow_factory, clock, OTHER_CENTRE_DOCTOR_USER, centre_code="riverside")

    check = await points.check_lecture(uow_factory(), DOCTOR_USER, resident_id)
    assert check.points == LECTURE_POINTS
    first = await points.mark_lecture(uow_factory(), clock, DOCTOR_USER, resident_id, SHANGHAI)
    again = await points.mark_lecture(uow_factory(), clock, DOCTOR_USER, resident_id, SHANGHAI)
    assert (first.points, first.already) == (LECTURE_POINTS, False)
    assert (again.points, again.already) == (0, True)
    await refused(
        "not_your_resident",
        points.mark_lecture(uow_factory(), clock, DOCTOR_USER, stranger.id, SHANGHAI),
    )
    await refused(
        "not_your_resident",
        points.mark_lecture(uow_factory(), clock, OTHER_CENTRE_DOCTOR_USER, resident_id, SHANGHAI),
    )
    await refused(
        "not_a_doctor", points.mark_lecture(uow_factory(), clock, RESIDENT, resident_id, SHANGHAI)
    )
    assert await balance(uow_factory, clock, RESIDENT) == LECTURE_POINTS


# --- spending, vouchers and refunds ----------------------------------------------------------


async def test_spending_takes_the_soonest_expiring_points_and_the_rest_expire_on_time(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await setup_centre(uow_factory, clock)
    resident_id = await make_member(uow_factory, clock, RESIDENT)
    await give(uow_factory, clock, resident_id, "appointment:1")  # 50, expire end of 2027
    clock.set(datetime(2027, 3, 1, 2, tzinfo=UTC))
    await give(uow_factory, clock, resident_id, "appointment:2")  # 50, expire end of 2028

    voucher = await points.redeem(
        uow_factory(), clock, RESIDENT, await reward_id(uow_factory, RESIDENT, TCM), SHANGHAI
    )
    assert voucher.cost == TCM_COST
    await points.cancel_voucher(uow_factory(), clock, RESIDENT, voucher.id)
    kept = await points.redeem(
        uow_factory(), clock, RESIDENT, await reward_id(uow_factory, RESIDENT, TCM), SHANGHAI
    )
    await points.redeem_voucher(uow_factory(), clock, DOCTOR_USER, kept.code)
    summary = await points.my_points(uow_factory(), clock, RESIDENT)
    assert summary.balance == 2 * CHECKUP_POINTS - TCM_COST

    # A month before the end of 2027: the 10 points left of the first lot are about to go.
    clock.set(datetime(2027, 12, 1, 2, tzinfo=UTC))
    report = await points.housekeeping(uow_factory, clock, SHANGHAI)
    assert report.reminders == 1
    assert (await points.housekeeping(uow_factory, clock, SHANGHAI)).reminders == 0
    async with uow_factory() as uow:
        reminder = await uow.session.scalar(
            select(m.OutboxMessage.payload).where(
                m.OutboxMessage.kind == points.KIND_EXPIRY_REMINDER
            )
        )
    assert reminder is not None
    assert json.loads(reminder)["points"] == CHECKUP_POINTS - TCM_COST
    expiring = (await points.my_points(uow_factory(), clock, RESIDENT)).expiring
    assert [n for _, n in expiring] == [CHECKUP_POINTS - TCM_COST]
    assert expiring[0][0].astimezone(SHANGHAI) == datetime(2028, 1, 1, tzinfo=SHANGHAI)

    clock.set(datetime(2027, 12, 31, 16, 0, 1, tzinfo=UTC))  # just past midnight in Shanghai
    report = await points.housekeeping(uow_factory, clock, SHANGHAI)
    assert report.points_expired == CHECKUP_POINTS - TCM_COST
    assert await balance(uow_factory, clock, RESIDENT) == CHECKUP_POINTS
    await assert_books_balance(uow_factory, resident_id)


async def test_not_enough_points_is_refused_and_nothing_moves(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await setup_centre(uow_factory, clock)
    resident_id = await make_member(uow_factory, clock, RESIDENT)
    await give(uow_factory, clock, resident_id, "appointment:1")
    lipids = await reward_id(uow_factory, RESIDENT, LIPIDS)
    before = await stock(uow_factory, lipids)
    error = await refused(
        "points_not_enough", points.redeem(uow_factory(), clock, RESIDENT, lipids, SHANGHAI)
    )
    assert error.params == {"cost": 80, "balance": CHECKUP_POINTS}
    assert await stock(uow_factory, lipids) == before
    assert await balance(uow_factory, clock, RESIDENT) == CHECKUP_POINTS


async def test_cancelling_or_expiry_refunds_points_and_stock(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await setup_centre(uow_factory, clock)
    resident_id = await make_member(uow_factory, clock, RESIDENT)
    await give(uow_factory, clock, resident_id, "appointment:1")
    await give(uow_factory, clock, resident_id, "appointment:2")
    tcm = await reward_id(uow_factory, RESIDENT, TCM)
    shelf = await stock(uow_factory, tcm)

    first = await points.redeem(uow_factory(), clock, RESIDENT, tcm, SHANGHAI)
    assert await stock(uow_factory, tcm) == shelf - 1
    assert len(first.code) == points.VOUCHER_CODE_LENGTH
    # Valid 30 days, to the end of the last local day.
    assert first.valid_until.astimezone(SHANGHAI) == datetime(2026, 12, 24, tzinfo=SHANGHAI)
    cancelled = await points.cancel_voucher(uow_factory(), clock, RESIDENT, first.id)
    assert cancelled.status is VoucherStatus.CANCELLED
    assert await stock(uow_factory, tcm) == shelf
    assert await balance(uow_factory, clock, RESIDENT) == 2 * CHECKUP_POINTS
    await refused(
        "voucher_cancelled", points.cancel_voucher(uow_factory(), clock, RESIDENT, first.id)
    )
    await make_resident(uow_factory, clock, STRANGER)
    second = await points.redeem(uow_factory(), clock, RESIDENT, tcm, SHANGHAI)
    await refused("not_allowed", points.cancel_voucher(uow_factory(), clock, STRANGER, second.id))

    clock.set(second.valid_until + timedelta(seconds=1))
    await refused(
        "voucher_expired", points.redeem_voucher(uow_factory(), clock, DOCTOR_USER, second.code)
    )
    report = await points.housekeeping(uow_factory, clock, SHANGHAI)
    assert report.vouchers_expired == 1
    assert (await points.housekeeping(uow_factory, clock, SHANGHAI)).vouchers_expired == 0
    assert await stock(uow_factory, tcm) == shelf
    assert await balance(uow_factory, clock, RESIDENT) == 2 * CHECKUP_POINTS
    [expired, gone] = await points.my_vouchers(uow_factory(), RESIDENT)
    assert (expired.status, gone.status) == (VoucherStatus.EXPIRED, VoucherStatus.CANCELLED)
    await assert_books_balance(uow_factory, resident_id)


async def test_a_voucher_redeems_once_at_its_own_centre(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await setup_centre(uow_factory, clock)
    resident_id = await make_member(uow_factory, clock, RESIDENT)
    await make_doctor_user(uow_factory, clock, OTHER_CENTRE_DOCTOR_USER, centre_code="riverside")
    await give(uow_factory, clock, resident_id, "appointment:1")
    tcm = await reward_id(uow_factory, RESIDENT, TCM)
    voucher = await points.redeem(uow_factory(), clock, RESIDENT, tcm, SHANGHAI)

    await refused(
        "voucher_other_centre",
        points.redeem_voucher(uow_factory(), clock, OTHER_CENTRE_DOCTOR_USER, voucher.code),
    )
    await refused(
        "not_a_doctor", points.redeem_voucher(uow_factory(), clock, RESIDENT, voucher.code)
    )
    await refused(
        "voucher_unknown", points.redeem_voucher(uow_factory(), clock, DOCTOR_USER, "AAAAAAAA")
    )
    spaced = f" {voucher.code[:4].lower()} {voucher.code[4:].lower()} "
    used = await points.redeem_voucher(uow_factory(), clock, DOCTOR_USER, spaced)
    assert used.status is VoucherStatus.REDEEMED
    again = await refused(
        "voucher_already_redeemed",
        points.redeem_voucher(uow_factory(), clock, DOCTOR_USER, voucher.code),
    )
    assert again.params["at"] == clock.now().astimezone(SHANGHAI)
    assert again.params["today"] == clock.now().astimezone(SHANGHAI).date()
    await refused(
        "voucher_already_redeemed",
        points.cancel_voucher(uow_factory(), clock, RESIDENT, voucher.id),
    )
    # A used voucher isn't refunded by the expiry sweep.
    clock.set(voucher.valid_until + timedelta(days=1))
    assert (await points.housekeeping(uow_factory, clock, SHANGHAI)).vouchers_expired == 0
    assert await balance(uow_factory, clock, RESIDENT) == CHECKUP_POINTS - TCM_COST


async def test_the_catalogue_is_the_residents_centres_and_reloads_update_it(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await setup_centre(uow_factory, clock)
    await make_member(uow_factory, clock, RESIDENT)
    await make_resident(uow_factory, clock, STRANGER)
    rewards = await points.catalogue(uow_factory(), RESIDENT)
    assert [r.code for r in rewards][:2] == [TCM, "tcm_cupping"]  # cheapest first
    assert len(rewards) == 6
    await refused("points_no_centre", points.catalogue(uow_factory(), STRANGER))

    spec = Catalogue(
        centre=CENTRE_CODE,
        rewards=(
            RewardSpec(
                code=TCM,
                name={"zh-CN": "艾灸", "en": "Moxibustion"},
                cost=35,
                stock=3,
                valid_days=7,
            ),
        ),
    )
    report = await points.load_catalogue(uow_factory(), spec)
    assert (report.created, report.updated) == ([], [TCM])
    tcm = await points.get_reward(
        uow_factory(), RESIDENT, await reward_id(uow_factory, RESIDENT, TCM)
    )
    assert (tcm.cost, tcm.stock, tcm.name_en) == (35, 3, "Moxibustion")


async def test_the_doctor_card_and_the_privacy_export_see_the_residents_points(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await setup_centre(uow_factory, clock)
    resident_id = await make_member(uow_factory, clock, RESIDENT)
    await give(uow_factory, clock, resident_id, "appointment:1")
    tcm = await reward_id(uow_factory, RESIDENT, TCM)
    cancelled = await points.redeem(uow_factory(), clock, RESIDENT, tcm, SHANGHAI)
    await points.cancel_voucher(uow_factory(), clock, RESIDENT, cancelled.id)
    active = await points.redeem(uow_factory(), clock, RESIDENT, tcm, SHANGHAI)

    card = await points.account_for_resident(uow_factory(), clock, resident_id)
    assert card.balance == CHECKUP_POINTS - TCM_COST
    assert [v.code for v in card.vouchers] == [active.code]

    export = await points.records_for_resident(uow_factory(), resident_id)
    assert [e.kind for e in export.entries] == [
        EntryKind.SPEND,
        EntryKind.REFUND,
        EntryKind.SPEND,
        EntryKind.EARN,
    ]
    assert {v.code for v in export.vouchers} == {active.code, cancelled.code}


async def test_a_completed_annual_assessment_earns_once(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await setup_centre(uow_factory, clock)
    resident_id = await make_member(uow_factory, clock, RESIDENT)
    earned = []
    for _ in range(2):
        async with uow_factory() as uow:
            await uow.begin_write()
            earned.append(
                await points.on_assessment_completed(uow, clock.now(), SHANGHAI, resident_id, 5)
            )
            await uow.commit()
    assert earned == [60, 0]


async def test_deleting_a_resident_takes_their_points_and_vouchers_with_them(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await setup_centre(uow_factory, clock)
    resident_id = await make_member(uow_factory, clock, RESIDENT)
    await give(uow_factory, clock, resident_id, "appointment:1")
    tcm = await reward_id(uow_factory, RESIDENT, TCM)
    await points.redeem(uow_factory(), clock, RESIDENT, tcm, SHANGHAI)
    async with uow_factory() as uow:
        await uow.begin_write()
        await uow.session.execute(delete(m.Resident).where(m.Resident.id == resident_id))
        await uow.commit()
    export = await points.records_for_resident(uow_factory(), resident_id)
    assert (export.entries, export.vouchers) == ([], [])
