"""What erasure, removing a family member and a take-over must reach beyond the person's own
rows (real databases, SQLite and PostgreSQL): doctors' care digests, seats and reminders of a
member's bookings, care history, and vouchers holding a reward's stock."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.services import booking, careplans, family, points, privacy
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.errors import DomainError
from jiayi.services.family import NewMember, Relation
from jiayi.services.residents import Condition, Sex
from jiayi.storage import models as m
from jiayi.storage.records import DoctorRecord
from tests.factories import make_resident
from tests.integration import test_points as pts
from tests.integration.careplans_support import at_local, bound_doctor, contracted
from tests.integration.test_privacy import (
    CHILD_BORN,
    CHILD_NAME,
    GRANDMA_BORN,
    GRANDMA_NAME,
    GRANDMA_USER,
    ME,
    NEIGHBOUR,
    SHANGHAI,
    a_family,
    book_for,
)
from tests.privacy_scan import PersonalData, personal_data_left

DOCTOR_USER = 5901
LEAVING = 4102
LEAVING_NAME = "赵一"
STAYING = 4104
STAYING_NAME = "钱二"
PARENT_NAME = "赵老太"
WEDNESDAY = date(2027, 4, 7)


async def pending(uow_factory: UnitOfWorkFactory, kind: str) -> list[tuple[str, dict]]:
    """(dedupe key, payload) of the pushes of `kind` still to go out."""
    o = m.OutboxMessage
    async with uow_factory() as uow:
        rows = await uow.session.execute(
            select(o.dedupe_key, o.payload)
            .where(o.kind == kind, o.status == "pending")
            .order_by(o.id)
        )
        # A household card (several care items in one push) counts as its items still to go.
        return [
            (item.get("key", key), item)
            for key, payload in rows
            for item in json.loads(payload).get("items", [json.loads(payload)])
            if not item.get("withdrawn")
        ]


async def hypertensive(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, user: int, name: str, doctor: DoctorRecord
) -> None:
    await make_resident(
        uow_factory, clock, user, name=name, birth_year=1970, conditions=(Condition.HYPERTENSION,)
    )
    await contracted(uow_factory, clock, user, doctor)


async def daily_digests(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> DoctorRecord:
    clock.set(at_local(WEDNESDAY))
    doctor = await bound_doctor(uow_factory, clock, DOCTOR_USER, "王医生")
    await careplans.set_digest_frequency(
        uow_factory(), clock, DOCTOR_USER, careplans.DigestFrequency.DAILY, "en"
    )
    return doctor


async def test_erasure_takes_the_resident_and_their_family_out_of_the_doctors_digest(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    doctor = await daily_digests(uow_factory, clock)
    await hypertensive(uow_factory, clock, LEAVING, LEAVING_NAME, doctor)
    await family.add_member(
        uow_factory(),
        clock,
        LEAVING,
        NewMember(
            Relation.PARENT,
            PARENT_NAME,
            date(1945, 5, 1),
            Sex.FEMALE,
            frozenset({Condition.DIABETES}),
        ),
    )
    await hypertensive(uow_factory, clock, STAYING, STAYING_NAME, doctor)
    clock.set(at_local(WEDNESDAY + timedelta(days=2)))
    assert await careplans.plan_digests(uow_factory, clock, SHANGHAI) == 1
    [(_, before)] = await pending(uow_factory, careplans.KIND_CARE_DIGEST)
    listed = {r["name"]: {i["person"] for i in r["items"]} for r in before["residents"]}
    assert listed[LEAVING_NAME] == {LEAVING_NAME, PARENT_NAME}

    await privacy.erase_my_data(uow_factory(), clock, LEAVING)

    # The doctor's digest still comes, about the resident who stays only.
    [(_, after)] = await pending(uow_factory, careplans.KIND_CARE_DIGEST)
    assert [r["name"] for r in after["residents"]] == [STAYING_NAME]
    left = await personal_data_left(
        uow_factory, PersonalData(telegram_ids=(LEAVING,), names=(LEAVING_NAME, PARENT_NAME))
    )
    assert left == []


async def test_a_removed_member_leaves_the_doctors_digest(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    doctor = await daily_digests(uow_factory, clock)
    await hypertensive(uow_factory, clock, LEAVING, LEAVING_NAME, doctor)
    parent = await family.add_member(
        uow_factory(),
        clock,
        LEAVING,
        NewMember(
            Relation.PARENT,
            PARENT_NAME,
            date(1945, 5, 1),
            Sex.FEMALE,
            frozenset({Condition.DIABETES}),
        ),
    )
    clock.set(at_local(WEDNESDAY + timedelta(days=2)))
    assert await careplans.plan_digests(uow_factory, clock, SHANGHAI) == 1

    await family.remove_member(uow_factory(), clock, LEAVING, parent.id)

    [(_, after)] = await pending(uow_factory, careplans.KIND_CARE_DIGEST)
    [entry] = after["residents"]
    assert {i["person"] for i in entry["items"]} == {LEAVING_NAME}
    left = await personal_data_left(
        uow_factory, PersonalData(telegram_ids=(), names=(PARENT_NAME,))
    )
    assert left == []


async def test_a_digest_about_the_erased_resident_only_is_not_sent(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    doctor = await daily_digests(uow_factory, clock)
    await hypertensive(uow_factory, clock, LEAVING, LEAVING_NAME, doctor)
    clock.set(at_local(WEDNESDAY + timedelta(days=2)))
    assert await careplans.plan_digests(uow_factory, clock, SHANGHAI) == 1

    await privacy.erase_my_data(uow_factory(), clock, LEAVING)

    assert await pending(uow_factory, careplans.KIND_CARE_DIGEST) == []


async def test_a_parent_taking_over_keeps_their_care_history(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await a_family(uow_factory, clock)
    _child, grandma = await family.list_members(uow_factory(), ME)
    doctor = await bound_doctor(uow_factory, clock, DOCTOR_USER, "王医生")
    await contracted(uow_factory, clock, ME, doctor)
    manager = await privacy.privacy_overview(uow_factory(), ME)
    refill_due = await careplans.record_prescription(
        uow_factory(), clock, DOCTOR_USER, manager.resident.id, grandma.id, 8, SHANGHAI
    )
    first = next(
        e
        for e in await careplans.plan(uow_factory(), clock, ME, SHANGHAI)
        if e.member_id == grandma.id and e.due <= clock.now().date()
    )
    await careplans.plan_reminders(uow_factory, clock, SHANGHAI)
    assert any(
        key.startswith(f"care:m:{grandma.id}:")
        for key, _ in await pending(uow_factory, careplans.KIND_CARE_REMINDER)
    )
    await careplans.done_elsewhere(
        uow_factory(), clock, ME, SHANGHAI, first.rule_id, grandma.id, first.due
    )
    hers_before = [
        (e.rule_id, e.due)
        for e in await careplans.plan(uow_factory(), clock, ME, SHANGHAI)
        if e.member_id == grandma.id
    ]

    token = await privacy.create_takeover(uow_factory(), clock, ME, grandma.id)
    await privacy.accept_takeover(
        uow_factory(),
        clock,
        token=token,
        telegram_user_id=GRANDMA_USER,
        locale="zh-CN",
        notice_version=CONSENT_NOTICE_VERSION,
    )

    # Her own plan: what she did is done, her prescription's refill is due when it was.
    hers = [
        (e.rule_id, e.due)
        for e in await careplans.plan(uow_factory(), clock, GRANDMA_USER, SHANGHAI)
    ]
    assert hers == hers_before
    assert (first.rule_id, first.due) not in hers
    assert any(due == refill_due for _, due in hers)
    # The manager gets no more reminders about her.
    assert not [
        key
        for key, _ in await pending(uow_factory, careplans.KIND_CARE_REMINDER)
        if key.startswith(f"care:m:{grandma.id}:")
    ]


async def test_removing_a_member_frees_their_seat_and_stops_reminders_about_them(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await a_family(uow_factory, clock)
    neighbour = await make_resident(uow_factory, clock, NEIGHBOUR, name="邻居")
    child, grandma = await family.list_members(uow_factory(), ME)
    theirs = await book_for(uow_factory, clock, child.id)
    mine = await book_for(uow_factory, clock, None, hours=50)
    # The child's seat was the only one; the neighbour waits for it.
    await booking.join_waitlist(uow_factory(), clock, NEIGHBOUR, theirs.slot_id, None)
    await careplans.plan_reminders(uow_factory, clock, SHANGHAI)
    assert any(p["person"] == GRANDMA_NAME for _, p in await pending(uow_factory, "care_reminder"))

    removed_grandma = await family.remove_member(uow_factory(), clock, ME, grandma.id)
    removed_child = await family.remove_member(uow_factory(), clock, ME, child.id)

    assert removed_grandma == family.RemovedMember(GRANDMA_NAME, bookings_cancelled=0)
    assert removed_child == family.RemovedMember(CHILD_NAME, bookings_cancelled=1)
    # The seat is offered to the neighbour; the manager's own booking and its reminders stay.
    async with uow_factory() as uow:
        offers = await uow.session.scalars(
            select(m.OutboxMessage.resident_id).where(m.OutboxMessage.kind == "waitlist_offer")
        )
        assert list(offers) == [neighbour.id]
    [kept] = await booking.my_appointments(uow_factory(), clock, ME)
    assert kept.id == mine.id
    assert {key for key, _ in await pending(uow_factory, "reminder")} == {
        f"appt:{mine.id}:24h",
        f"appt:{mine.id}:2h",
    }
    # Nothing about either of them is left to be sent, or anywhere else.
    left = await personal_data_left(
        uow_factory,
        PersonalData(
            telegram_ids=(),
            names=(CHILD_NAME, GRANDMA_NAME),
            birth_dates=(CHILD_BORN, GRANDMA_BORN),
        ),
    )
    assert left == []


async def test_erasure_puts_an_unused_vouchers_item_back_on_the_shelf(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await pts.setup_centre(uow_factory, clock, stock=1)
    leaving = await pts.make_member(uow_factory, clock, pts.RESIDENT)
    staying = await pts.make_member(uow_factory, clock, pts.NEIGHBOUR)
    await pts.give(uow_factory, clock, leaving, "appointment:1")
    await pts.give(uow_factory, clock, staying, "appointment:2")
    tcm = await pts.reward_id(uow_factory, pts.RESIDENT, pts.TCM)
    await points.redeem(uow_factory(), clock, pts.RESIDENT, tcm, pts.SHANGHAI)
    with pytest.raises(DomainError) as sold_out:
        await points.redeem(uow_factory(), clock, pts.NEIGHBOUR, tcm, pts.SHANGHAI)
    assert sold_out.value.code == "reward_out_of_stock"

    await privacy.erase_my_data(uow_factory(), clock, pts.RESIDENT)

    assert await pts.stock(uow_factory, tcm) == 1
    voucher = await points.redeem(uow_factory(), clock, pts.NEIGHBOUR, tcm, pts.SHANGHAI)
    assert voucher.resident_id == staying
