"""Bad input gets a short, clear answer and loses nothing. Never silence, never a traceback."""

from __future__ import annotations

from datetime import date

from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services import doctors, family, residents
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.family import NewMember, Relation
from jiayi.services.residents import Sex
from tests.e2e.conftest import RunningBot, make_chat
from tests.e2e.test_onboarding import sign_up_in_english
from tests.factories import CENTRE_CODE, INVITE_TTL, make_centre, make_doctor, make_resident


async def test_profile_before_signing_up(botapi: BotAPIServer, jiayi: RunningBot) -> None:
    chat = make_chat(botapi, language_code="en")
    await chat.send("/profile")
    reply = await chat.wait_for("You haven't signed up yet")
    assert "/start" in reply.text
    await chat.send("/family")
    await chat.wait_for("You haven't signed up yet")


async def test_free_text_where_a_button_is_expected(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory
) -> None:
    chat = make_chat(botapi, language_code="en")
    await chat.send("/start")
    await chat.wait_for("Please choose your language")
    await chat.send("english please")
    await chat.wait_for("Please choose a language with the buttons above.")
    await chat.press("English")
    await chat.wait_for("your health data")
    await chat.send("yes")
    await chat.wait_for("Please tap one of the buttons above, or send /cancel.")
    # Nothing was stored by typing; the buttons still work.
    assert await residents.get_resident(uow_factory(), chat.user.id) is None
    await chat.press("I agree")
    await chat.wait_for("What year were you born?")
    await chat.send("nineteen fifty")
    await chat.wait_for("Please send a four-digit year")
    await chat.send("1850")
    await chat.wait_for("Please send a year between")
    await chat.send("1961")
    await chat.wait_for("What is your sex?")
    resident = await residents.get_resident(uow_factory(), chat.user.id)
    assert resident is not None
    assert resident.birth_year == 1961


async def test_forged_and_stale_callbacks(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory
) -> None:
    chat = make_chat(botapi, language_code="en")
    await chat.send("/help")
    await chat.wait_for("How jiayi works")
    await chat.press_data("totally:forged:data")
    await chat.wait_for("That button is no longer active. Send /start to begin.")

    await sign_up_in_english(chat)
    await chat.wait_for("You're all set!")
    # A consent button pressed again long after sign-up changes nothing.
    await chat.press_data("consent:0")
    reply = await chat.wait_for("That button is no longer active.")
    assert "Main menu" in reply.text
    assert await residents.get_resident(uow_factory(), chat.user.id) is not None
    # A doctor id that never existed.
    await chat.send("/profile")
    await chat.wait_for("My profile")
    await chat.press("Change family doctor")
    await chat.wait_for("Choose your family doctor")
    await chat.press_data("doc:999999")
    await chat.wait_for("That doctor is no longer available")


async def test_duplicate_start_keeps_the_profile(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory
) -> None:
    chat = make_chat(botapi, language_code="en")
    await sign_up_in_english(chat)
    await chat.wait_for("You're all set!")
    before = await residents.get_resident(uow_factory(), chat.user.id)
    await chat.send("/start")
    again = await chat.wait_for("Welcome back!")
    assert "Main menu" in again.text
    after = await residents.get_resident(uow_factory(), chat.user.id)
    assert after == before


async def test_unknown_command_and_stray_text_get_the_menu(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, 1001, locale="en")
    chat = make_chat(botapi, 1001)
    await chat.send("/frobnicate")
    reply = await chat.wait_for("I don't know that command.")
    assert "My profile" in reply.button_texts()
    await chat.send("hello?")
    await chat.wait_for("In an emergency, call 120 now.")


async def test_cannot_open_another_residents_family_member(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, 1001)
    await make_resident(uow_factory, clock, 2002, locale="en")
    child = await family.add_member(
        uow_factory(),
        clock,
        1001,
        NewMember(Relation.CHILD, "小宝", date(2024, 3, 15), Sex.MALE),
    )
    intruder = make_chat(botapi, 2002)
    await intruder.send("/family")
    await intruder.wait_for("You haven't added anyone yet")
    for forged in (f"fam:open:{child.id}", f"fam:rm_yes:{child.id}", f"medit:{child.id}:name"):
        await intruder.press_data(forged)
        refused = await intruder.wait_for("Sorry, you can't do that.")
        assert "小宝" not in refused.text
    assert all("小宝" not in m.text for m in intruder.messages())
    still_there = await family.get_member(uow_factory(), 1001, child.id)
    assert still_there.display_name == "小宝"


async def test_deep_link_for_an_existing_resident_offers_a_switch(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, 1001, locale="en")
    other = await make_doctor(uow_factory, clock, "李医生", link_code="li02")
    chat = make_chat(botapi, 1001)
    await chat.send("/start doc_li02")
    await chat.wait_for("Make 李医生")
    await chat.press("Yes, switch")
    saved = await chat.wait_for("Saved.")
    assert "Family doctor: 李医生" in saved.text
    view = await residents.get_profile(uow_factory(), 1001)
    assert view.doctor is not None
    assert view.doctor.id == other.id
    await chat.send("/start doc_nobody")
    await chat.wait_for("That doctor link isn't valid any more")


async def test_doctor_invite_link_works_once(
    botapi: BotAPIServer, jiayi: RunningBot, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_centre(uow_factory, clock)
    link = await doctors.create_invite(
        uow_factory(), clock, name="赵医生", centre_code=CENTRE_CODE, ttl=INVITE_TTL
    )
    doctor_chat = make_chat(botapi, 3003, language_code="en")
    await doctor_chat.send(f"/start {link.payload}")
    welcome = await doctor_chat.wait_for("You are now registered as a family doctor")
    assert "https://t.me/jiayi_test_bot?start=doc_" in welcome.text
    scope = {"type": "chat", "chat_id": 3003}
    doctor_menu = [c["command"] for c in botapi.commands(scope=scope)]
    assert doctor_menu[:3] == ["today", "tomorrow", "checkin"]
    thief = make_chat(botapi, 3004, language_code="en")
    await thief.send(f"/start {link.payload}")
    await thief.wait_for("This invite link has already been used.")
    assert await doctors.doctor_for_user(uow_factory(), 3004) is None


async def test_commands_are_registered_in_both_languages(
    botapi: BotAPIServer, jiayi: RunningBot
) -> None:
    zh = {c["command"]: c["description"] for c in botapi.commands(language_code="zh")}
    en = {c["command"]: c["description"] for c in botapi.commands(language_code="en")}
    default = {c["command"]: c["description"] for c in botapi.commands()}
    assert (
        set(zh)
        == set(en)
        == {
            "menu",
            "book",
            "appointments",
            "plan",
            "profile",
            "family",
            "tips",
            "points",
            "reading",
            "readings",
            "ask",
            "language",
            "privacy",
            "mydata",
            "forget",
            "help",
            "cancel",
            "start",
        }
    )
    assert zh["profile"] == "我的资料"
    assert en["profile"] == "My profile"
    assert default == zh  # the default locale is zh-CN
