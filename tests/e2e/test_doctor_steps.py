"""No exact formats to type, and a command always wins over a pending step (issue #21):
`/checkin` alone asks for the code and takes the next message; a command typed while /redeem
waits for a code (or while a question is being typed) starts that command; a red flag typed as
a question shows the emergency message first and still lets the question be sent."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.storage import models as m
from tests.e2e.conftest import RunningBot, make_chat
from tests.e2e.test_doctor_console import _doctor, _resident
from tests.e2e.test_points import DOCTOR, make_doctor_and_resident
from tests.e2e.test_safety_chat import EMERGENCY_EN, EMERGENCY_ZH
from tests.e2e.test_stale_attendance import _book_checkup

WANG = 800
ZH = 11
EN = 12

CHECKIN = {
    "en": ("Send the resident's check-in code", "Checked in: Chen, Health check-up.", "↩ Undo"),
    "zh-hans": ("请发送居民的签到码", "已签到：Chen，", "↩ 撤销"),
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
async def test_checkin_without_a_code_asks_for_it_and_takes_the_next_message(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
    language: str,
) -> None:
    """Fails without the code: /checkin alone answered "Send the resident's code like this:
    /checkin K7MX3P" and the code sent next got the doctor's command list."""
    asked, done, undo = CHECKIN[language]
    await make_doctor_and_resident(uow_factory, clock)
    await jiayi.jobs.materialize()
    appt = await _book_checkup(uow_factory, clock)
    doctor = make_chat(botapi, DOCTOR, language_code=language)
    await doctor.send("/checkin")
    await doctor.wait_for(asked)
    await doctor.send(f" {appt.check_in_code.lower()} ")
    checked = await doctor.wait_for(done)
    # A check-in is an attendance mark like ✓: it can be taken back for a few minutes.
    assert checked.button_texts() == [undo]


async def test_a_command_wins_over_an_unfinished_redeem(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    """Fails without the code: "/residents" was taken by the voucher step ("Please send the
    voucher code as text, or /cancel."), and the name typed next was tried as a voucher."""
    await make_doctor_and_resident(uow_factory, clock)
    doctor = make_chat(botapi, DOCTOR, language_code="en")
    await doctor.send("/redeem")
    await doctor.wait_for("Send the voucher code")
    await doctor.send("/residents")
    listing = await doctor.wait_for("My residents")
    assert "voucher" not in listing.text
    # The residents search is the step now: a name finds the resident, not a voucher.
    await doctor.send("Chen")
    await doctor.wait_for(predicate=lambda m: m.buttons and "Chen" in m.button_texts())
    assert not [msg for msg in doctor.messages() if "voucher" in msg.text.lower()[:40]][1:]


@pytest.mark.parametrize(
    ("user", "language", "asked", "services"),
    [
        (EN, "en", "Type your question for 王医生", "No services can be booked yet."),
        (ZH, "zh-hans", "请输入您想问 王医生 的问题", "暂时没有可预约的服务。"),
    ],
)
async def test_a_command_wins_over_a_question_being_typed(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
    user: int,
    language: str,
    asked: str,
    services: str,
) -> None:
    wang = await _doctor(uow_factory, clock, "王医生", WANG)
    await _resident(
        uow_factory, clock, user, wang, birth_year=1950, hypertension=False,
        locale="en" if language == "en" else "zh-CN",
    )  # fmt: skip
    chat = make_chat(botapi, user, language_code=language)
    await chat.send("/ask")
    await chat.wait_for(asked)
    await chat.send("/book")
    await chat.wait_for(services)
    # The question step was left: the next text is not sent to the doctor.
    await chat.send("/help")
    await chat.wait_reply()
    assert await _questions(uow_factory) == []


async def _questions(uow_factory: UnitOfWorkFactory) -> list[str]:
    async with uow_factory() as uow:
        return list(await uow.session.scalars(select(m.Question.body)))


@pytest.mark.parametrize(
    ("user", "language", "typed", "emergency", "kept", "send", "sent"),
    [
        (
            EN,
            "en",
            "Crushing chest pain since this morning, should I take aspirin?",
            EMERGENCY_EN,
            "Your question is kept. Send it to your family doctor too?",
            "Send",
            "Your question has been sent to 王医生",
        ),
        (
            ZH,
            "zh-hans",
            "我胸口疼得厉害，要不要吃阿司匹林？",
            EMERGENCY_ZH,
            "您的问题已保留。要同时发给家庭医生吗？",
            "发送",
            "您的问题已发送给 王医生",
        ),
    ],
)
async def test_a_red_flag_in_a_question_shows_the_emergency_first_and_keeps_the_question(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
    user: int,
    language: str,
    typed: str,
    emergency: str,
    kept: str,
    send: str,
    sent: str,
) -> None:
    """Fails without the code: the emergency message came alone and the question was gone;
    the resident had to type it again."""
    wang = await _doctor(uow_factory, clock, "王医生", WANG)
    await _resident(
        uow_factory, clock, user, wang, birth_year=1950, hypertension=False,
        locale="en" if language == "en" else "zh-CN",
    )  # fmt: skip
    chat = make_chat(botapi, user, language_code=language)
    await chat.send("/ask")
    await chat.wait_reply()
    await chat.send(typed)
    first = await chat.wait_reply()
    assert emergency in first.text
    assert not first.buttons  # the emergency message alone, first
    offer = await chat.wait_reply()
    assert kept in offer.text
    assert typed in offer.text
    assert await _questions(uow_factory) == []
    await chat.press(send, message=offer)
    await chat.wait_for(sent)
    assert await _questions(uow_factory) == [typed]
