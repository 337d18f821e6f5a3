"""Broadcast scheduling without exact formats (issue #21): quick picks 今晚7点 · 明早9点 ·
选择日期, and typed times such as "明天早上9点", read in the centre's time zone."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from jiayi.content.dates import when_words
from jiayi.sandbox.botapi import BotAPIServer, ChatClient
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.settings import Settings
from tests.e2e.conftest import RunningBot, make_chat
from tests.e2e.test_doctor_console import WANG, _practice

LABELS = {
    "en": {
        "skip": "Skip",
        "continue": "Continue",
        "schedule": "Schedule…",
        "when": "When should it go out?",
        "tomorrow": "Tomorrow 9 am",
        "pick": "Pick a date",
        "which": "Which day?",
        "scheduled": "Scheduled for {at}",
        "confirm": "Confirm schedule",
    },
    "zh-hans": {
        "skip": "跳过",
        "continue": "继续",
        "schedule": "定时发送…",
        "when": "什么时候发送？",
        "tomorrow": "明早9点",
        "pick": "选择日期",
        "which": "哪一天？",
        "scheduled": "定时发送：{at}",
        "confirm": "确认定时发送",
    },
}


async def _to_schedule(doctor: ChatClient, t: dict[str, str]) -> None:
    await doctor.send("/broadcast")
    await doctor.wait_reply()
    await doctor.send("Flu shots from Monday")
    await doctor.wait_for(predicate=lambda m: t["skip"] in m.button_texts())
    await doctor.press(t["skip"])
    await doctor.wait_for(predicate=lambda m: t["continue"] in m.button_texts())
    await doctor.press(t["continue"])
    await doctor.wait_for(predicate=lambda m: t["schedule"] in m.button_texts())
    await doctor.press(t["schedule"])


def _local(settings: Settings, clock: ManualClock, days: int, hour: int, language: str) -> str:
    """The start as the confirm screen says it: in words, in the doctor's language."""
    today = clock.now().astimezone(settings.zone).date()
    at = datetime.combine(today + timedelta(days=days), time(hour), settings.zone)
    return when_words(at, "zh-CN" if language.startswith("zh") else "en", today=today)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
async def test_quick_pick_tomorrow_morning(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    settings: Settings,
    uow_factory: UnitOfWorkFactory,
    language: str,
) -> None:
    """Fails without the code: the schedule step had no buttons, only "send the local date and
    time like 2026-11-24 09:00"."""
    t = LABELS[language]
    await _practice(uow_factory, clock)
    doctor = make_chat(botapi, WANG, first_name="Wang", language_code=language)
    await _to_schedule(doctor, t)
    asked = await doctor.wait_for(t["when"])
    assert t["tomorrow"] in asked.button_texts()
    assert t["pick"] in asked.button_texts()
    await doctor.press(t["tomorrow"], message=asked)
    confirm = await doctor.wait_for(
        t["scheduled"].format(at=_local(settings, clock, 1, 9, language))
    )
    assert t["confirm"] in confirm.button_texts()


@pytest.mark.parametrize(
    ("language", "typed", "days", "hour"),
    [
        ("zh-hans", "明天早上9点", 1, 9),
        ("en", "tomorrow 9am", 1, 9),
        ("zh-hans", "后天晚上8点", 2, 20),
    ],
)
async def test_typed_times_in_words(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    settings: Settings,
    uow_factory: UnitOfWorkFactory,
    language: str,
    typed: str,
    days: int,
    hour: int,
) -> None:
    """Fails without the code: "明天早上9点" got "Please send the date and time like
    2026-11-24 09:00."."""
    t = LABELS[language]
    await _practice(uow_factory, clock)
    doctor = make_chat(botapi, WANG, first_name="Wang", language_code=language)
    await _to_schedule(doctor, t)
    await doctor.wait_for(t["when"])
    await doctor.send(typed)
    await doctor.wait_for(t["scheduled"].format(at=_local(settings, clock, days, hour, language)))


async def test_pick_a_date_then_an_hour(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    settings: Settings,
    uow_factory: UnitOfWorkFactory,
) -> None:
    t = LABELS["en"]
    await _practice(uow_factory, clock)
    doctor = make_chat(botapi, WANG, first_name="Wang", language_code="en")
    await _to_schedule(doctor, t)
    asked = await doctor.wait_for(t["when"])
    await doctor.press(t["pick"], message=asked)
    days = await doctor.wait_for(t["which"])
    third = days.button_texts()[2]
    await doctor.press(third, message=days)
    hours = await doctor.wait_for("What time on")
    assert "3:00 pm" in hours.button_texts()
    await doctor.press("3:00 pm", message=hours)
    await doctor.wait_for(predicate=lambda m: "Scheduled for" in m.text and "3:00 pm" in m.text)
