"""Typed text is never dismissed (#21, "Safety first"): red flags get the emergency message
alone, anywhere; any other free text offers the family doctor; typed menu labels work.
The real bot polling the Bot API test server, both languages."""

from __future__ import annotations

from sqlalchemy import select

from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.storage import models as m
from tests.e2e.conftest import RunningBot, make_chat
from tests.e2e.test_doctor_console import _doctor, _resident
from tests.factories import CENTRE_CODE

WANG = 800
ZH = 11
EN = 12
EMERGENCY_ZH = "如果情况紧急，请马上拨打 120"
EMERGENCY_EN = "If this is an emergency, call 120 now."
STALE_ZH = "该按钮已失效。"


async def _setup(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> None:
    wang = await _doctor(uow_factory, clock, "王医生", WANG)
    await _resident(uow_factory, clock, ZH, wang, birth_year=1950, hypertension=True)
    await _resident(uow_factory, clock, EN, wang, birth_year=1955, hypertension=False, locale="en")


async def _questions(uow_factory: UnitOfWorkFactory) -> list[str]:
    async with uow_factory() as uow:
        rows = await uow.session.scalars(select(m.Question.body))
        return list(rows)


async def test_red_flags_get_the_emergency_message_alone_in_both_languages(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation tried: bot/routers.py without safety.build_router() — the chest-pain text got
    the free-text answer (with buttons, no "don't wait"), so the first assert failed."""
    await _setup(uow_factory, clock)
    zh = make_chat(botapi, ZH, language_code="zh-hans")
    en = make_chat(botapi, EN, first_name="Ann", language_code="en")

    await zh.send("我胸口疼得厉害，喘不上气")
    reply = await zh.wait_reply()
    assert EMERGENCY_ZH in reply.text
    assert "不要等待回复" in reply.text
    assert not reply.buttons  # the emergency message alone: nothing to tap instead of calling
    assert "12356" not in reply.text

    await en.send("My husband WON'T wake up!!")
    reply = await en.wait_reply()
    assert EMERGENCY_EN in reply.text
    assert not reply.buttons

    # Self-harm words: 120/110 and the national psychological assistance hotline.
    await zh.send("我真的不想活了")
    reply = await zh.wait_reply()
    assert EMERGENCY_ZH in reply.text
    assert "12356" in reply.text
    assert "110" in reply.text
    await en.send("I want to end my life")
    reply = await en.wait_reply()
    assert "hotline 12356" in reply.text
    assert "110" in reply.text


async def test_a_red_flag_inside_a_flow_wins_and_the_flow_goes_on(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation tried: safety router moved after questions.build_router() in bot/routers.py —
    "chest pain" typed as a question was sent to the doctor and answered "sent", failing the
    emergency assert."""
    await _setup(uow_factory, clock)
    en = make_chat(botapi, EN, first_name="Ann", language_code="en")
    await en.send("/ask")
    await en.wait_for("Type your question for 王医生")
    await en.send("Crushing chest pain since this morning")
    reply = await en.wait_reply()
    assert EMERGENCY_EN in reply.text
    assert await _questions(uow_factory) == []
    # The conversation was kept: the next typed question still goes to the doctor.
    await en.send("Should I still come on Friday?")
    await en.wait_for("Your question has been sent to 王医生")
    assert await _questions(uow_factory) == ["Should I still come on Friday?"]


async def test_free_text_offers_to_send_it_to_the_family_doctor(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation tried: cb_draft_send returning before questions.ask_question — the doctor
    never got the text and the "sent" confirmation never came."""
    await _setup(uow_factory, clock)
    zh = make_chat(botapi, ZH, language_code="zh-hans")
    doctor = make_chat(botapi, WANG, first_name="Wang", language_code="en")
    doctor.open()
    typed = "最近晚上睡不好，降压药要不要换到早上吃？<b>&"

    await zh.send(typed)
    reply = await zh.wait_reply()
    assert reply.text.splitlines()[0] == "如遇紧急情况，请马上拨打 120。"
    assert reply.button_texts()[0] == "把这段话发给我的家庭医生"
    assert {"预约服务", "我的预约", "主菜单"} <= set(reply.button_texts())
    await zh.press("把这段话发给我的家庭医生", message=reply)
    confirm = await zh.wait_for("发给王医生吗")
    assert typed in confirm.text  # shown as typed (escaped), before anything is sent
    assert await _questions(uow_factory) == []
    await zh.press("发送", message=confirm)
    await zh.wait_for("您的问题已发送给 王医生")
    assert await _questions(uow_factory) == [typed]

    assert (await jiayi.jobs.dispatch()).sent == 1
    await doctor.wait_for("最近晚上睡不好")
    await doctor.send("/questions")
    listing = await doctor.wait_for("居民11")
    assert "最近晚上睡不好" in listing.text

    # The old button cannot send the words a second time.
    await zh.press_data("askdraft:send", message=confirm)
    await zh.wait_for(STALE_ZH)
    assert await _questions(uow_factory) == [typed]


async def test_english_free_text_says_120_first(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation tried: the old fallback text ("I can't read free text yet — please use the
    menu.") — its first line has no 120 and there is no "send to my doctor" button."""
    await _setup(uow_factory, clock)
    en = make_chat(botapi, EN, first_name="Ann", language_code="en")
    await en.send("hello, is the clinic open on Saturday?")
    reply = await en.wait_reply()
    assert reply.text.splitlines()[0] == "In an emergency, call 120 now."
    assert reply.button_texts()[0] == "Send this to my family doctor"


async def test_typed_menu_labels_do_what_the_button_does(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation tried: menu.build_router() without the typed_label handler — "我的预约" got
    the free-text answer instead of the appointments screen."""
    await _setup(uow_factory, clock)
    zh = make_chat(botapi, ZH, language_code="zh-hans")
    en = make_chat(botapi, EN, first_name="Ann", language_code="en")
    await zh.send("我的预约")
    await zh.wait_for("您目前没有待就诊的预约。")
    await zh.send(" 预约 ")
    await zh.wait_for("暂时没有可预约的服务。")
    await en.send("My appointments")
    await en.wait_for("You have no upcoming appointments.")
    await en.send("book")
    await en.wait_for("No services can be booked yet.")
    # A label in the other language works too (a resident reading the other language's menu).
    await en.send("我的预约")
    await en.wait_for("You have no upcoming appointments.")


async def test_help_shows_the_centres_phone_and_address(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation tried: `_help` in bot/resident/menu.py rendering without `phone` — the phone
    line was missing in /help."""
    await _setup(uow_factory, clock)
    phone, address = "0000-12345", "幸福路1号"  # made up for the test
    async with uow_factory() as uow:
        centre = await uow.centres.by_code(CENTRE_CODE)
        assert centre is not None
        await uow.centres.set_contact(centre.id, phone=phone, address=address)
        await uow.commit()
    zh = make_chat(botapi, ZH, language_code="zh-hans")
    en = make_chat(botapi, EN, first_name="Ann", language_code="en")
    await zh.send("/help")
    reply = await zh.wait_for("家医使用说明")
    assert f"电话：{phone}" in reply.text
    assert f"地址：{address}" in reply.text
    await en.send("Help")  # the typed menu label does what /help does
    reply = await en.wait_for("How jiayi works")
    assert f"Phone: {phone}" in reply.text
