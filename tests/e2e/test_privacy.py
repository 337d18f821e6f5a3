"""Data rights end to end: sign up, book, export, forget — through the Bot API test server —
then nothing of theirs is left in the database or the logs, and no push reaches them."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from sandbox.botapi import BotAPIServer, ChatClient, TgUser
from services import booking, family
from services.clock import ManualClock
from services.database import UnitOfWorkFactory
from services.demo import seed_demo
from services.family import NewMember, Relation
from services.residents import Sex
from tests.e2e.conftest import RunningBot
from tests.e2e.test_onboarding import sign_up_in_english
from tests.privacy_scan import PersonalData, personal_data_left

USER = 8101
FIRST_NAME = "Meihua"
LAST_NAME = "Linwood"
CHILD = "Xiaoqiao"
CHILD_BORN = date(2024, 2, 10)
BIRTH_YEAR = 1956  # what sign_up_in_english answers
# Loggers of the test's own stand-in for Telegram, not of jiayi.
FOREIGN_LOGGERS = ("sandbox", "aiohttp.access", "aiohttp.server", "asyncio")


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(FOREIGN_LOGGERS):
            return
        text = f"{record.name}: {record.getMessage()}"
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(text)


@pytest.fixture
def captured_logs() -> Iterator[Captured]:
    """Everything jiayi, aiogram and SQLAlchemy log at DEBUG, as an operator at JIAYI_LOG_LEVEL=
    DEBUG would see it."""
    handler = Captured()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


async def test_onboard_book_export_forget_leaves_nothing(
    botapi: BotAPIServer,
    captured_logs: Captured,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
) -> None:
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    await jiayi.jobs.materialize()
    chat = ChatClient(
        botapi, TgUser(id=USER, first_name=FIRST_NAME, last_name=LAST_NAME, language_code="en")
    )

    # Sign up and add a child, then book the child's vaccination.
    await sign_up_in_english(chat)
    await chat.wait_for("You're all set!")
    await family.add_member(
        uow_factory(), clock, USER, NewMember(Relation.CHILD, CHILD, CHILD_BORN, Sex.FEMALE)
    )
    await chat.send("/book")
    await chat.wait_for("What would you like to book?")
    await chat.press("Childhood vaccinations")
    await chat.wait_for("Who is the appointment for?")
    await chat.press(CHILD)
    days = await chat.wait_for("Choose a day:")
    await chat.press([t for t in days.button_texts() if "free" in t][2])
    times = await chat.wait_for("choose a time")
    await chat.press(next(t for t in times.button_texts() if "free" in t))
    await chat.wait_for("Please check and confirm")
    await chat.press("Confirm booking")
    await chat.wait_for("Booked ✓")
    [appointment] = await booking.my_appointments(uow_factory(), clock, USER)

    # /mydata: a readable summary and the full file.
    await chat.send("/mydata")
    summary = await chat.wait_for("Your data in jiayi")
    assert FIRST_NAME in summary.text
    assert f"{CHILD} (Child, born {CHILD_BORN.isoformat()})" in summary.text
    assert "consent as parent or guardian, confirmed by you" in summary.text
    assert "Appointments: 1" in summary.text
    document = await chat.wait_for(predicate=lambda m: m.kind == "document")
    assert document.file_bytes is not None
    data = json.loads(document.file_bytes)["sections"]
    assert data["profile"]["telegram_user_id"] == USER
    assert data["profile"]["birth_year"] == BIRTH_YEAR
    assert data["profile"]["conditions"] == ["hypertension"]
    assert [m["name"] for m in data["family_members"]] == [CHILD]
    [exported] = data["appointments"]
    assert exported["check_in_code"] == appointment.check_in_code
    assert exported["person_name"] == CHILD
    assert {m["kind"] for m in data["messages"]} == {"reminder"}

    # /forget, after a confirmation.
    await chat.send("/forget")
    await chat.wait_for("Delete all your data?")
    await chat.press("Yes, delete everything")
    await chat.wait_for("has been deleted")

    personal = PersonalData(
        telegram_ids=(USER,),
        names=(FIRST_NAME, LAST_NAME, CHILD),
        birth_years=(BIRTH_YEAR,),
        birth_dates=(CHILD_BORN,),
    )
    assert await personal_data_left(uow_factory, personal) == []

    # No push reaches them: not the booking's reminders, not the next days' tips.
    before = len(chat.messages())
    clock.set(appointment.starts_at - timedelta(hours=24))
    await jiayi.jobs.plan()
    report = await jiayi.jobs.dispatch()
    assert report.sent == 0
    clock.set(appointment.starts_at - timedelta(hours=2))
    assert (await jiayi.jobs.dispatch()).sent == 0
    assert len(chat.messages()) == before

    # The logs of the whole run hold none of it either.
    secrets = [FIRST_NAME, LAST_NAME, CHILD, CHILD_BORN.isoformat(), appointment.check_in_code]
    leaks = [line for line in captured_logs.lines if any(s in line for s in secrets)]
    assert captured_logs.lines, "the log capture saw nothing"
    assert leaks == [], leaks
    # Telegram ids only where an operation needs them: never in DEBUG chatter of updates.
    with_id = [line for line in captured_logs.lines if str(USER) in line]
    assert with_id == [], with_id
