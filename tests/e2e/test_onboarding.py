"""A resident signs up through the Bot API test server, as a person would in Telegram."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from jiayi.sandbox.botapi import BotAPIServer, ChatClient
from jiayi.services import family, residents
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.residents import Condition, Sex
from tests.e2e.conftest import RunningBot, make_chat
from tests.factories import make_doctor

DOCTOR_LINK = "wang01"


async def sign_up_in_english(chat: ChatClient, *, deep_link: str | None = None) -> None:
    await chat.send(f"/start doc_{deep_link}" if deep_link else "/start")
    await chat.wait_for("Please choose your language")
    await chat.press("English")
    await chat.wait_for("Before we start: your health data")
    await chat.press("I agree")
    await chat.wait_for("What year were you born?")
    await chat.send("1956")
    await chat.wait_for("What is your sex?")
    await chat.press("Female")
    await chat.wait_for("Do any of these apply to you?")
    await chat.press("Hypertension")
    await chat.wait_for(predicate=lambda m: "✅ Hypertension" in m.button_texts())
    await chat.press("Done")
    if deep_link is None:
        await chat.wait_for("Choose your family doctor")
        await chat.press("Choose later")


async def test_full_onboarding_with_deep_link_child_and_restart(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
) -> None:
    doctor = await make_doctor(uow_factory, clock, "王医生", link_code=DOCTOR_LINK)
    chat = make_chat(botapi, language_code="en")

    await sign_up_in_english(chat, deep_link=DOCTOR_LINK)
    done = await chat.wait_for("You're all set!")
    assert "Your family doctor: 王医生" in done.text
    # The home keyboard replaces the menu under the message; "More" has the rest.
    assert chat.reply_keyboard() == [["Book", "My appointments"], ["Ask my doctor", "More"]]

    # Add one child through /family.
    await chat.send("/family")
    await chat.wait_for("You haven't added anyone yet")
    await chat.press("Add a family member")
    await chat.wait_for("Who would you like to add?")
    await chat.press("Child")
    await chat.wait_for("what name should we use")
    await chat.send("Xiaobao")
    await chat.wait_for("Their date of birth?")
    await chat.send("2024-03-15")
    await chat.wait_for("Their sex?")
    await chat.press("Male")
    # A child: none of the conditions asked about fits, so the question is skipped.
    consent = await chat.wait_for("Consent for Xiaobao")
    assert "parent or guardian" in consent.text
    await chat.press("I confirm")
    listed = await chat.wait_for("Added Xiaobao.")
    assert "Xiaobao — Child, born 15 Mar 2024" in listed.text

    # The bot restarts (memory FSM is lost); everything that matters was in the database.
    await jiayi.restart()
    await chat.send("/profile")
    profile = await chat.wait_for("My profile")
    assert "Birth year: 1956 (age 70)" in profile.text
    assert "Sex: Female" in profile.text
    assert "Conditions: Hypertension" in profile.text
    assert "Family doctor: 王医生" in profile.text
    assert "Family members: 1" in profile.text

    resident = await residents.get_resident(uow_factory(), chat.user.id)
    assert resident is not None
    assert resident.onboarded_at is not None
    assert resident.conditions == {Condition.HYPERTENSION}
    assert resident.sex is Sex.FEMALE
    view = await residents.get_profile(uow_factory(), chat.user.id)
    assert view.doctor is not None
    assert view.doctor.id == doctor.id
    members = await family.list_members(uow_factory(), chat.user.id)
    assert [(m.display_name, m.birth_date.isoformat()) for m in members] == [
        ("Xiaobao", "2024-03-15")
    ]


async def test_onboarding_in_chinese_and_choosing_a_doctor_from_the_list(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_doctor(uow_factory, clock, "李医生")
    chat = make_chat(botapi)
    await chat.send("/start")
    await chat.wait_for("请选择语言")
    await chat.press("简体中文")
    await chat.wait_for("敏感个人信息")
    await chat.press("我同意")
    await chat.wait_for("哪一年出生")
    await chat.send("1950年")
    await chat.wait_for("您的性别")
    await chat.press("男")
    await chat.wait_for("您是否有以下情况")
    await chat.press("以上都没有")
    await chat.wait_for("请选择您的家庭医生")
    await chat.press("李医生 · 阳光社区卫生服务中心")
    done = await chat.wait_for("注册完成")
    assert "您的家庭医生：李医生" in done.text


async def test_declining_consent_stores_no_personal_data(
    botapi: BotAPIServer, jiayi: RunningBot, database_url: str
) -> None:
    chat = make_chat(botapi, 4242, first_name="Secret Name")
    await chat.send("/start")
    await chat.wait_for("Please choose your language")
    await chat.press("English")
    await chat.wait_for("your health data")
    await chat.press("I don't agree")
    declined = await chat.wait_for("We have stored nothing about you")
    assert "/start" in declined.text

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM residents"))).scalar() == 0
            refusals = (await conn.execute(text("SELECT * FROM consent_refusals"))).all()
    finally:
        await engine.dispose()
    assert len(refusals) == 1
    # The one row is anonymous: no id, no name, nothing that points to the person.
    assert "4242" not in repr(refusals)
    assert "Secret" not in repr(refusals)
