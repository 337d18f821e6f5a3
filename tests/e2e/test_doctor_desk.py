"""Doctors (issue #21): a bound doctor is never told "you haven't signed up": free text, /help,
/menu, /cancel and an unknown command give the doctor's own short desk (今日 · 签到 · 问题 ·
群发 · 居民), in their language; its buttons open the work; the doctors' command menu lists
their own commands first and no resident-only ones."""

from __future__ import annotations

import pytest

from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from tests.e2e.conftest import RunningBot, make_chat
from tests.e2e.test_doctor_console import WANG, _practice

TEXTS = {
    "en": {
        "not_signed_up": "You haven't signed up yet",
        "desk": ["Today", "Check in", "Questions", "Broadcast", "Residents"],
        "help": "You are signed in as a family doctor.",
        "cancelled": "Cancelled.",
        "menu": "Doctor's desk",
        "checkin": "Send the resident's check-in code",
        "residents": "My residents",
    },
    "zh-hans": {
        "not_signed_up": "您还没有注册",
        "desk": ["今日", "签到", "问题", "群发", "居民"],
        "help": "您已作为家庭医生登录。",
        "cancelled": "已取消",
        "menu": "医生工作台",
        "checkin": "请发送居民的签到码",
        "residents": "我的签约居民",
    },
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
async def test_a_doctor_gets_their_desk_from_free_text_help_menu_and_cancel(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
    language: str,
) -> None:
    """Fails without the code: /menu and /cancel told the doctor "You haven't signed up yet",
    /help showed the residents' help, and no reply carried the desk's buttons."""
    t = TEXTS[language]
    await _practice(uow_factory, clock)
    doctor = make_chat(botapi, WANG, first_name="Wang", language_code=language)
    expected = {
        "who is coming tomorrow?": t["help"],
        "/help": t["help"],
        "/menu": t["menu"],
        "/cancel": t["cancelled"],
        "/nonsense": t["help"],
    }
    for typed, shown in expected.items():
        await doctor.send(typed)
        reply = await doctor.wait_reply()
        assert shown in reply.text, typed
        assert t["not_signed_up"] not in reply.text, typed
        assert reply.button_texts() == t["desk"], typed
    assert "/today" in reply.text
    assert "/checkin" in reply.text
    assert "/book" not in reply.text  # the doctor's help lists the doctor's commands only

    # The desk's buttons open the work: 签到 asks for the code, 居民 the residents list.
    await doctor.press(t["desk"][1], message=reply)
    await doctor.wait_for(t["checkin"])
    await doctor.press(t["desk"][4], message=reply)
    await doctor.wait_for(t["residents"])


async def test_the_doctors_command_menu_lists_their_work_first_and_no_resident_only_commands(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    """Fails without the code: the doctors' menu was their ten commands and then all 18 of the
    residents' (/book, /family, /forget …), 28 in one list."""
    await _practice(uow_factory, clock)
    make_chat(botapi, WANG, language_code="en").open()
    await jiayi.restart()  # doctors' menus are set at start-up for every bound doctor
    await jiayi.after_start()
    menu = [c["command"] for c in botapi.commands(scope={"type": "chat", "chat_id": WANG})]
    assert menu[:6] == ["today", "tomorrow", "checkin", "questions", "broadcast", "residents"]
    assert {"menu", "help", "cancel"} <= set(menu)
    assert not {"book", "family", "forget", "points", "start"} & set(menu)
