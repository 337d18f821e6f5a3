"""The console's services, schedules and content review on a real database (both dialects):
the same rules as the CLI and the YAML loader, and sign-offs the planner honours."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from jiayi.content.tips import Library
from jiayi.services import booking, content_review, pushes
from jiayi.services.clock import ManualClock
from jiayi.services.console import Actor
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.errors import DomainError
from jiayi.services.schedules import (
    close_day,
    close_slot,
    create_service,
    day_slots,
    parse_blocks,
    parse_service,
    replace_schedule,
)
from jiayi.services.tip_review import content_hash
from jiayi.storage import models as m
from tests.factories import make_centre, make_doctor, make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 10:00 local
OPERATOR = Actor(telegram_user_id=9001, doctor_id=None, doctor_name=None, is_admin=True)
PARENT = 2001
MORNING = {"weekdays": ["tue"], "start": "08:30", "end": "09:30", "slot_minutes": 30}
AFTERNOON = {"weekdays": ["tue"], "start": "14:00", "end": "15:00", "slot_minutes": 30}


async def _service(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> tuple[int, int]:
    clock.set(NOW)
    centre = await make_centre(uow_factory, clock)
    service = await create_service(
        uow_factory(),
        OPERATOR,
        centre.id,
        parse_service({"code": "bp", "kind": "checkup", "name": {"zh-CN": "血压", "en": "BP"}}),
    )
    await replace_schedule(
        uow_factory(),
        clock,
        OPERATOR,
        service.id,
        parse_blocks([{**MORNING, "capacity": 2}]),
        SHANGHAI,
    )
    return centre.id, service.id


def _local(slots: list[booking.SlotRecord]) -> list[str]:
    return sorted(s.starts_at.astimezone(SHANGHAI).strftime("%a %H:%M") for s in slots)


async def test_replacing_a_schedule_withdraws_unbooked_slots_and_keeps_booked_ones(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    _centre, service_id = await _service(uow_factory, clock)
    week = (NOW, NOW + timedelta(days=7))
    async with uow_factory() as uow:
        before = await uow.booking.open_slots(service_id, *week)
    assert _local(before) == ["Tue 08:30", "Tue 09:00"]
    await make_resident(uow_factory, clock, PARENT)
    booked = await booking.book(uow_factory(), clock, PARENT, before[0].id, None, SHANGHAI)

    change = await replace_schedule(
        uow_factory(),
        clock,
        OPERATOR,
        service_id,
        parse_blocks([{**AFTERNOON, "capacity": 3}]),
        SHANGHAI,
    )
    async with uow_factory() as uow:
        after = await uow.booking.open_slots(service_id, *week)
        appointment = await uow.booking.appointment(booked.id)
    # The booked 08:30 stays (nobody loses an appointment silently); 09:00 is withdrawn.
    assert _local(after) == ["Tue 08:30", "Tue 14:00", "Tue 14:30"]
    assert appointment is not None
    assert appointment.status is booking.AppointmentStatus.BOOKED
    assert change.withdrawn >= 1
    assert change.created >= 2


async def test_closing_from_the_console_cancels_with_the_clis_notice(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    centre_id, service_id = await _service(uow_factory, clock)
    await make_resident(uow_factory, clock, PARENT)
    async with uow_factory() as uow:
        slots = await uow.booking.open_slots(service_id, NOW, NOW + timedelta(days=7))
    booked = await booking.book(uow_factory(), clock, PARENT, slots[0].id, None, SHANGHAI)
    tuesday = date(2026, 11, 24)
    plan = await day_slots(uow_factory(), clock, OPERATOR, tuesday, SHANGHAI)
    assert [len(s.appointments) for s in plan.slots] == [1, 0]

    # A doctor may look but not close.
    doctor = await make_doctor(uow_factory, clock)
    as_doctor = Actor(4001, doctor.id, doctor.display_name, is_admin=False)
    with pytest.raises(DomainError) as refused:
        await close_day(uow_factory(), clock, as_doctor, centre_id, tuesday, SHANGHAI, "")
    assert refused.value.code == "operators_only"
    # A slot of another centre is not this centre's to close.
    with pytest.raises(DomainError) as elsewhere:
        await close_slot(uow_factory(), clock, OPERATOR, centre_id + 1, slots[0].id, "")
    assert elsewhere.value.code == "slot_not_found"

    cancelled = await close_day(
        uow_factory(), clock, OPERATOR, centre_id, tuesday, SHANGHAI, "停电 power cut"
    )
    assert [a.id for a in cancelled] == [booked.id]
    async with uow_factory() as uow:
        notice = await uow.session.scalar(
            select(m.OutboxMessage.payload).where(
                m.OutboxMessage.dedupe_key == f"appt:{booked.id}:closed"
            )
        )
    assert notice is not None
    assert json.loads(notice)["reason"] == "停电 power cut"
    plan = await day_slots(uow_factory(), clock, OPERATOR, tuesday, SHANGHAI)
    assert plan.closed_reason == "停电 power cut"
    assert all(s.slot.status.value == "closed" for s in plan.slots)


async def test_bad_schedule_and_service_are_refused_with_the_reason() -> None:
    with pytest.raises(DomainError) as bad:
        parse_blocks([{**MORNING, "end": "08:00", "capacity": 1}])
    assert bad.value.code == "schedule_invalid"
    assert "end must be after start" in str(bad.value.params["detail"])
    with pytest.raises(DomainError) as bad_service:
        parse_service({"code": "x", "kind": "checkup", "name": {"zh-CN": "血压"}})
    assert "name needs zh-CN and en" in str(bad_service.value.params["detail"])


async def test_console_sign_off_is_layered_on_the_file_and_the_planner_honours_it(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, test_library: Library
) -> None:
    clock.set(NOW)
    doctor = await make_doctor(uow_factory, clock)
    await make_resident(uow_factory, clock, PARENT)
    wang = Actor(4001, doctor.id, doctor.display_name, is_admin=False)
    pending = sorted(t.id for t in test_library.evergreen() if t.review.pending)
    assert pending, "the fixture library has pending evergreen tips"
    strict = pushes.PushSchedule(zone=SHANGHAI, send_pending=False)

    # Only reviewed tips may go: nothing pending is planned.
    await pushes.plan_catch_up(uow_factory(), test_library, strict, clock, NOW.date())
    async with uow_factory() as uow:
        planned = set(await uow.session.scalars(select(m.OutboxMessage.tip_id)))
    assert not planned & set(pending)

    tip = test_library.tips[pending[0]]
    section = tip.sources[0].section or tip.sources[0].cite
    await content_review.sign_off(uow_factory(), clock, test_library, wang, tip.id, [section])
    review = await content_review.tip_review(uow_factory(), test_library, SHANGHAI, tip.id)
    assert review.status is content_review.ReviewStatus.SIGNED_OFF_CONSOLE
    assert (review.signed_by, review.signed_on) == (doctor.display_name, date(2026, 11, 23))

    clock.advance(timedelta(days=1))
    await pushes.plan_catch_up(
        uow_factory(), test_library, strict, clock, clock.now().astimezone(SHANGHAI).date()
    )
    async with uow_factory() as uow:
        planned = set(await uow.session.scalars(select(m.OutboxMessage.tip_id)))
    assert tip.id in planned

    # An edited tip needs signing again.
    async with uow_factory() as uow:
        await uow.begin_write()
        await uow.session.execute(
            m.TipSignoff.__table__.update().values(content_hash="0" * 64)  # type: ignore[attr-defined]
        )
        await uow.commit()
    review = await content_review.tip_review(uow_factory(), test_library, SHANGHAI, tip.id)
    assert review.status is content_review.ReviewStatus.CHANGED_SINCE_SIGNOFF
    assert content_hash(tip) != "0" * 64


async def test_preview_renders_both_languages_for_each_audience() -> None:
    test_library = content_review.default_library()  # the shipped tips: some have carer parts
    tip = next(t for t in test_library if t.household_variants and t.own_variants)
    choices = content_review.audiences(tip)
    own, household = tip.own_variants[0].audience, tip.household_variants[0].audience
    assert (own, household) in choices
    previews = content_review.preview(test_library, tip.id, own, household)
    assert [p.locale for p in previews] == ["zh-CN", "en"]
    assert all(p.first for p in previews)
    with pytest.raises(DomainError):
        content_review.preview(test_library, tip.id, household, own)
