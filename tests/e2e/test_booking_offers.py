"""Booking offers only what can succeed (issue #21): the person list keeps to whom the service's
age rules allow and says who is left out and why; an existing appointment is named when the
service is chosen, not at the confirmation; buttons of finished steps go; the contract
confirmation reminder can be booked; a household's care items due together arrive as one card."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services import booking, doctors, family, residents
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.demo import seed_demo
from jiayi.services.family import NewMember, Relation
from jiayi.services.residents import Condition, Sex
from tests.e2e.conftest import RunningBot, make_chat
from tests.factories import make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
PARENT = 4101
ALONE = 4102

# What the resident reads, per language.
TEXT = {
    "en": {
        "lang": "en",
        "child_vaccines": "Childhood vaccinations",
        "checkup": "Health check-up",
        "who": "Who is the appointment for?",
        "not_for": "Not for Chen, Grandpa: Childhood vaccinations is only for people aged 0 "
        "months to 6 years.",
        "nobody": "Nobody in your household can book Childhood vaccinations now.",
        "not_for_alone": "Not for Lin: Childhood vaccinations is only for people aged 0 months "
        "to 6 years.",
        "back": "« Back",
        "cancel": "Cancel",
        "already": "You already have an appointment for Health check-up",
        "booked_button": "Booked: Lin · ",
        "days": "Choose a day:",
    },
    "zh-CN": {
        "lang": "zh-hans",
        "child_vaccines": "儿童计划免疫接种",
        "checkup": "健康体检",
        "who": "为谁预约？",
        "not_for": "Chen、Grandpa不能预约：儿童计划免疫接种只适用于0个月至6岁的人。",
        "nobody": "您家中暂时没有人可以预约儿童计划免疫接种。",
        "not_for_alone": "Lin不能预约：儿童计划免疫接种只适用于0个月至6岁的人。",
        "back": "« 返回",
        "cancel": "取消",
        "already": "您已预约健康体检",
        "booked_button": "已预约：Lin · ",
        "days": "请选择日期：",
    },
}


async def _family(uow_factory: UnitOfWorkFactory, clock: ManualClock, locale: str) -> None:
    await make_resident(uow_factory, clock, PARENT, name="Chen", locale=locale, birth_year=1990)
    for member in (
        NewMember(Relation.CHILD, "Xiaobao", date(2024, 3, 15), Sex.MALE),
        NewMember(Relation.PARENT, "Grandpa", date(1951, 5, 2), Sex.MALE),
    ):
        await family.add_member(uow_factory(), clock, PARENT, member)


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
async def test_person_list_keeps_to_who_the_age_rules_allow(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
    locale: str,
) -> None:
    t = TEXT[locale]
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    await jiayi.jobs.materialize()
    await _family(uow_factory, clock, locale)
    chat = make_chat(botapi, PARENT, language_code=t["lang"])

    await chat.send("/book")
    services = await chat.wait_for(predicate=lambda m: t["child_vaccines"] in m.button_texts())
    await chat.press(t["child_vaccines"], message=services)
    people = await chat.wait_for(t["who"])
    # Only the toddler can be booked; the adults are named with the reason, not offered.
    assert people.button_texts() == ["Xiaobao", t["back"], t["cancel"]]
    assert t["not_for"] in people.text
    await chat.press("Xiaobao", message=people)
    await chat.wait_for(t["days"])

    # Someone with nobody who fits is told so plainly, with a way back.
    await make_resident(uow_factory, clock, ALONE, name="Lin", locale=locale, birth_year=1958)
    alone = make_chat(botapi, ALONE, language_code=t["lang"])
    await alone.send("/book")
    services = await alone.wait_for(predicate=lambda m: t["child_vaccines"] in m.button_texts())
    await alone.press(t["child_vaccines"], message=services)
    refused = await alone.wait_for(t["nobody"])
    assert t["not_for_alone"] in refused.text
    assert refused.button_texts() == [t["back"], t["cancel"]]


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
async def test_an_existing_appointment_is_named_when_the_service_is_chosen(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
    locale: str,
) -> None:
    t = TEXT[locale]
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    await jiayi.jobs.materialize()
    await make_resident(uow_factory, clock, ALONE, name="Lin", locale=locale, birth_year=1958)
    service = next(
        s for s in await booking.list_services(uow_factory(), ALONE) if s.code == "health_checkup"
    )
    [day, *_] = [
        d.day
        for d in await booking.available_days(
            uow_factory(), clock, ALONE, service.id, None, SHANGHAI
        )
        if d.free
    ]
    slot = next(
        s
        for s in await booking.slots_on(
            uow_factory(), clock, ALONE, service.id, None, day, SHANGHAI
        )
        if s.free
    )
    await booking.book(uow_factory(), clock, ALONE, slot.id, None, SHANGHAI)
    chat = make_chat(botapi, ALONE, language_code=t["lang"])

    await chat.send("/book")
    services = await chat.wait_for(predicate=lambda m: t["checkup"] in m.button_texts())
    await chat.press(t["checkup"], message=services)
    said = await chat.wait_for(t["already"])
    # No days to choose from: the way on is the appointment itself.
    assert [b for b in said.button_texts() if b.startswith(t["booked_button"])]
    assert t["days"] not in said.text


async def test_finished_booking_steps_lose_their_buttons(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    await jiayi.jobs.materialize()
    await make_resident(uow_factory, clock, ALONE, name="Lin", locale="en", birth_year=1958)
    chat = make_chat(botapi, ALONE, language_code="en")

    # Two booking screens open (say, /book sent twice); the booking is made in the second.
    await chat.send("/book")
    first = await chat.wait_for("What would you like to book?")
    await chat.send("/book")
    second = await chat.wait_for("What would you like to book?")
    await chat.press("Health check-up", message=second)
    days = await chat.wait_for("Choose a day:")
    await chat.press(next(t for t in days.button_texts() if "free" in t))
    times = await chat.wait_for("choose a time")
    await chat.press(next(t for t in times.button_texts() if "free" in t))
    confirm = await chat.wait_for("Please check and confirm")
    await chat.press("Confirm booking", message=confirm)
    booked = await chat.wait_for("Booked ✓")
    assert chat._current(confirm).buttons == []

    # The older screen answers with what is true now, not with days that can't be booked.
    await chat.press("Health check-up", message=first)
    await chat.wait_for("You already have an appointment for Health check-up")

    # Cancelling from the appointment's card asks in place; afterwards nothing stale remains.
    await chat.press("Cancel appointment", message=booked)
    await chat.wait_for("Cancel this appointment?")
    await chat.press("Yes, cancel it")
    await chat.wait_for("The appointment is cancelled.")
    left = [b for m in chat.messages() for b in m.button_texts()]
    assert "Cancel appointment" not in left
    assert "Reschedule" not in left


async def test_a_stale_reminder_button_shows_the_appointment_as_it_is(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    await jiayi.jobs.materialize()
    await make_resident(uow_factory, clock, ALONE, name="Lin", locale="en", birth_year=1958)
    service = next(
        s for s in await booking.list_services(uow_factory(), ALONE) if s.code == "health_checkup"
    )
    days = [
        d.day
        for d in await booking.available_days(
            uow_factory(), clock, ALONE, service.id, None, SHANGHAI
        )
        if d.free
    ]
    slot = next(
        s
        for s in await booking.slots_on(
            uow_factory(), clock, ALONE, service.id, None, days[2], SHANGHAI
        )
        if s.free
    )
    appt = await booking.book(uow_factory(), clock, ALONE, slot.id, None, SHANGHAI)
    chat = make_chat(botapi, ALONE, language_code="en")
    chat.open()
    clock.set(appt.starts_at - timedelta(hours=24))
    await jiayi.jobs.dispatch()
    reminder = await chat.wait_for("Reminder: Health check-up tomorrow")
    await booking.cancel(uow_factory(), clock, ALONE, appt.id)  # e.g. from another device

    await chat.press("Cancel appointment", message=reminder)
    now = await chat.wait_for(predicate=lambda m: appt.check_in_code in m.text)
    # Not a question that can only be refused: the appointment as it is, with what still works.
    assert "Cancel this appointment?" not in now.text
    assert now.button_texts() == ["My appointments"]


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
async def test_contract_confirmation_reminder_can_be_booked(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
    locale: str,
) -> None:
    t = TEXT[locale]
    name = {"en": "Yearly family-doctor contract confirmation", "zh-CN": "家庭医生签约年度确认"}
    book_now = {"en": "Book now", "zh-CN": "立即预约"}[locale]
    clock.set(datetime.combine(date(2026, 12, 2), time(10), tzinfo=SHANGHAI).astimezone(UTC))
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    await jiayi.jobs.materialize()
    await make_resident(uow_factory, clock, ALONE, name="Lin", locale=locale, birth_year=1990)
    doctor = await doctors.doctor_by_link(uow_factory(), "demowang")
    assert doctor is not None
    await residents.choose_doctor(uow_factory(), clock, ALONE, doctor.id, SHANGHAI)
    chat = make_chat(botapi, ALONE, language_code=t["lang"])
    chat.open()

    await jiayi.jobs.plan_care()
    await jiayi.jobs.dispatch()
    reminder = await chat.wait_for(name[locale])
    if book_now not in reminder.button_texts():  # in a household card: open the item
        await chat.press(name[locale], message=reminder)
        reminder = await chat.wait_for(predicate=lambda m: book_now in m.button_texts())
    await chat.press(book_now, message=reminder)
    await chat.wait_for(t["days"])


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
async def test_a_parent_added_late_brings_one_card(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
    locale: str,
) -> None:
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    await jiayi.jobs.materialize()
    await make_resident(uow_factory, clock, PARENT, name="Chen", locale=locale, birth_year=1990)
    chat = make_chat(botapi, PARENT, language_code=TEXT[locale]["lang"])
    chat.open()
    await jiayi.jobs.plan_care()
    await jiayi.jobs.dispatch()
    before = len(chat.messages())

    await family.add_member(
        uow_factory(),
        clock,
        PARENT,
        NewMember(
            Relation.PARENT,
            "Grandpa",
            date(1950, 5, 2),
            Sex.MALE,
            frozenset({Condition.HYPERTENSION, Condition.DIABETES}),
        ),
    )
    await jiayi.jobs.plan_care()
    await jiayi.jobs.dispatch()
    card = await chat.wait_for("Grandpa")
    # Several items are due for him at once: one message, one line and one button each.
    assert len(chat.messages()) == before + 1
    items = [b for b in card.button_texts() if "Grandpa" in b]
    assert len(items) >= 3
    assert card.text.count("Grandpa") >= len(items)


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
async def test_a_service_for_women_is_offered_to_women_only(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
    locale: str,
) -> None:
    t = TEXT[locale]
    service = {"en": "Antenatal and postnatal care", "zh-CN": "孕产妇保健"}[locale]
    not_for = {
        "en": "Not for Chen: Antenatal and postnatal care is only for women.",
        "zh-CN": "Chen不能预约：孕产妇保健只适用于女性。",
    }[locale]
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    await jiayi.jobs.materialize()
    await make_resident(
        uow_factory, clock, PARENT, name="Chen", locale=locale, birth_year=1990, sex=Sex.MALE
    )
    await family.add_member(
        uow_factory(),
        clock,
        PARENT,
        NewMember(Relation.SPOUSE, "Mei", date(1993, 6, 1), Sex.FEMALE),
    )
    chat = make_chat(botapi, PARENT, language_code=t["lang"])

    await chat.send("/book")
    services = await chat.wait_for(predicate=lambda m: service in m.button_texts())
    await chat.press(service, message=services)
    people = await chat.wait_for(t["who"])
    assert people.button_texts() == ["Mei", t["back"], t["cancel"]]
    assert not_for in people.text
