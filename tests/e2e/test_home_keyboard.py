"""One thing per screen, always a way back (#21): the home keyboard under an onboarded
resident's chat, a Cancel button on every step of a flow, /forget declined without a dead end,
and "More tips" that leaves the tip alone. The real bot polling the Bot API test server."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from jiayi.sandbox.botapi import BotAPIServer, ChatClient
from jiayi.services import doctors, residents
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.demo import seed_demo
from jiayi.storage import models as m
from tests.e2e.conftest import RunningBot, make_chat
from tests.e2e.test_doctor_console import _doctor, _resident
from tests.factories import make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
LIDONG_2026 = date(2026, 11, 7)  # 立冬: a tip for everyone, with "More tips" under it
WANG = 820
ZH = 21
EN = 22
HOME_ZH = [["预约", "我的预约"], ["问医生", "更多"]]
HOME_EN = [["Book", "My appointments"], ["Ask my doctor", "More"]]


def local(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI).astimezone(UTC)


async def _setup(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> None:
    wang = await _doctor(uow_factory, clock, "王医生", WANG)
    await _resident(uow_factory, clock, ZH, wang, birth_year=1950, hypertension=True)
    await _resident(uow_factory, clock, EN, wang, birth_year=1955, hypertension=False, locale="en")


async def _count(uow_factory: UnitOfWorkFactory, model: type[m.Base]) -> int:
    async with uow_factory() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def test_the_home_keyboard_comes_with_the_home_screen_and_each_label_works(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation tried: cmd_menu answering with views.main_menu (the old inline menu) — no
    reply keyboard, the first assert failed. Also tried: on_home_label not registered — "更多"
    inside the question step was sent to the doctor as the question."""
    await _setup(uow_factory, clock)
    zh = make_chat(botapi, ZH, language_code="zh-hans")
    en = make_chat(botapi, EN, first_name="Ann", language_code="en")

    await zh.send("/menu")
    home = await zh.wait_reply()
    assert zh.reply_keyboard() == HOME_ZH
    assert home.keyboard == HOME_ZH  # sent with the home message itself
    assert "主菜单 · 居民21" in home.text
    assert "其他功能都在「更多」里" in home.text
    await zh.send("预约")
    await zh.wait_for("暂时没有可预约的服务。")
    await zh.send("我的预约")
    await zh.wait_for("您目前没有待就诊的预约。")
    await zh.send("更多")
    menu = await zh.wait_for("请选择您要办理的事项")
    assert {"预约服务", "我的家庭", "健康知识", "血压和血糖", "隐私"} <= set(menu.button_texts())
    await zh.send("问医生")
    prompt = await zh.wait_for("请输入您想问 王医生 的问题")
    assert "/cancel" not in prompt.text
    assert prompt.button_texts() == ["取消"]
    # A keyboard button pressed in the middle of a step leaves the step: it is not the question.
    await zh.send("更多")
    await zh.wait_for("请选择您要办理的事项")
    assert await _count(uow_factory, m.Question) == 0

    await en.send("/start")
    welcome = await en.wait_for("Welcome back!")
    assert en.reply_keyboard() == HOME_EN
    assert "Tap a button at the bottom of the screen" in welcome.text
    await en.send("Book")
    await en.wait_for("No services can be booked yet.")
    await en.send("My appointments")
    await en.wait_for("You have no upcoming appointments.")
    await en.send("Ask my doctor")
    await en.wait_for("Type your question for 王医生")
    await en.send("Can I take my pills after breakfast?")
    await en.wait_for("Your question has been sent to 王医生")
    await en.send("More")
    menu = await en.wait_for("What would you like to do?")
    assert {"My points", "My family", "Health tips", "Privacy"} <= set(menu.button_texts())


