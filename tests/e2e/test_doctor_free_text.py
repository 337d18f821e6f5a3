"""Doctor accounts meet the safe chat's free-text fallback: a bound doctor (not a resident)
who types words outside any step is shown their commands, never "you haven't signed up"."""

from __future__ import annotations

from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from tests.e2e.conftest import RunningBot, make_chat
from tests.e2e.test_doctor_console import WANG, _practice

NOT_SIGNED_UP = "You haven't signed up yet"


async def test_a_doctors_free_text_gets_their_commands_not_sign_up(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    """Mutation caught (the state merged): on_idle_message treated every account without a
    resident profile as unregistered — the doctor got "You haven't signed up yet. Send
    /start to begin." and a lone Help button."""
    await _practice(uow_factory, clock)
    doctor = make_chat(botapi, WANG, first_name="Wang", language_code="en")
    await doctor.send("who is coming tomorrow?")
    reply = await doctor.wait_reply()
    assert NOT_SIGNED_UP not in reply.text
    assert "/today" in reply.text
    assert "/questions" in reply.text
