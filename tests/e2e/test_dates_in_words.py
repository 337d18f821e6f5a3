"""Residents read dates and times in words in their language (12月9日（周三）上午8:30 /
Wed 9 Dec, 8:30 am), never `2026-12-09 08:30`, and statuses in words, never internal names
(issue #21). Checked through the Bot API test server, in both languages, over whole stories:
every message the resident was sent (each send and edit) is scanned for ISO dates."""

from __future__ import annotations

import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from jiayi.content.dates import time_words
from jiayi.sandbox.botapi import BotAPIServer, ChatClient
from jiayi.services import booking, family
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.demo import seed_demo
from jiayi.services.family import NewMember, Relation
from jiayi.services.residents import Sex
from tests.e2e.conftest import RunningBot, make_chat
from tests.factories import make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
RESIDENT = 4101
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
CLOCK_24H = re.compile(r"(?<![\d:])(?:0\d|1[3-9]|2[0-3]):[0-5]\d")

# The language's words for a date and time (weekday included), and what they must not be.
WHEN = {
    "zh-CN": re.compile(
        r"\d{1,2}月\d{1,2}日（周[一二三四五六日]）(?:凌晨|早上|上午|中午|下午|晚上)\d{1,2}:\d{2}"
    ),
    "en": re.compile(
        r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} "
        r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec), \d{1,2}:\d{2} (?:am|pm)"
    ),
}
DAY = {
    "zh-CN": re.compile(r"\d{1,2}月\d{1,2}日（周[一二三四五六日]）"),
    "en": re.compile(
        r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} "
        r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    ),
}
LANGUAGE_CODE = {"zh-CN": "zh-hans", "en": "en"}
TEXT = {
    "zh-CN": {
        "book": "您想预约什么服务？",
        "checkup": "健康体检",
        "day": "请选择日期",
        "time": "请选择时间",
        "confirm": "确认预约",
        "check": "请核对并确认预约",
        "booked": "预约成功 ✓",
        "list": "您即将到来的预约",
        "reminder": "提醒：明天的健康体检",
        "cancel": "取消预约",
        "cancel_ask": "确定取消这个预约吗",
        "cancel_yes": "确认取消",
        "cancelled": "预约已取消",
        "status": "状态：您已取消",
        "plan": "健康计划",
        "mydata": "家医保存的您的信息",
        "born": "2024年3月15日出生",
    },
    "en": {
        "book": "What would you like to book?",
        "checkup": "Health check-up",
        "day": "Choose a day:",
        "time": "choose a time",
        "confirm": "Confirm booking",
        "check": "Please check and confirm",
        "booked": "Booked ✓",
        "list": "Your upcoming appointments:",
        "reminder": "Reminder: Health check-up tomorrow",
        "cancel": "Cancel appointment",
        "cancel_ask": "Cancel this appointment?",
        "cancel_yes": "Yes, cancel it",
        "cancelled": "The appointment is cancelled.",
        "status": "Status: cancelled by you",
        "plan": "Care plan",
        "mydata": "Your data in jiayi",
        "born": "born 15 Mar 2024",
    },
}


def _everything_read(botapi: BotAPIServer, chat: ChatClient) -> list[str]:
    """Every text and caption the resident was shown, each send and edit (files excluded:
    the .ics and the JSON export are for machines)."""
    return [
        event.message.text
        for event in botapi.events(chat.chat_id)
        if event.kind != "delete" and event.message.kind != "document"
    ]