async def test_a_doctor_gets_no_resident_keyboard(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """A doctor who is also signed up as a resident keeps buttons under the message.
    Mutation tried: home_screen without the doctor check — the keyboard appeared."""
    await _doctor(uow_factory, clock, "王医生", WANG)
    await make_resident(uow_factory, clock, WANG, name="Wang", locale="en")
    doctor = make_chat(botapi, WANG, first_name="Wang", language_code="en")
    await doctor.send("/menu")
    menu = await doctor.wait_reply()
    assert doctor.reply_keyboard() is None
    assert menu.keyboard == []
    await doctor.send("/start")
    await doctor.wait_reply()
    assert doctor.reply_keyboard() is None


async def test_signing_up_ends_on_the_home_keyboard_in_chinese(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation tried: _finish sending keyboards.main_menu() again — no reply keyboard."""
    chat = make_chat(botapi, ZH)
    await chat.send("/start")
    await chat.wait_for("请选择语言")
    await chat.press("简体中文")
    await chat.wait_for("敏感个人信息")
    await chat.press("我同意")
    birth = await chat.wait_for("哪一年出生")
    assert birth.button_texts() == ["取消"]
    await chat.send("1950年")
    await chat.wait_for("您的性别")
    await chat.press("男")
    await chat.wait_for("您是否有以下情况")
    await chat.press("以上都没有")
    await chat.wait_for("请选择您的家庭医生")
    await chat.press("稍后选择")
    done = await chat.wait_for("注册完成")
    assert "「更多」→“我的资料”" in done.text
    assert "屏幕下方的按钮一直都在" in done.text
    assert chat.reply_keyboard() == HOME_ZH


async def _cancel(chat: ChatClient, label: str, done: str, back: str) -> None:
    await chat.press(label)
    cancelled = await chat.wait_for(done)
    assert cancelled.button_texts() == [back]


async def test_the_cancel_button_ends_booking_question_and_reading_flows(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation tried: booking_keyboards.days without _cancel — no "Cancel" to press on the
    day list; questions.cmd_ask without keyboards.cancel() — the same on the question."""
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    await jiayi.jobs.materialize()
    # The demo centre's doctor: their centre has services to book.
    demo_doctor = await doctors.doctor_by_link(uow_factory(), "demowang")
    assert demo_doctor is not None
    for user, locale in ((ZH, "zh-CN"), (EN, "en")):
        await make_resident(uow_factory, clock, user, name=f"居民{user}", locale=locale)
        await residents.choose_doctor(uow_factory(), clock, user, demo_doctor.id, SHANGHAI)
    zh = make_chat(botapi, ZH, language_code="zh-hans")
    en = make_chat(botapi, EN, first_name="Ann", language_code="en")

    # Booking: every step has it; nothing is booked.
    await en.send("/book")
    await en.wait_for("What would you like to book?")
    await en.press("Health check-up")
    await en.wait_for("Choose a day:")
    await _cancel(en, "Cancel", "Cancelled.", "Main menu")
    await zh.send("/book")
    await zh.wait_for("您想预约什么服务？")
    await zh.press("健康体检")
    days = await zh.wait_for("请选择日期")
    await zh.press(next(t for t in days.button_texts() if "余" in t))
    await zh.wait_for("请选择时间。")
    await _cancel(zh, "取消", "已取消。", "主菜单")
    assert await _count(uow_factory, m.Appointment) == 0

    # A question: the words typed after Cancel are not sent to the doctor.
    await en.send("/ask")
    await en.wait_for("Type your question for 王医生")
    await _cancel(en, "Cancel", "Cancelled.", "Main menu")
    await en.send("never mind, it's fine")
    await en.wait_for("In an emergency, call 120 now.")
    assert await _count(uow_factory, m.Question) == 0
    await en.press("Main menu")
    await en.wait_for("What would you like to do?")

    # A reading: cancelled at the value, nothing is recorded (the demo has readings of its own).
    readings_before = await _count(uow_factory, m.HomeReading)
    await zh.send("/reading")
    await zh.wait_for("您测了什么？")
    await zh.press("血压")
    await zh.wait_for("请输入血压")
    await _cancel(zh, "取消", "已取消。", "主菜单")
    await zh.send("135/85")
    free = await zh.wait_for("如遇紧急情况，请马上拨打 120。")
    assert "记录读数" in free.button_texts()  # offered, not recorded
    assert await _count(uow_factory, m.HomeReading) == readings_before


async def test_the_doctors_prompts_have_a_cancel_button(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation tried: cmd_broadcast's prompt without keyboards.cancel() — no button."""
    await _doctor(uow_factory, clock, "王医生", WANG)
    doctor = make_chat(botapi, WANG, first_name="Wang", language_code="en")
    await doctor.send("/broadcast")
    prompt = await doctor.wait_for("Send the text of the broadcast")
    assert "/cancel" not in prompt.text
    await doctor.press("Cancel", message=prompt)
    await doctor.wait_for("Cancelled.")
    await doctor.send("/redeem")
    prompt = await doctor.wait_for("Send the voucher code.")
    await doctor.press("Cancel", message=prompt)
    await doctor.wait_for("Cancelled.")
    await doctor.send("ABC123")  # no longer read as a voucher code
    reply = await doctor.wait_reply()
    assert "No voucher has that code" not in reply.text


async def test_declining_forget_returns_with_the_main_menu(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation tried: "No, keep my data" under /forget going to the privacy screen (as
    before) — no "Nothing was deleted" and no Main menu button."""
    await _setup(uow_factory, clock)
    zh = make_chat(botapi, ZH, language_code="zh-hans")
    en = make_chat(botapi, EN, first_name="Ann", language_code="en")

    await zh.send("/forget")
    await zh.wait_for("确定删除您的全部信息吗")
    await _cancel(zh, "不，保留我的信息", "没有删除任何信息，您的资料都还在。", "主菜单")
    await zh.press("主菜单")
    await zh.wait_for("请选择您要办理的事项")
    assert await residents.get_resident(uow_factory(), ZH) is not None

    await en.send("/forget")
    await en.wait_for("Delete all your data?")
    await _cancel(en, "No, keep my data", "Nothing was deleted. Your data is kept.", "Main menu")
    # Asked from the privacy screen, "No" goes back there, and it has the main menu too.
    await en.send("/privacy")
    await en.wait_for("Privacy")
    await en.press("Delete all my data")
    await en.wait_for("Delete all your data?")
    await en.press("No, keep my data")
    overview = await en.wait_for(predicate=lambda msg: "Delete all my data" in msg.button_texts())
    assert overview.button_texts()[-1] == "Main menu"

    # Saying yes takes the home keyboard away with the data.
    await en.send("/menu")
    await en.wait_reply()
    assert en.reply_keyboard() == HOME_EN
    await en.send("/forget")
    await en.wait_for("Delete all your data?")
    await en.press("Yes, delete everything")
    await en.wait_for("Goodbye")
    assert en.reply_keyboard() is None


async def test_more_tips_opens_a_new_message_and_the_tip_stays(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutations tried: cb_tips editing the pressed message as before — the tip's text was
    replaced by the settings screen; "Pause all pushes" first on the settings screen again."""
    clock.set(local(LIDONG_2026, 9))
    await make_resident(uow_factory, clock, EN, name="Ann", locale="en")
    await make_resident(uow_factory, clock, ZH, name="张阿姨", locale="zh-CN")
    en = make_chat(botapi, EN, first_name="Ann", language_code="en")
    zh = make_chat(botapi, ZH, language_code="zh-hans")
    en.open()
    zh.open()
    await jiayi.jobs.plan()
    await jiayi.jobs.dispatch()

    for chat, more, settings, pause in (
        (en, "More tips", "Health tips", "Pause all pushes"),
        (zh, "更多健康知识", "健康知识", "暂停所有推送"),
    ):
        tip = await chat.wait_for(predicate=lambda msg, more=more: more in msg.button_texts())
        await chat.press(more, message=tip)
        screen = await chat.wait_for(settings)
        assert screen.message_id != tip.message_id
        after = next(msg for msg in chat.messages() if msg.message_id == tip.message_id)
        assert after.text == tip.text
        assert more in after.button_texts()
        assert screen.button_texts()[0] != pause
        assert pause in screen.button_texts()

    # A tip sent before this change carries the old data; it opens a new message too.
    tip = next(msg for msg in en.messages() if "More tips" in msg.button_texts())
    await en.press_data("tips:open", message=tip)
    screen = await en.wait_for("Health tips")
    assert screen.message_id != tip.message_id
    after = next(msg for msg in en.messages() if msg.message_id == tip.message_id)
    assert after.text == tip.text
