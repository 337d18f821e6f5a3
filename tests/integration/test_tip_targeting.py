"""Who receives which part of a tip, planned on a real database (SQLite and PostgreSQL), with
the shipped library: household content reaches the carer in the same message as their own,
80+ residents get their own voice, and pregnancy is a stage that ends."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from jiayi.content.render import Renderer
from jiayi.content.tips import Audience, Library, load_library
from jiayi.services import family, pregnancy, pushes
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.errors import InvalidInput, NotAllowed
from jiayi.services.family import NewMember, Relation
from jiayi.services.pushes import PushSchedule, TipParts, render_tip
from jiayi.services.residents import Condition, Sex
from jiayi.storage import models as m
from tests.factories import make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCHEDULE = PushSchedule(zone=SHANGHAI)
FLU_SEASON_2027 = date(2027, 10, 15)  # influenza_season starts
FALLS_SLOT_2027 = date(2027, 1, 26)  # evergreen_falls, planned for 65+, 80+ and their carers
SMOKING_SLOT_2027 = date(2027, 2, 24)  # evergreen_smoking, pregnancy and postpartum variants
HYPERTENSION_DAY_2027 = date(2027, 10, 7)  # the day before 全国高血压日


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library(Renderer().env)


def at_local(day: date, hour: int = 6) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI).astimezone(UTC)


async def planned(uow_factory: UnitOfWorkFactory, tip_id: str) -> dict[int, dict[str, str]]:
    """resident id -> payload of their row for `tip_id`."""
    o = m.OutboxMessage
    async with uow_factory() as uow:
        rows = await uow.session.execute(
            select(o.resident_id, o.payload).where(o.tip_id == tip_id)
        )
        return {resident_id: json.loads(payload) for resident_id, payload in rows}


async def test_parent_with_hypertension_gets_the_child_section_in_the_same_message(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, library: Library
) -> None:
    """Mutation tried: not calling `attach_household` in `_plan_firing` -> the parent's row
    has no household part (the child advice never reaches them), test fails."""
    clock.set(at_local(FLU_SEASON_2027))
    parent = await make_resident(
        uow_factory, clock, 1, birth_year=1988, conditions=(Condition.HYPERTENSION,)
    )
    await family.add_member(
        uow_factory(), clock, 1, NewMember(Relation.CHILD, "宝宝", date(2025, 3, 1), Sex.MALE)
    )
    no_child = await make_resident(
        uow_factory, clock, 2, birth_year=1988, conditions=(Condition.HYPERTENSION,)
    )
    healthy_parent = await make_resident(uow_factory, clock, 3, birth_year=1990)
    await family.add_member(
        uow_factory(), clock, 3, NewMember(Relation.CHILD, "妞妞", date(2024, 6, 1), Sex.FEMALE)
    )
    await pushes.plan_day(uow_factory(), library, SCHEDULE, clock, FLU_SEASON_2027)

    rows = await planned(uow_factory, "influenza_season")
    assert rows[parent.id]["audience"] == "hypertension"
    assert rows[parent.id]["household"] == "young_children"
    assert "household" not in rows[no_child.id]
    assert rows[healthy_parent.id]["audience"] == "everyone"
    assert rows[healthy_parent.id]["household"] == "young_children"
    assert len(rows) == 3  # one message each: the child part is a section, not a second push

    parts = TipParts.from_payload("influenza_season", json.dumps(rows[parent.id]))
    text, _ = render_tip(library, parts, "zh-CN", full=False, name="李", age=39, doctor=None)
    own = library.render("influenza_season", Audience.HYPERTENSION, "zh-CN", name="李")
    child = library.render("influenza_season", Audience.YOUNG_CHILDREN, "zh-CN", name="李")
    assert text == own + "\n\n" + child


async def test_carer_of_an_80_year_old_gets_carer_content_and_the_80_year_old_their_own(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, library: Library
) -> None:
    """Mutation tried: AUDIENCE_FILTERS[CARER_80] = AudienceFilter(min_age=80) (the old
    behaviour: carer text to the 80+ resident) -> the carer gets nothing, test fails."""
    clock.set(at_local(FALLS_SLOT_2027))
    carer = await make_resident(uow_factory, clock, 11, birth_year=1970)
    await family.add_member(
        uow_factory(), clock, 11, NewMember(Relation.PARENT, "妈妈", date(1942, 5, 1), Sex.FEMALE)
    )
    older_carer = await make_resident(uow_factory, clock, 12, birth_year=1958)
    await family.add_member(
        uow_factory(), clock, 12, NewMember(Relation.SPOUSE, "老伴", date(1944, 2, 1), Sex.MALE)
    )
    eighty = await make_resident(uow_factory, clock, 13, birth_year=1943)
    young = await make_resident(uow_factory, clock, 14, birth_year=1990)
    await pushes.plan_day(uow_factory(), library, SCHEDULE, clock, FALLS_SLOT_2027)

    rows = await planned(uow_factory, "evergreen_falls")
    assert rows[carer.id] == {
        "tip": "evergreen_falls",
        "audience": "carer_80",
        "occurrence": "2027-01-26",
    }
    assert (rows[older_carer.id]["audience"], rows[older_carer.id]["household"]) == (
        "age_65",
        "carer_80",
    )
    assert rows[eighty.id]["audience"] == "age_80"
    assert "household" not in rows[eighty.id]
    assert young.id not in rows  # the slot is for older residents and their carers only
    own_voice = library.render("evergreen_falls", Audience.AGE_80, "zh-CN", name="王")
    assert "家人" not in own_voice.splitlines()[0]  # written to the 80+ resident, not about them


async def test_pregnancy_stage_follows_the_due_date_and_ends(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, library: Library
) -> None:
    """Mutation tried: dropping `r.pregnancy_due >= on_day - 365 days` from the postpartum
    filter -> the resident whose baby was due 13 months ago still gets postpartum, fails."""
    clock.set(at_local(date(2026, 12, 1)))
    expecting = await make_resident(
        uow_factory, clock, 21, birth_year=1995, conditions=(Condition.PREGNANT,)
    )
    await pregnancy.set_due_date(uow_factory(), clock, SHANGHAI, 21, "2027-06-01")
    new_mother = await make_resident(
        uow_factory, clock, 22, birth_year=1994, conditions=(Condition.PREGNANT,)
    )
    await pregnancy.set_due_date(uow_factory(), clock, SHANGHAI, 22, "2026年6月1日")
    long_ago = await make_resident(uow_factory, clock, 23, birth_year=1993)
    await pregnancy.set_due_date(uow_factory(), clock, SHANGHAI, 23, "2026/1/10")
    flag_only = await make_resident(
        uow_factory, clock, 24, birth_year=1996, conditions=(Condition.PREGNANT,)
    )
    clock.set(at_local(SMOKING_SLOT_2027))
    await pushes.plan_day(uow_factory(), library, SCHEDULE, clock, SMOKING_SLOT_2027)

    rows = await planned(uow_factory, "evergreen_smoking")
    assert rows[expecting.id]["audience"] == "pregnancy"
    assert rows[new_mother.id]["audience"] == "postpartum"
    assert rows[long_ago.id]["audience"] == "everyone"  # the postpartum year is over
    assert rows[flag_only.id]["audience"] == "everyone"  # no date: no stage to derive


async def test_due_date_input_is_checked(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    clock.set(at_local(date(2026, 12, 1)))
    await make_resident(uow_factory, clock, 31, birth_year=1995)
    for bad, code in (
        ("next spring", "due_date_format"),
        ("2026-02-30", "due_date_format"),
        ("2028-03-01", "due_date_range"),
        ("2025-06-01", "due_date_range"),
    ):
        with pytest.raises(InvalidInput) as caught:
            await pregnancy.set_due_date(uow_factory(), clock, SHANGHAI, 31, bad)
        assert caught.value.code == code


async def test_a_centre_can_refuse_to_send_pending_content(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, library: Library
) -> None:
    """Mutation tried: `may_send` always True -> rows are planned, test fails."""
    clock.set(at_local(FLU_SEASON_2027))
    await make_resident(uow_factory, clock, 41)
    strict = PushSchedule(zone=SHANGHAI, send_pending=False)
    assert await pushes.plan_day(uow_factory(), library, strict, clock, FLU_SEASON_2027) == 0
    assert await pushes.plan_day(uow_factory(), library, SCHEDULE, clock, FLU_SEASON_2027) == 1


async def test_more_sends_the_rest_and_only_to_the_recipient(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, library: Library
) -> None:
    """Mutation tried: removing the owner check in `tip_more` -> resident 52 reads 51's tip."""
    clock.set(at_local(HYPERTENSION_DAY_2027))
    await make_resident(
        uow_factory, clock, 51, name="张", birth_year=1960, conditions=(Condition.HYPERTENSION,)
    )
    await make_resident(uow_factory, clock, 52)
    await pushes.plan_day(uow_factory(), library, SCHEDULE, clock, HYPERTENSION_DAY_2027)
    o = m.OutboxMessage
    async with uow_factory() as uow:
        outbox_id, payload = (
            await uow.session.execute(
                select(o.id, o.payload)
                .where(o.tip_id == "national_hypertension_day")
                .order_by(o.resident_id)
            )
        ).first()  # type: ignore[misc]
    parts = TipParts.from_payload("national_hypertension_day", payload)
    first, more = render_tip(library, parts, "zh-CN", full=False, name="张")
    assert more
    assert first == library.render(
        "national_hypertension_day", Audience.HYPERTENSION, "zh-CN", part="summary", name="张"
    )
    rest = await pushes.tip_more(uow_factory(), library, SCHEDULE, clock, 51, outbox_id)
    assert "家里量血压" in rest
    with pytest.raises(NotAllowed):
        await pushes.tip_more(uow_factory(), library, SCHEDULE, clock, 52, outbox_id)
