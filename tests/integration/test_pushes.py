"""Planning pushes: who gets which variant, exactly once, with catch-up — on both databases."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from jiayi.content.tips import Library
from jiayi.services import family, pushes
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.family import NewMember, Relation
from jiayi.services.pushes import PushSchedule, Topic
from jiayi.services.residents import Condition, Sex
from jiayi.storage import models as m
from tests.factories import make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCHEDULE = PushSchedule(zone=SHANGHAI, push_hour=9, grace_days=3)
LIDONG_2026 = date(2026, 11, 7)


def at_local(day: date, hour: int = 6) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI).astimezone(UTC)


async def outbox_rows(uow_factory: UnitOfWorkFactory) -> list[SimpleNamespace]:
    """The outbox as plain rows (attribute access), read straight from the table."""
    table = m.OutboxMessage.__table__
    async with uow_factory() as uow:
        result = await uow.session.execute(select(table).order_by(table.c.id))
        return [SimpleNamespace(**row) for row in result.mappings()]


async def variants_by_resident(uow_factory: UnitOfWorkFactory) -> dict[int, str]:
    return {
        row.resident_id: json.loads(row.payload)["audience"]
        for row in await outbox_rows(uow_factory)
    }


async def test_most_specific_variant_wins(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, test_library: Library
) -> None:
    clock.set(at_local(LIDONG_2026))
    elder_hyp = await make_resident(
        uow_factory, clock, 1, birth_year=1956, conditions=(Condition.HYPERTENSION,)
    )
    elder = await make_resident(uow_factory, clock, 2, birth_year=1950)
    young = await make_resident(uow_factory, clock, 3, birth_year=1990)
    created = await pushes.plan_day(uow_factory(), test_library, SCHEDULE, clock, LIDONG_2026)
    assert created == 3
    assert await variants_by_resident(uow_factory) == {
        elder_hyp.id: "hypertension",
        elder.id: "age_65",
        young.id: "everyone",
    }
    rows = await outbox_rows(uow_factory)
    # Planned for the morning push hour, local time.
    assert {r.not_before for r in rows} == {datetime(2026, 11, 7, 1, 0, tzinfo=UTC)}
    assert {r.dedupe_key for r in rows} == {f"tip:lidong:2026-11-07:{i}" for i in (1, 2, 3)}


async def test_planning_is_idempotent_even_when_concurrent(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, test_library: Library
) -> None:
    clock.set(at_local(LIDONG_2026))
    for i in range(5):
        await make_resident(uow_factory, clock, 100 + i)
    results = await asyncio.gather(
        *(
            pushes.plan_day(uow_factory(), test_library, SCHEDULE, clock, LIDONG_2026)
            for _ in range(3)
        )
    )
    assert sum(results) == 5
    assert await pushes.plan_day(uow_factory(), test_library, SCHEDULE, clock, LIDONG_2026) == 0
    assert len(await outbox_rows(uow_factory)) == 5


async def test_who_is_left_out(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, test_library: Library
) -> None:
    clock.set(at_local(LIDONG_2026))
    await make_resident(uow_factory, clock, 1, onboarded=False)
    await make_resident(uow_factory, clock, 2)
    await pushes.set_paused(uow_factory(), clock, 2, paused=True)
    await make_resident(uow_factory, clock, 3)
    await pushes.toggle_topic(uow_factory(), 3, Topic.SEASONAL)
    unreachable = await make_resident(uow_factory, clock, 4)
    async with uow_factory() as uow:
        await uow.begin_write()  # reads, then writes
        await uow.residents.update(unreachable.id, clock.now(), reachable=False)
        await uow.commit()
    included = await make_resident(uow_factory, clock, 5)
    await pushes.plan_day(uow_factory(), test_library, SCHEDULE, clock, LIDONG_2026)
    assert set(await variants_by_resident(uow_factory)) == {included.id}


async def test_condition_only_tip_and_offset_trigger(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, test_library: Library
) -> None:
    diabetic = await make_resident(uow_factory, clock, 1, conditions=(Condition.DIABETES,))
    await make_resident(uow_factory, clock, 2)
    parent = await make_resident(uow_factory, clock, 3, birth_year=1990)
    await family.add_member(
        uow_factory(), clock, 3, NewMember(Relation.CHILD, "宝宝", date(2023, 5, 1), Sex.MALE)
    )
    await pushes.plan_day(uow_factory(), test_library, SCHEDULE, clock, date(2026, 11, 14))
    assert await variants_by_resident(uow_factory) == {diabetic.id: "diabetes"}
    # 小雪 2026 is 22 November; the fixture tip fires three days before, for toddlers' parents.
    await pushes.plan_day(uow_factory(), test_library, SCHEDULE, clock, date(2026, 11, 19))
    rows = [r for r in await outbox_rows(uow_factory) if r.tip_id == "before_xiaoxue"]
    assert [(r.resident_id, r.dedupe_key) for r in rows] == [
        (parent.id, f"tip:before_xiaoxue:2026-11-22:{parent.id}")
    ]


async def test_missed_days_are_caught_up_within_the_grace_window_only(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, test_library: Library
) -> None:
    await make_resident(uow_factory, clock, 1, conditions=(Condition.DIABETES,))
    # Down since before 立冬 (7 Nov) and 糖尿病日 (14 Nov); back on 16 Nov at 10:00.
    clock.set(at_local(date(2026, 11, 16), 10))
    report = await pushes.plan_due(uow_factory, test_library, SCHEDULE, clock)
    assert report.planned_days == [date(2026, 11, 13) + timedelta(days=i) for i in range(4)]
    tips = {r.tip_id for r in await outbox_rows(uow_factory) if r.tip_id}
    assert "world_diabetes_day" in tips  # two days late, within grace: still sent
    assert "lidong" not in tips  # nine days late: skipped


async def test_catch_up_tops_up_late_joiners_once_a_week_without_repeats(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, test_library: Library
) -> None:
    """Issue #21: catch-up is spread, at most one a week, never a tip a day."""
    first_day = date(2026, 11, 23)
    clock.set(at_local(first_day, 10))
    late = await make_resident(uow_factory, clock, 1)
    first = await pushes.plan_catch_up(uow_factory(), test_library, SCHEDULE, clock, first_day)
    again = await pushes.plan_catch_up(uow_factory(), test_library, SCHEDULE, clock, first_day)
    assert (first, again) == (1, 0)
    planned = {}
    for offset in range(1, 15):
        day = first_day + timedelta(days=offset)
        clock.set(at_local(day, 10))
        planned[day] = await pushes.plan_catch_up(
            uow_factory(), test_library, SCHEDULE, clock, day
        )
    # The next ones a week apart, not one a day.
    assert [day for day, n in planned.items() if n] == [
        first_day + timedelta(days=7),
        first_day + timedelta(days=14),
    ]
    rows = [r for r in await outbox_rows(uow_factory) if r.resident_id == late.id]
    assert len({r.tip_id for r in rows}) == len(rows) == 3  # never the same tip twice


