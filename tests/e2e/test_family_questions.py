"""Questions about a family member name them and offer only conditions that fit their age and
sex (issue #21): no "pregnant" for a 75-year-old father, no chronic-disease question for a
toddler, pregnancy offered to a young mother."""

from __future__ import annotations

import pytest

from jiayi.sandbox.botapi import BotAPIServer
from jiayi.sandbox.botapi.client import ChatClient
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from tests.e2e.conftest import RunningBot, make_chat
from tests.factories import make_resident

USER = 4301

TEXT = {
    "en": {
        "lang": "en",
        "add": "Add a family member",
        "added_who": "Who would you like to add?",
        "parent": "Parent",
        "child": "Child",
        "spouse": "Spouse",
        "name": "what name should we use",
        "born": "Their date of birth?",
        "sex": "Their sex?",
        "male": "Male",
        "female": "Female",
        "asks": "Does {name} have any of these?",
        "pregnant": "Pregnant",
        "hypertension": "Hypertension",
        "consent": "Consent for {name}",
    },
    "zh-CN": {
        "lang": "zh-hans",
        "add": "添加家庭成员",
        "added_who": "您要添加哪位家庭成员？",
        "parent": "父母",
        "child": "子女",
        "spouse": "配偶",
        "name": "我们应该怎样称呼",
        "born": "请发送出生日期",
        "sex": "性别？",
        "male": "男",
        "female": "女",
        "asks": "{name}有以下情况吗？",
        "pregnant": "怀孕",
        "hypertension": "高血压",
        "consent": "为 {name} 授权",
    },
}


async def _add(chat: ChatClient, t: dict[str, str], relation: str, name: str, born: str) -> None:
    await chat.send("/family")
    await chat.wait_for(predicate=lambda m: t["add"] in m.button_texts())
    await chat.press(t["add"])
    await chat.wait_for(t["added_who"])
    await chat.press(t[relation])
    await chat.wait_for(t["name"])
    await chat.send(name)
    await chat.wait_for(t["born"])
    await chat.send(born)
    await chat.wait_for(t["sex"])


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
async def test_conditions_question_names_the_member_and_fits_them(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
    locale: str,
) -> None:
    t = TEXT[locale]
    await make_resident(uow_factory, clock, USER, name="Chen", locale=locale, birth_year=1985)
    chat = make_chat(botapi, USER, language_code=t["lang"])

    # A 75-year-old father: named, asked about chronic conditions, never about pregnancy.
    await _add(chat, t, "parent", "Grandpa", "1951-05-02")
    await chat.press(t["male"])
    asked = await chat.wait_for(t["asks"].format(name="Grandpa"))
    assert any(t["hypertension"] in b for b in asked.button_texts())
    assert not any(t["pregnant"] in b for b in asked.button_texts())
    await chat.press(t["hypertension"], message=asked)
    await chat.press("Done" if locale == "en" else "完成")
    await chat.wait_for(t["consent"].format(name="Grandpa"))
    await chat.send("/cancel")

    # A toddler: neither pregnancy nor chronic disease fits, so there is no question at all.
    await _add(chat, t, "child", "Xiaobao", "2024-03-15")
    await chat.press(t["female"])
    consent = await chat.wait_for(t["consent"].format(name="Xiaobao"))
    assert not [m for m in chat.messages() if t["asks"].format(name="Xiaobao") in m.text]
    assert t["pregnant"] not in consent.button_texts()
    await chat.send("/cancel")

    # A young wife may be pregnant: it is offered to her.
    await _add(chat, t, "spouse", "Mei", "1992-08-01")
    await chat.press(t["female"])
    asked = await chat.wait_for(t["asks"].format(name="Mei"))
    assert any(t["pregnant"] in b for b in asked.button_texts())
