"""A stale tap never rewrites a clinical fact (issue #21): ✗ on an old /today list for a
resident who has since been checked in asks first and says what it changes; confirming
applies it; 撤销 (Undo) restores the visit and the points within 5 minutes, not after."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services import booking, points
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from tests.e2e.conftest import RunningBot, make_chat
from tests.e2e.test_points import DOCTOR, RESIDENT, SHANGHAI, make_doctor_and_resident

TEXTS = {
    "en": {
        "list": "Appointments",
        "no_show": "✗ no-show",
        "asked": "Chen was checked in at 8:32 am.",
        "question": "Mark as no-show instead?",
        "stake": "This takes back 50 points.",
        "yes": "Yes, mark no-show",
        "keep": "No, keep it",
        "kept": "Kept as it was. Nothing changed.",
        "marked": "Marked no-show: Chen",
        "taken": "50 points taken back.",
        "window": "You can undo this for 5 minutes.",
        "undo": "↩ Undo",
        "undone": "Undone: Chen is marked attended again.",
        "given": "+50 health points for the resident.",
        "marked_attended": "Marked attended: Chen",
        "expired": "That can no longer be undone",
    },
    "zh-hans": {
        "list": "预约列表",
        "no_show": "✗ 爽约",
        "asked": "Chen 已于 上午8:32 签到。",
        "question": "改为爽约吗？",
        "stake": "这将收回 50 积分。",
        "yes": "确认，标记为爽约",
        "keep": "不，保持不变",
        "kept": "已保持原样，没有任何改动。",
        "marked": "已标记爽约：Chen",
        "taken": "已收回 50 积分。",
        "window": "5 分钟内可以撤销。",
        "undo": "↩ 撤销",
        "undone": "已撤销：Chen 恢复为已到诊。",
        "given": "居民获得 50 健康积分。",
        "marked_attended": "已标记到诊：Chen",
        "expired": "无法撤销",
    },
}


async def _book_checkup(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> booking.AppointmentRecord:
    """Books Chen a check-up and moves the clock to 08:30 on its day."""
    services = await booking.list_services(uow_factory(), RESIDENT)
    checkup = next(s for s in services if s.code == "health_checkup")
    day = next(
        d.day
        for d in await booking.available_days(
            uow_factory(), clock, RESIDENT, checkup.id, None, SHANGHAI
        )
        if d.free
    )
    slot = next(
        s
        for s in await booking.slots_on(
            uow_factory(), clock, RESIDENT, checkup.id, None, day, SHANGHAI
        )
        if s.free
    )
    appt = await booking.book(uow_factory(), clock, RESIDENT, slot.id, None, SHANGHAI)
    clock.set(datetime.combine(day, time(8, 30), SHANGHAI).astimezone(UTC))
    return appt


async def _balance(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> int:
    return (await points.my_points(uow_factory(), clock, RESIDENT)).balance


async def _status(
    uow_factory: UnitOfWorkFactory, appointment_id: int
) -> booking.AppointmentStatus:
    return (await booking.get_appointment(uow_factory(), RESIDENT, appointment_id)).status


@pytest.mark.parametrize("language", ["en", "zh-hans"])
async def test_stale_no_show_tap_asks_first_and_undo_restores_the_visit_and_points(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
    language: str,
) -> None:
    t = TEXTS[language]
    await make_doctor_and_resident(uow_factory, clock)
    await jiayi.jobs.materialize()
    appt = await _book_checkup(uow_factory, clock)
    doctor = make_chat(botapi, DOCTOR, language_code=language)

    # The morning list, still on screen when the resident is checked in by code at 08:32.
    await doctor.send("/today")
    old_list = await doctor.wait_for(t["list"])
    clock.advance(timedelta(minutes=2))
    await doctor.send(f"/checkin {appt.check_in_code}")
    await doctor.wait_for("Chen")
    assert await _balance(uow_factory, clock) == 50

    # ✗ on the old list: nothing changes yet; the list refreshes (no buttons for Chen) and
    # the doctor is asked, with what the change would do.
    clock.advance(timedelta(minutes=10))
    await doctor.press(t["no_show"], message=old_list)
    refreshed = await doctor.wait_for(
        predicate=lambda m: m.message_id == old_list.message_id and m.edited
    )
    assert t["no_show"] not in refreshed.button_texts()
    question = await doctor.wait_for(t["question"])
    assert t["asked"] in question.text
    assert t["stake"] in question.text
    assert question.button_texts() == [t["yes"], t["keep"]]
    assert await _balance(uow_factory, clock) == 50
    assert await _status(uow_factory, appt.id) is booking.AppointmentStatus.ATTENDED

    # "Keep" changes nothing.
    await doctor.press(t["keep"], message=question)
    await doctor.wait_for(t["kept"])
    assert await _balance(uow_factory, clock) == 50

    # Another copy of the old list (a second device, say), tapped and confirmed: no-show,
    # the points taken back, and an undo offered.
    stale = next(b for row in old_list.buttons for b in row if b.text == t["no_show"])
    assert stale.callback_data is not None
    await doctor.press_data(stale.callback_data, message=old_list)
    question = await doctor.wait_for(t["question"])
    await doctor.press(t["yes"], message=question)
    marked = await doctor.wait_for(t["marked"])
    assert t["taken"] in marked.text
    assert t["window"] in marked.text
    assert marked.button_texts() == [t["undo"]]
    assert await _balance(uow_factory, clock) == 0
    # The list the tap came from now says no-show, without being asked for again.
    await doctor.wait_for(
        predicate=lambda m: (
            m.message_id == old_list.message_id and f"{appt.check_in_code} ✗" in m.text
        )
    )

    # Undo within the window: attended again, the points back.
    clock.advance(timedelta(minutes=4))
    await doctor.press(t["undo"], message=marked)
    undone = await doctor.wait_for(t["undone"])
    assert t["given"] in undone.text
    assert undone.button_texts() == []
    assert await _balance(uow_factory, clock) == 50
    assert await _status(uow_factory, appt.id) is booking.AppointmentStatus.ATTENDED
    # ... and the list says attended again.
    await doctor.wait_for(
        predicate=lambda m: (
            m.message_id == old_list.message_id and f"{appt.check_in_code} ✓" in m.text
        )
    )


async def test_undo_after_five_minutes_is_refused_and_changes_nothing(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    t = TEXTS["en"]
    await make_doctor_and_resident(uow_factory, clock)
    await jiayi.jobs.materialize()
    appt = await _book_checkup(uow_factory, clock)
    doctor = make_chat(botapi, DOCTOR, language_code="en")
    await doctor.send("/today")
    listed = await doctor.wait_for(t["list"])
    attend = next(b for b in listed.button_texts() if b.startswith("✓") and "Chen" in b)
    await doctor.press(attend, message=listed)
    marked = await doctor.wait_for(t["marked_attended"])
    assert t["given"] in marked.text
    assert await _balance(uow_factory, clock) == 50

    clock.advance(timedelta(minutes=6))
    await doctor.press(t["undo"], message=marked)
    await doctor.wait_for(t["expired"])
    assert await _balance(uow_factory, clock) == 50
    assert await _status(uow_factory, appt.id) is booking.AppointmentStatus.ATTENDED


async def test_undo_of_a_first_mark_puts_the_visit_back_to_booked(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    await make_doctor_and_resident(uow_factory, clock)
    await jiayi.jobs.materialize()
    appt = await _book_checkup(uow_factory, clock)
    doctor = make_chat(botapi, DOCTOR, language_code="en")
    await doctor.send("/today")
    listed = await doctor.wait_for("Appointments")
    attend = next(b for b in listed.button_texts() if b.startswith("✓") and "Chen" in b)
    await doctor.press(attend, message=listed)
    marked = await doctor.wait_for("Marked attended: Chen")
    assert await _balance(uow_factory, clock) == 50
    await doctor.press("↩ Undo", message=marked)
    undone = await doctor.wait_for("Undone: Chen is booked again")
    assert "/today" not in undone.text  # the list itself was refreshed
    assert await _balance(uow_factory, clock) == 0
    assert await _status(uow_factory, appt.id) is booking.AppointmentStatus.BOOKED
    # The list the tap came from offers ✓/✗ for Chen again, refreshed in place.
    await doctor.wait_for(
        predicate=lambda m: (
            m.message_id == listed.message_id
            and any(b.startswith("✓") and "Chen" in b for b in m.button_texts())
        )
    )
    # The list offers ✓/✗ for Chen again.
    await doctor.send("/today")
    again = await doctor.wait_for("Appointments")
    assert any(b.startswith("✓") and "Chen" in b for b in again.button_texts())