async def test_catch_up_never_doubles_up_even_when_the_year_is_running_out(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, test_library: Library
) -> None:
    day = date(2026, 12, 28)
    clock.set(at_local(day, 10))
    await make_resident(uow_factory, clock, 1)
    created = await pushes.plan_catch_up(uow_factory(), test_library, SCHEDULE, clock, day)
    assert created == 1  # 4 days left, 12 to go: still one, not a flood
    rows = await outbox_rows(uow_factory)
    assert [r.not_before for r in rows] == [datetime(2026, 12, 28, 1, tzinfo=UTC)]


async def test_residents_on_track_get_no_catch_up(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, test_library: Library
) -> None:
    day = date(2026, 1, 10)  # 10th day of the year: target so far is 1
    clock.set(at_local(day, 10))
    await make_resident(uow_factory, clock, 1)
    assert await pushes.plan_catch_up(uow_factory(), test_library, SCHEDULE, clock, day) == 1
    clock.advance(timedelta(days=1))
    assert (
        await pushes.plan_catch_up(
            uow_factory(), test_library, SCHEDULE, clock, day + timedelta(days=1)
        )
        == 0
    )


def test_yearly_target() -> None:
    assert pushes.yearly_target_by(date(2026, 1, 1)) == 1
    assert pushes.yearly_target_by(date(2026, 6, 30)) == 6
    assert pushes.yearly_target_by(date(2026, 12, 31)) == 12


