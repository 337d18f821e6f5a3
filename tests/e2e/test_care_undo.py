"""A doctor's "done today" on the care record has 撤销 / Undo for 5 minutes (issue #21): undo
takes the record back (the item is due again as before); after 5 minutes it is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jiayi.bot.callbacks import CareRecordCD
from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services import careplans
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from tests.e2e.conftest import RunningBot, make_chat
from tests.e2e.test_careplans import DOCTOR, RESIDENT, SHANGHAI, _setup

TEXTS = {
    "en": {
        "record": "Care record · Chen",
        "controlled": "✓ Hypertension follow-up: controlled",
        "recorded": "Recorded: Hypertension follow-up, done today.",
        "window": "You can undo this for 5 minutes.",
        "undo": "↩ Undo",
        "undone": "Undone: Hypertension follow-up is no longer recorded as done today.",
        "expired": "That can no longer be undone",
    },
    "zh-hans": {
        "record": "Chen",
        "controlled": "✓ 高血压随访：控制满意",
        "recorded": "已记录：高血压随访，今日完成。",
        "window": "5 分钟内可以撤销。",
        "undo": "↩ 撤销",
        "undone": "已撤销：高血压随访 不再记录为今日已完成。",
        "expired": "无法撤销",
    },
}


async def _due(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> object:
    entries = await careplans.plan(uow_factory(), clock, RESIDENT, SHANGHAI)
    return next(e for e in entries if e.rule_id == "htn_follow_up").due


@pytest.mark.parametrize("language", ["en", "zh-hans"])
async def test_care_done_today_can_be_undone_for_five_minutes(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
    language: str,
) -> None:
    """Fails without the code: "Recorded: …, done today." came with no button to take it back."""
    t = TEXTS[language]
    resident_id = await _setup(clock, uow_factory, jiayi)
    clock.advance(timedelta(days=21))
    due_before = await _due(uow_factory, clock)
    doctor = make_chat(botapi, DOCTOR, language_code=language)
    await doctor.send("/menu")
    await doctor.wait_reply()

    await doctor.press_data(CareRecordCD(resident_id=resident_id).pack())
    record = await doctor.wait_for(t["record"])
    await doctor.press(t["controlled"], message=record)
    done = await doctor.wait_for(t["recorded"])
    assert t["window"] in done.text
    assert t["undo"] in done.button_texts()
    assert await _due(uow_factory, clock) != due_before

    clock.advance(timedelta(minutes=3))
    await doctor.press(t["undo"], message=done)
    await doctor.wait_for(t["undone"])
    assert await _due(uow_factory, clock) == due_before

    # Recorded again, and undo tried after 5 minutes: refused, the record stays.
    await doctor.press_data(CareRecordCD(resident_id=resident_id).pack())
    record = await doctor.wait_for(t["record"])
    await doctor.press(t["controlled"], message=record)
    done = await doctor.wait_for(t["recorded"])
    recorded_due = await _due(uow_factory, clock)
    clock.advance(timedelta(minutes=6))
    await doctor.press(t["undo"], message=done)
    await doctor.wait_for(t["expired"])
    assert await _due(uow_factory, clock) == recorded_due
