"""Doctors end to end (real bot, Bot API test server, both DBs): a command typed while
writing to residents is never sent to them, and a doctor who is also a resident keeps the
console when their own consent as a resident is withdrawn."""

from __future__ import annotations

from sqlalchemy import func, select

from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services import privacy
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.storage import models as m
from tests.e2e.conftest import RunningBot, make_chat
from tests.e2e.test_doctor_console import OLD_HYP_EN, OLD_WELL, WANG, _practice
from tests.factories import make_resident

STILL_WRITING = "You are still writing a message; nothing was sent. Send /cancel to stop"
CONSENT_WITHDRAWN = "You have withdrawn your consent"


async def _broadcasts(uow_factory: UnitOfWorkFactory) -> int:
    async with uow_factory() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(m.Broadcast)) or 0)


async def test_commands_typed_while_writing_to_residents_are_not_sent(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    await _practice(uow_factory, clock)
    patient = make_chat(botapi, OLD_WELL)
    patient.open()
    asker = make_chat(botapi, OLD_HYP_EN, first_name="Ann", language_code="en")
    doctor = make_chat(botapi, WANG, first_name="Wang", language_code="en")
    doctor.open()

    # A personal message: a command at the prompt gets a hint; the text that follows is sent.
    await doctor.send("/residents")
    await doctor.wait_for("My residents")
    await doctor.send("居民5")
    found = await doctor.wait_for("My residents · 1")
    await doctor.press("居民5", message=found)
    card = await doctor.wait_for("Upcoming appointments")
    await doctor.press("Send a message", message=card)
    await doctor.wait_for("Type your message to 居民5")
    await doctor.send("/questions")
    await doctor.wait_for(STILL_WRITING)
    await doctor.send("请明天上午来复查")
    await doctor.wait_for("Sent.")

    # An answer to a question: the same.
    await asker.send("/menu")
    await asker.wait_reply()
    await asker.send("Ask my doctor")  # the home keyboard's button
    await asker.wait_for("Type your question")
    await asker.send("Can I take my pills after breakfast?")
    await asker.wait_for("Your question has been sent")
    await jiayi.jobs.dispatch()  # the doctor's alert goes through the outbox
    incoming = await doctor.wait_for("Can I take my pills after breakfast?")
    await doctor.press("Reply", message=incoming)
    await doctor.wait_for("Type your answer to 居民2")
    await doctor.send("/today")
    await doctor.wait_for(STILL_WRITING)
    await doctor.send("Yes, after breakfast.")
    await doctor.wait_for("is on its way")

    # A broadcast: a command is not its text, and /cancel still stops it.
    await doctor.send("/broadcast")
    await doctor.wait_for("Send the text of the broadcast")
    await doctor.send("/residents")
    await doctor.wait_for(STILL_WRITING)
    await doctor.send("/cancel")
    await doctor.wait_for("Cancelled.")
    assert await _broadcasts(uow_factory) == 0

    await jiayi.jobs.dispatch()
    await patient.wait_for("请明天上午来复查")
    await asker.wait_for("Yes, after breakfast.")
    received = [msg.text for chat in (patient, asker) for msg in chat.messages()]
    assert not [text for text in received if "/questions" in text or "/today" in text]


async def test_a_doctor_who_withdrew_consent_as_a_resident_keeps_the_console(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    await _practice(uow_factory, clock)
    await make_resident(uow_factory, clock, WANG, name="王大夫", birth_year=1980, locale="en")
    await privacy.withdraw_consent(uow_factory(), clock, WANG)
    patient = make_chat(botapi, OLD_WELL)
    patient.open()
    doctor = make_chat(botapi, WANG, first_name="Wang", language_code="en")

    for command, expected in (
        ("/today", "No appointments."),
        ("/questions", "No unanswered questions."),
        ("/digest", "How often would you like the digest"),
        ("/redeem", "Send the voucher code"),
        ("/cancel", "Cancelled."),
        ("/broadcast", "Send the text of the broadcast"),
        ("/cancel", "Cancelled."),
    ):
        await doctor.send(command)
        reply = await doctor.wait_reply()
        assert expected in reply.text, (command, reply.text)

    # Buttons and typed text in the doctor's own conversations work too.
    await doctor.send("/residents")
    await doctor.wait_for("My residents")
    await doctor.send("居民5")
    found = await doctor.wait_for("My residents · 1")
    await doctor.press("居民5", message=found)
    card = await doctor.wait_for("Upcoming appointments")
    await doctor.press("Send a message", message=card)
    await doctor.wait_for("Type your message to 居民5")
    await doctor.send("请明天上午来复查")
    await doctor.wait_for("Sent.")
    await jiayi.jobs.dispatch()
    await patient.wait_for("请明天上午来复查")

    # Their own resident features still ask for consent first.
    await doctor.send("/plan")
    await doctor.wait_for(CONSENT_WITHDRAWN)
