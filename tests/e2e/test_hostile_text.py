"""Resident-typed text never breaks or injects into a message: every screen that shows a typed
name or text, run with a hostile corpus through the real bot and the Bot API test server,
which parses HTML like Telegram (a stray `<` makes it refuse the message)."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from jiayi.sandbox.botapi import BotAPIServer
from jiayi.sandbox.botapi.client import ChatClient
from jiayi.sandbox.botapi.models import SentMessage
from jiayi.services import doctors, family, questions, residents
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.family import NewMember, Relation
from jiayi.services.residents import Sex
from tests.e2e.conftest import RunningBot, make_chat
from tests.factories import CENTRE_CODE, INVITE_TTL, make_centre, make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
DOCTOR = 950
FIRST = 20_000
SORRY = "Sorry, something went wrong"
# What people really type, and what an attacker would: markup, a heart, entities, direction
# overrides and invisible characters. Each is short enough to be a name (40 characters).
CORPUS = (
    '<a href="http://x">点此登录</a>',
    "Tom <3 Mary",
    "&",
    "&amp;",
    "\u202etxt.exe",  # RIGHT-TO-LEFT OVERRIDE
    "王\u200b小\u200d明\ufeff三",  # zero-width space/joiner, BOM
)
LONG = "长" * 4096


def _literal(message: SentMessage, value: str) -> None:
    """The value arrives as typed: visible text, no hidden link made from it."""
    assert value in message.text, (value, message.text)
    assert not [e for e in message.entities if e.get("type") == "text_link"], message.entities


async def _no_apology(chat: ChatClient) -> None:
    assert SORRY not in chat.transcript(limit=200)


async def test_doctor_screens_show_hostile_names_and_texts_literally(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    """Mutations caught: `html_format` replaced by plain `.format` in the message prompt,
    the reply prompt or the answer confirmation (the server refuses `Tom <3 Mary`: the doctor
    gets the apology, and with the state set before the prompt, the next text became a
    message); a template with `|safe` on a name (a live link in the doctor's chat)."""
    await make_centre(uow_factory, clock)
    link = await doctors.create_invite(
        uow_factory(), clock, name="王医生", centre_code=CENTRE_CODE, ttl=INVITE_TTL
    )
    doctor = await doctors.accept_invite(
        uow_factory(), clock, token=link.token, telegram_user_id=DOCTOR, locale="en"
    )
    for n, name in enumerate(CORPUS):
        await make_resident(uow_factory, clock, FIRST + n, name=name, locale="en")
        await residents.choose_doctor(uow_factory(), clock, FIRST + n, doctor.id, SHANGHAI)
        await questions.ask_question(uow_factory(), clock, FIRST + n, f"问题 {name} ?")
        clock.advance(timedelta(minutes=1))
    chat = make_chat(botapi, DOCTOR, language_code="en")

    await chat.send("/residents")
    listed = await chat.wait_for("My residents")
    for name in CORPUS:
        _literal(listed, name)

    await chat.send("/questions")
    asked = await chat.wait_for("Unanswered questions")
    for name in CORPUS:
        _literal(asked, f"问题 {name} ?")

    for n, name in enumerate(CORPUS):
        resident_chat = make_chat(botapi, FIRST + n, language_code="en")
        resident_chat.open()
        # The card, the personal-message prompt, and the message itself.
        await chat.send("/residents")
        page = await chat.wait_for("My residents")
        await chat.press(name, message=page)
        card = await chat.wait_for(predicate=lambda m: "Send a message" in m.button_texts())
        _literal(card, name)
        await chat.press("Send a message", message=card)
        _literal(await chat.wait_for("Type your message to"), name)
        await chat.send(f"给 {name} 的话")
        await chat.wait_for("Sent. It will be delivered")
        # The lecture confirmation names them too.
        await chat.press("Attended a health lecture", message=card)
        _literal(await chat.wait_for("attended a health lecture today?"), name)
        await chat.press("Yes, record it")
        _literal(await chat.wait_for("Recorded"), name)

    # Replies: the prompt and the confirmation name the resident; the answer is literal.
    for name in CORPUS:
        await chat.send("/questions")
        page = await chat.wait_for("Unanswered questions")
        await chat.press("Reply to 1", message=page)
        _literal(await chat.wait_for("Type your answer to"), name)
        await chat.send(f"答 {name}")
        _literal(await chat.wait_for("is on its way"), name)
    await _no_apology(chat)

    # What the residents receive through the outbox arrives, and literally.
    await jiayi.jobs.dispatch()
    for n, name in enumerate(CORPUS):
        received = make_chat(botapi, FIRST + n, language_code="en").messages()
        for text in (f"给 {name} 的话", f"答 {name}"):
            found = [m for m in received if text in m.text]
            assert found, (text, [m.text for m in received])
            _literal(found[0], text)

    # A 4,096-character message is refused with the reason, and nothing is stored.
    await chat.press("Send a message", message=card)
    await chat.wait_for("Type your message to")
    await chat.send(LONG)
    await chat.wait_for("That is too long")
    await _no_apology(chat)


async def test_family_and_privacy_screens_show_hostile_names_literally(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    """Mutations caught: plain `.format` in "Remove {name}…", "Removed {name}." or the
    takeover-link text (the server refuses `Tom <3 Mary` or `&`-only text is mangled: the
    apology instead of the screen)."""
    parent = FIRST + 100
    await make_resident(uow_factory, clock, parent, name="Chen", locale="en", birth_year=1960)
    for name in CORPUS:
        await family.add_member(
            uow_factory(),
            clock,
            parent,
            NewMember(Relation.PARENT, name, date(1940, 1, 1), Sex.FEMALE),
        )
    chat = make_chat(botapi, parent, language_code="en")

    await chat.send("/privacy")
    overview = await chat.wait_for(predicate=lambda m: "Get my data" in m.button_texts())
    for name in CORPUS:
        await chat.press(f"Let {name} use jiayi themselves", message=overview)
        _literal(await chat.wait_for("Send this link to"), name)

    await chat.send("/family")
    listed = await chat.wait_for(predicate=lambda m: "Add a family member" in m.button_texts())
    for name in CORPUS:
        _literal(listed, name)
    for name in CORPUS:
        await chat.send("/family")
        page = await chat.wait_for(predicate=lambda m: "Add a family member" in m.button_texts())
        await chat.press(name, message=page)
        member = await chat.wait_for(predicate=lambda m: "Remove" in m.button_texts())
        _literal(member, name)
        await chat.press("Remove", message=member)
        _literal(await chat.wait_for("and everything recorded about them?"), name)
        await chat.press("Yes, remove")
        _literal(await chat.wait_for("Removed"), name)
    assert await family.list_members(uow_factory(), parent) == []
    await _no_apology(chat)

    # A 4,096-character name is refused with the reason.
    await chat.send("/family")
    page = await chat.wait_for(predicate=lambda m: "Add a family member" in m.button_texts())
    await chat.press("Add a family member", message=page)
    relations = await chat.wait_for(predicate=lambda m: len(m.button_texts()) > 2)
    await chat.press(relations.button_texts()[0], message=relations)
    await chat.wait_for("what name should we use for them?")
    await chat.send(LONG)
    await chat.wait_for("That name is too long")
    await _no_apology(chat)


async def test_a_prompt_that_could_not_be_sent_opens_no_conversation(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    """The reply prompt fails (Telegram answers 500 once): the doctor's next text is not taken
    as an answer. Mutation caught: `state.set_state(QuestionAnswer.text)` before the prompt
    in bot/doctor/questions.cb_reply (the text was stored and queued as the answer)."""
    await make_centre(uow_factory, clock)
    link = await doctors.create_invite(
        uow_factory(), clock, name="王医生", centre_code=CENTRE_CODE, ttl=INVITE_TTL
    )
    doctor = await doctors.accept_invite(
        uow_factory(), clock, token=link.token, telegram_user_id=DOCTOR, locale="en"
    )
    await make_resident(uow_factory, clock, FIRST, name="Tom", locale="en")
    await residents.choose_doctor(uow_factory(), clock, FIRST, doctor.id, SHANGHAI)
    await questions.ask_question(uow_factory(), clock, FIRST, "饭前吃药吗？")
    chat = make_chat(botapi, DOCTOR, language_code="en")
    await chat.send("/questions")
    page = await chat.wait_for("Unanswered questions")

    botapi.fail(DOCTOR, "server_error", times=1)
    await chat.press("Reply to 1", message=page)
    await chat.wait_for(SORRY)
    await chat.send("this was meant for someone else")
    # Not taken as an answer: the fallback shows the doctor their commands instead.
    await chat.wait_for("You are signed in as a family doctor")
    await chat.send("/questions")
    still = await chat.wait_for("Unanswered questions")
    assert "饭前吃药吗？" in still.text
