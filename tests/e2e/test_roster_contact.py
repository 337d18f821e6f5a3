"""A resident the centre's roster lists signs up, shares their phone through Telegram's contact
button and confirms the record offered — through the Bot API test server, both languages."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from jiayi.sandbox.botapi import BotAPIServer, ChatClient
from jiayi.services import residents, roster
from jiayi.services.clock import ManualClock
from jiayi.services.console import Actor
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.residents import Condition, Sex
from tests.e2e.conftest import RunningBot, make_chat
from tests.factories import make_doctor

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPERATOR = Actor(telegram_user_id=9000, doctor_id=None, doctor_name=None, is_admin=True)
PHONE = "8613812345678"  # as Telegram sends it: digits, country code first, no "+"


async def import_roster(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> None:
    data = (
        "姓名,手机号,出生日期,性别,慢病,签约医生\n张阿姨,13812345678,1955-04-02,女,高血压,王医生\n"
    ).encode("gbk")
    preview = await roster.dry_run(uow_factory(), clock, SHANGHAI, OPERATOR, data)
    await roster.apply(uow_factory(), clock, SHANGHAI, OPERATOR, data, preview.token)


async def consent(chat: ChatClient, *, english: bool) -> None:
    await chat.send("/start")
    await chat.wait_for("Please choose your language" if english else "请选择")
    await chat.press("English" if english else "简体中文")
    await chat.wait_for("Before we start" if english else "健康")
    await chat.press("I agree" if english else "我同意")
    await chat.wait_for("What year were you born?" if english else "哪一年出生")


async def test_shared_phone_confirmed_links_the_record_in_english(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    wang = await make_doctor(uow_factory, clock, "王医生")
    await import_roster(uow_factory, clock)
    chat = make_chat(botapi, 3001, language_code="en")
    await consent(chat, english=True)
    assert chat.reply_keyboard() == [["📱 Share my phone number"], ["Skip"]]
    await chat.share_contact(PHONE)
    offer = await chat.wait_for("Your family doctor is 王医生")
    assert "our record lists Hypertension — is that right?" in offer.text
    assert chat.reply_keyboard() is None
    # Nothing is linked before the resident confirms.
    profile = await residents.get_profile(uow_factory(), 3001)
    assert profile.contract is None
    await chat.press("Yes, that's me")
    done = await chat.wait_for("You're all set!")
    assert "Your family doctor: 王医生" in done.text
    profile = await residents.get_profile(uow_factory(), 3001)
    assert profile.doctor is not None
    assert profile.doctor.id == wang.id
    assert profile.resident.birth_year == 1955
    assert profile.resident.sex is Sex.FEMALE
    assert profile.resident.conditions == {Condition.HYPERTENSION}
    assert profile.resident.onboarded_at is not None


async def test_shared_phone_confirmed_in_chinese(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_doctor(uow_factory, clock, "王医生")
    await import_roster(uow_factory, clock)
    chat = make_chat(botapi, 3002, language_code="zh-hans")
    await consent(chat, english=False)
    assert chat.reply_keyboard() == [["📱 发送我的手机号"], ["跳过"]]
    await chat.share_contact(PHONE)
    offer = await chat.wait_for("您的家庭医生是王医生")
    assert "我们的记录显示：高血压。对吗？" in offer.text
    await chat.press("是的，是我")
    done = await chat.wait_for("注册完成！")
    assert "您的家庭医生：王医生" in done.text
    profile = await residents.get_profile(uow_factory(), 3002)
    assert profile.doctor is not None
    assert profile.resident.conditions == {Condition.HYPERTENSION}


async def test_someone_elses_contact_is_refused(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_doctor(uow_factory, clock, "王医生")
    await import_roster(uow_factory, clock)
    for user_id, english, refusal in (
        (3003, True, "Please share your own phone number"),
        (3004, False, "请用下方按钮发送您本人的手机号"),
    ):
        chat = make_chat(botapi, user_id, language_code="en" if english else "zh-hans")
        await consent(chat, english=english)
        await chat.send_contact(PHONE, user_id=4242, first_name="张阿姨")
        await chat.wait_for(refusal)
        # Nothing of the record was shown, and the button is still offered.
        assert not any("王医生" in m.text for m in chat.messages())
        assert chat.reply_keyboard() is not None
        profile = await residents.get_profile(uow_factory(), user_id)
        assert profile.contract is None


async def test_declining_the_record_links_nothing_and_sign_up_goes_on(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_doctor(uow_factory, clock, "王医生")
    await import_roster(uow_factory, clock)
    for user_id, english, no, goes_on in (
        (3005, True, "No, that's not me", "Nothing was linked. What year were you born?"),
        (3006, False, "不，不是我", "没有关联任何记录"),
    ):
        chat = make_chat(botapi, user_id, language_code="en" if english else "zh-hans")
        await consent(chat, english=english)
        await chat.share_contact(PHONE)
        await chat.wait_for(predicate=lambda m, no=no: no in m.button_texts())
        await chat.press(no)
        await chat.wait_for(goes_on)
        await chat.send("1960")
        await chat.wait_for("What is your sex?" if english else "您的性别？")
        profile = await residents.get_profile(uow_factory(), user_id)
        assert profile.contract is None
        assert profile.resident.birth_year == 1960
        assert profile.resident.conditions == frozenset()


async def test_no_match_and_skip_carry_on_as_before(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    chat = make_chat(botapi, 3007, language_code="en")
    await consent(chat, english=True)
    await chat.share_contact("8613900001111")
    await chat.wait_for("We found no record of the centre with this number")
    await chat.send("1960")
    await chat.wait_for("What is your sex?")
    other = make_chat(botapi, 3008, language_code="zh-hans")
    await consent(other, english=False)
    await other.send("跳过")
    await other.wait_for("请问您是哪一年出生的")
    assert other.reply_keyboard() is None
    # Typing the year skips it too: the button goes away.
    third = make_chat(botapi, 3009, language_code="en")
    await consent(third, english=True)
    assert third.reply_keyboard() is not None
    await third.send("1960")
    await third.wait_for("What is your sex?")
    assert third.reply_keyboard() is None
