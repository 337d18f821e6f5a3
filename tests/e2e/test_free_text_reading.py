"""A reading typed outside /reading (the safe chat's free-text fallback meets home readings):
"135/85" typed after a reminder to measure is offered "Record a reading" first."""

from __future__ import annotations

from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from tests.e2e.conftest import RunningBot, make_chat
from tests.e2e.test_safety_chat import EN, ZH, _setup


async def test_a_reading_typed_outside_the_flow_is_offered_recording(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation caught (the state merged): free_text() without the reading button — "135/85"
    got only "send this to my family doctor", and the reading was never recorded. Other text
    keeps "send to my doctor" first."""
    await _setup(uow_factory, clock)
    zh = make_chat(botapi, ZH, language_code="zh-hans")
    en = make_chat(botapi, EN, first_name="Ann", language_code="en")
    await zh.send("135/85")
    reply = await zh.wait_reply()
    assert reply.button_texts()[0] == "记录读数"
    await zh.press(reply.button_texts()[0], message=reply)
    await zh.wait_for("您测了什么？")
    await en.send("7.2")
    reply = await en.wait_reply()
    assert reply.button_texts()[0] == "Record a reading"
    await en.send("the clinic on Saturday?")
    reply = await en.wait_reply()
    assert reply.button_texts()[0] == "Send this to my family doctor"