async def test_feedback_only_on_own_tips(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, test_library: Library
) -> None:
    clock.set(at_local(LIDONG_2026))
    await make_resident(uow_factory, clock, 1)
    await make_resident(uow_factory, clock, 2)
    await pushes.plan_day(uow_factory(), test_library, SCHEDULE, clock, LIDONG_2026)
    rows = {r.resident_id: r.id for r in await outbox_rows(uow_factory)}
    mine = min(rows.values())
    await pushes.record_feedback(uow_factory(), clock, 1, mine, helpful=True)
    await pushes.record_feedback(uow_factory(), clock, 1, mine, helpful=False)
    from jiayi.services.errors import NotAllowed

    with pytest.raises(NotAllowed):
        await pushes.record_feedback(uow_factory(), clock, 2, mine, helpful=True)
    async with uow_factory() as uow:
        assert await uow.pushes.feedback_counts("lidong") == (0, 1)


async def test_tips_overview_shows_next_push(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, test_library: Library
) -> None:
    clock.set(at_local(date(2026, 11, 1)))
    await make_resident(uow_factory, clock, 1, conditions=(Condition.HYPERTENSION,))
    # Joined late: today's catch-up tip went out; the next catch-up is a week away, so the
    # calendar's 立冬 comes first.
    await pushes.plan_catch_up(uow_factory(), test_library, SCHEDULE, clock, date(2026, 11, 1))
    await _mark_sent(uow_factory)
    overview = await pushes.tips_overview(uow_factory(), test_library, SCHEDULE, clock, 1)
    assert overview.next_tip_id == "lidong"
    assert overview.next_at == datetime(2026, 11, 7, 1, tzinfo=UTC)
    assert pushes.occasion_name(test_library, "lidong", "zh-CN") == "立冬"
    await pushes.set_paused(uow_factory(), clock, 1, paused=True)
    paused = await pushes.tips_overview(uow_factory(), test_library, SCHEDULE, clock, 1)
    assert paused.preferences.paused
    assert paused.next_at is None


async def _mark_sent(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        await uow.session.execute(
            update(m.OutboxMessage)
            .where(m.OutboxMessage.status == "pending")
            .values(status="sent", sent_at=m.OutboxMessage.not_before)
        )
        await uow.commit()


async def test_tips_tells_the_day_the_next_tip_really_goes_out(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, test_library: Library
) -> None:
    """Issue #21: /tips announced a calendar date while catch-up tips went out before it."""
    day = date(2026, 11, 23)
    clock.set(at_local(day, 10))
    await make_resident(uow_factory, clock, 1, birth_year=1990)
    await pushes.plan_due(uow_factory, test_library, SCHEDULE, clock)
    await _mark_sent(uow_factory)
    for _ in range(2):  # two announcements in a row, each checked against the real plan
        overview = await pushes.tips_overview(uow_factory(), test_library, SCHEDULE, clock, 1)
        assert overview.next_at is not None
        before = len(await outbox_rows(uow_factory))
        while len(await outbox_rows(uow_factory)) == before:
            day += timedelta(days=1)
            assert day < date(2027, 1, 1), (
                overview,
                [(r.tip_id, r.not_before) for r in await outbox_rows(uow_factory)],
            )
            clock.set(at_local(day, 6))  # the planner's early-morning run
            await pushes.plan_due(uow_factory, test_library, SCHEDULE, clock)
        [first, *_] = sorted(r.not_before for r in (await outbox_rows(uow_factory))[before:])
        assert first.replace(tzinfo=UTC) == overview.next_at
        await _mark_sent(uow_factory)