def _assert_no_machine_dates(botapi: BotAPIServer, chat: ChatClient) -> None:
    read = _everything_read(botapi, chat)
    assert read
    for text in read:
        assert not ISO_DATE.search(text), text
        assert not CLOCK_24H.search(text), text
    for event in botapi.events(chat.chat_id):
        for label in event.message.button_texts():
            assert not ISO_DATE.search(label), label
            assert not CLOCK_24H.search(label), label


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
async def test_booking_reminder_and_cancelled_card_say_dates_and_status_in_words(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
    locale: str,
) -> None:
    """Mutations caught: book_confirm/booked/reminder back to strftime("%Y-%m-%d %H:%M"); the
    slot buttons back to "%H:%M"; appointment.j2 printing `status` as stored."""
    t = TEXT[locale]
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    await jiayi.jobs.materialize()
    await make_resident(uow_factory, clock, RESIDENT, name="Chen", locale=locale)
    chat = make_chat(botapi, RESIDENT, language_code=LANGUAGE_CODE[locale])

    await chat.send("/book")
    await chat.wait_for(t["book"])
    await chat.press(t["checkup"])
    days = await chat.wait_for(t["day"])
    day_buttons = [b for b in days.button_texts() if DAY[locale].match(b)]
    assert len(day_buttons) >= 3, days.button_texts()
    await chat.press(day_buttons[2])  # far enough ahead for the 24-hour reminder
    times = await chat.wait_for(t["time"])
    free = [b for b in times.button_texts() if "free" in b or "余" in b]
    assert free, times.button_texts()
    await chat.press(free[0])
    check = await chat.wait_for(t["check"])
    assert WHEN[locale].search(check.text), check.text
    await chat.press(t["confirm"])
    booked = await chat.wait_for(t["booked"])
    assert WHEN[locale].search(booked.text), booked.text
    [appointment] = await booking.my_appointments(uow_factory(), clock, RESIDENT)
    local = appointment.starts_at.astimezone(SHANGHAI)
    # The time the resident picked is the one the card says, in words.
    assert free[0].startswith(time_words(local, locale))
    assert time_words(local, locale) in booked.text

    await chat.send("/appointments")
    listed = await chat.wait_for(t["list"])
    [row] = [b for b in listed.buttons for b in b if WHEN[locale].match(b.text)]
    stale_open = row.callback_data
    assert stale_open is not None

    # The reminder the day before says the day and time in words.
    clock.set(appointment.starts_at - timedelta(hours=24))
    await jiayi.jobs.dispatch()
    reminder = await chat.wait_for(t["reminder"])
    assert WHEN[locale].search(reminder.text), reminder.text

    await chat.press(t["cancel"], message=reminder)
    await chat.wait_for(t["cancel_ask"])
    await chat.press(t["cancel_yes"])
    await chat.wait_for(t["cancelled"])
    # An old list button opens the card: its status is in words, not `cancelled_resident`.
    await chat.press_data(stale_open, message=listed)
    card = await chat.wait_for(t["status"])
    assert "cancelled_resident" not in card.text
    assert WHEN[locale].search(card.text), card.text

    _assert_no_machine_dates(botapi, chat)


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
async def test_plan_and_mydata_say_dates_in_words(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
    locale: str,
) -> None:
    """Mutation caught: care_plan.j2 / mydata.j2 back to the `ymd` filter (2026-11-23)."""
    t = TEXT[locale]
    await make_resident(uow_factory, clock, RESIDENT, name="Chen", locale=locale)
    await family.add_member(
        uow_factory(),
        clock,
        RESIDENT,
        NewMember(Relation.CHILD, "Xiaobao", date(2024, 3, 15), Sex.MALE),
    )
    chat = make_chat(botapi, RESIDENT, language_code=LANGUAGE_CODE[locale])

    await chat.send("/plan")
    plan = await chat.wait_for(t["plan"])
    assert DAY[locale].search(plan.text), plan.text

    await chat.send("/mydata")
    summary = await chat.wait_for(t["mydata"])
    assert t["born"] in summary.text
    # Generated and agreed today (Monday 23 November 2026 in Shanghai): no year, a weekday.
    today = "11月23日（周一）" if locale == "zh-CN" else "Mon 23 Nov"
    assert today in summary.text
    await chat.wait_for(predicate=lambda m: m.kind == "document")

    _assert_no_machine_dates(botapi, chat)
