"""Data rights end to end: sign up, book, export, forget — through the Bot API test server —
then nothing of theirs is left in the database or the logs, and no push reaches them."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.sandbox.botapi import BotAPIServer, ChatClient, TgUser
from jiayi.services import booking, careplans, family, residents
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.demo import DEMO_DOCTOR_USER_ID, seed_demo
from jiayi.services.family import NewMember, Relation
from jiayi.services.residents import Sex
from tests.e2e.conftest import RunningBot, make_chat, open_resident_card
from tests.e2e.test_onboarding import sign_up_in_english
from tests.factories import make_resident
from tests.privacy_scan import PersonalData, personal_data_left

SHANGHAI = ZoneInfo("Asia/Shanghai")
USER = 8101
FIRST_NAME = "Meihua"
LAST_NAME = "Linwood"
CHILD = "Xiaoqiao"
CHILD_BORN = date(2024, 2, 10)
BIRTH_YEAR = 1956  # what sign_up_in_english answers
DEMO_DOCTOR_LINK = "demowang"  # Dr Wang, whose Telegram account the demo seed binds
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

    # Sign up with Dr Wang and add a child, then book the child's vaccination.
    await sign_up_in_english(chat, deep_link=DEMO_DOCTOR_LINK)
    await chat.wait_for("You're all set!")
    await family.add_member(
        uow_factory(), clock, USER, NewMember(Relation.CHILD, CHILD, CHILD_BORN, Sex.FEMALE)
    )
    await chat.send("/book")
    await chat.wait_for("What would you like to book?")
    # The daily retention job runs in the bot; nothing is old enough to prune yet.
    assert await jiayi.jobs.prune_outbox() == 0
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
    # The day before, the first reminder arrives through the outbox.
    clock.set(appointment.starts_at - timedelta(hours=24))
    assert (await jiayi.jobs.dispatch()).sent == 1
    await chat.wait_for("Reminder: Childhood vaccinations tomorrow")

    # They attend a health lecture; their doctor records it and they earn health points.
    resident = await residents.get_resident(uow_factory(), USER)
    assert resident is not None
    doctor = make_chat(botapi, DEMO_DOCTOR_USER_ID, language_code="en")
    # The doctor opens their card (the resident will see that access in /mydata) and
    # presses the lecture button it offers.
    card = await open_resident_card(doctor, f"{FIRST_NAME} {LAST_NAME}")
    assert "Care plan: due and overdue" in card.text
    await doctor.press("Attended a health lecture", message=card)
    await doctor.wait_for(f"Record that {FIRST_NAME} {LAST_NAME} attended a health lecture today?")
    await doctor.press("Yes, record it")
    await doctor.wait_for(
        f"Recorded: {FIRST_NAME} {LAST_NAME} attended a health lecture, +15 points."
    )

    # Their doctor's daily care digest names them among the residents with overdue items.
    await careplans.set_digest_frequency(
        uow_factory(), clock, DEMO_DOCTOR_USER_ID, careplans.DigestFrequency.DAILY, "en"
    )
    await jiayi.jobs.plan_care()
    await jiayi.jobs.dispatch()
    digest = await doctor.wait_for("Overdue care items")
    assert f"{FIRST_NAME} {LAST_NAME}" in digest.text
    # Tomorrow's digest is queued, not sent yet, when they leave.
    clock.advance(timedelta(days=1))
    await jiayi.jobs.plan_care()

    # /mydata: a readable summary and the full file.
    await chat.send("/mydata")
    summary = await chat.wait_for("Your data in jiayi")
    assert FIRST_NAME in summary.text
    assert f"{CHILD} (Child, born 10 Feb 2024)" in summary.text
    assert "consent as parent or guardian, confirmed by you" in summary.text
    assert "Appointments: 1" in summary.text
    assert "Health points history: 1" in summary.text
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
    reminders = [m for m in data["messages"] if m["kind"] == "reminder"]
    assert sorted((m["kind"], m["status"]) for m in reminders) == [
        ("reminder", "pending"),
        ("reminder", "sent"),
    ]

    [earned] = data["points_ledger"]
    assert (earned["reason"], earned["delta"]) == ("lecture", 15)
    assert data["points_balance"][0]["balance"] == 15
    accesses = {(a["doctor_name"], a["action"]) for a in data["doctor_access"]}
    assert {("王医生 Dr Wang", "lecture"), ("王医生 Dr Wang", "card")} <= accesses

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
    # The doctor's next digest still goes out, for their other residents, without them.
    doctor_before = len(doctor.messages())
    await jiayi.jobs.dispatch()
    [next_digest] = doctor.messages()[doctor_before:]
    assert "Overdue care items" in next_digest.text
    assert FIRST_NAME not in next_digest.text

    # No push reaches them: not the booking's second reminder, not the next days' tips.
    before = len(chat.messages())
    clock.set(appointment.starts_at - timedelta(hours=2))
    await jiayi.jobs.plan()
    assert (await jiayi.jobs.dispatch()).sent == 0
    clock.set(appointment.starts_at + timedelta(days=2))
    await jiayi.jobs.plan()
    assert (await jiayi.jobs.dispatch()).sent == 0
    assert len(chat.messages()) == before

    # The logs of the whole run hold none of it either.
    secrets = [
        FIRST_NAME,
        LAST_NAME,
        CHILD,
        CHILD_BORN.isoformat(),
        str(BIRTH_YEAR),
        appointment.check_in_code,
        "hypertension",
        "Hypertension",
        # Bodies of messages both ways.
        "your health data",
        "What would you like to book",
        "Your data in jiayi",
        "Reminder: Childhood vaccinations",
    ]
    # APScheduler's own wake-up lines carry wall-clock floats ("in 3599.181018 seconds"), which
    # a random check-in code of digits can match by chance; they hold none of our data.
    ours = [line for line in captured_logs.lines if "Next wakeup is due at" not in line]
    leaks = [line for line in ours if any(s in line for s in secrets)]
    assert captured_logs.lines, "the log capture saw nothing"
    assert leaks == [], leaks
    # Telegram ids only where an operation needs them: never in DEBUG chatter of updates.
    with_id = [line for line in captured_logs.lines if str(USER) in line]
    assert with_id == [], with_id


MANAGER = 8201
GRANDMA = 8202
GRANDMA_NAME = "Nainai"


async def test_withdraw_stops_pushes_and_features_until_consent_is_given_again(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    await jiayi.jobs.materialize()
    await make_resident(uow_factory, clock, MANAGER, name="Chen", locale="en")
    services = await booking.list_services(uow_factory(), MANAGER)
    checkup = next(s for s in services if s.code == "health_checkup")
    day = next(
        d.day
        for d in await booking.available_days(
            uow_factory(), clock, MANAGER, checkup.id, None, SHANGHAI
        )
        if d.free and (d.day - clock.now().date()).days >= 2
    )
    slot = next(
        s
        for s in await booking.slots_on(
            uow_factory(), clock, MANAGER, checkup.id, None, day, SHANGHAI
        )
        if s.free
    )
    appointment = await booking.book(uow_factory(), clock, MANAGER, slot.id, None, SHANGHAI)
    chat = make_chat(botapi, MANAGER, language_code="en")

    await chat.send("/privacy")
    overview = await chat.wait_for("Privacy and your data")
    assert f"You agreed to privacy notice {CONSENT_NOTICE_VERSION}" in overview.text
    await chat.press("Withdraw consent")
    await chat.wait_for("Withdraw your consent?")
    await chat.press("Yes, withdraw my consent")
    await chat.wait_for("Your consent is withdrawn.")

    # The appointment reminder never comes.
    before = len(chat.messages())
    clock.set(appointment.starts_at - timedelta(hours=24))
    assert (await jiayi.jobs.dispatch()).sent == 0
    assert len(chat.messages()) == before
    # Features that use their data ask for consent first; data rights stay open.
    await chat.send("/book")
    asked = await chat.wait_for("You have withdrawn your consent")
    assert "Before we start: your health data" in asked.text
    await chat.press("I agree", message=asked)
    await chat.wait_for("Your consent to privacy notice")
    await chat.send("/book")
    await chat.wait_for("What would you like to book?")


async def test_outdated_consent_is_asked_again_before_anything_new(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    await make_resident(uow_factory, clock, MANAGER, name="Chen", locale="en")
    await residents.register(
        uow_factory(),
        clock,
        telegram_user_id=MANAGER,
        display_name="Chen",
        locale="en",
        notice_version="2025-01-v0",
    )
    chat = make_chat(botapi, MANAGER, language_code="en")

    await chat.send("/tips")
    asked = await chat.wait_for("Our privacy notice has changed")
    await chat.press("Privacy settings", message=asked)
    overview = await chat.wait_for("Privacy and your data")
    assert "You agreed to privacy notice 2025-01-v0" in overview.text
    await chat.press("Read the notice and agree")
    await chat.wait_for(f"Notice version {CONSENT_NOTICE_VERSION}")
    await chat.press("I agree")
    await chat.wait_for("Your consent to privacy notice")
    resident = await residents.get_resident(uow_factory(), MANAGER)
    assert resident is not None
    assert resident.consent_version == CONSENT_NOTICE_VERSION


async def test_grandmother_takes_over_her_own_account(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    await make_resident(uow_factory, clock, MANAGER, name="Chen", locale="en")
    await family.add_member(
        uow_factory(),
        clock,
        MANAGER,
        NewMember(Relation.PARENT, GRANDMA_NAME, date(1946, 5, 4), Sex.FEMALE),
    )
    chat = make_chat(botapi, MANAGER, language_code="en")
    await chat.send("/privacy")
    overview = await chat.wait_for("Privacy and your data")
    assert f"{GRANDMA_NAME} — managed at their request, confirmed by you" in overview.text
    await chat.press(f"Let {GRANDMA_NAME} use jiayi themselves")
    sent = await chat.wait_for("Send this link to")
    link = next(word for word in sent.text.split() if "start=tko_" in word)
    payload = link.split("start=", 1)[1]

    grandma = make_chat(botapi, GRANDMA, first_name="Granny", language_code="en")
    await grandma.send(f"/start {payload}")
    hello = await grandma.wait_for(f"Hello {GRANDMA_NAME}!")
    assert "Before we start: your health data" in hello.text
    await grandma.press("I agree")
    await grandma.wait_for("This is now your own account")
    await grandma.send("/profile")
    profile = await grandma.wait_for("My profile")
    assert f"Name: {GRANDMA_NAME}" in profile.text
    assert "Birth year: 1946" in profile.text

    await chat.send("/family")
    await chat.wait_for("You haven't added anyone yet")
    # The link works once (it went with the family-member entry).
    other = make_chat(botapi, GRANDMA + 1, language_code="en")
    await other.send(f"/start {payload}")
    await other.wait_for("This link is not valid")


# 07:30 on 23 November in Beijing, still 22 November in UTC.
EARLY_MORNING = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)


async def test_privacy_screens_and_export_show_local_dates(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    clock.set(EARLY_MORNING)
    await make_resident(uow_factory, clock, MANAGER, name="Chen", locale="en")
    await family.add_member(
        uow_factory(),
        clock,
        MANAGER,
        NewMember(Relation.PARENT, GRANDMA_NAME, date(1950, 3, 1), Sex.FEMALE),
    )
    chat = make_chat(botapi, MANAGER, language_code="en")

    await chat.send("/privacy")
    overview = await chat.wait_for("Privacy and your data")
    assert f"notice {CONSENT_NOTICE_VERSION} on Mon 23 Nov." in overview.text
    assert "confirmed by you on Mon 23 Nov" in overview.text
    assert "22 Nov" not in overview.text

    await chat.send("/mydata")
    summary = await chat.wait_for("Your data in jiayi")
    assert "(Mon 23 Nov)" in summary.text
    assert "agreed Mon 23 Nov" in summary.text
    assert "22 Nov" not in summary.text
    document = await chat.wait_for(predicate=lambda m: m.kind == "document")
    assert document.filename == "jiayi-mydata-2026-11-23.json"


async def test_removing_a_member_cancels_their_booking_and_says_so(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    """Mutation tried: the /family list without the members' buttons (`for member in
    members` skipped in bot/keyboards.py): the manager cannot open Grandma's page (the forged
    FamilyCD press used to pass)."""
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    await jiayi.jobs.materialize()
    await make_resident(uow_factory, clock, MANAGER, name="Chen", locale="en")
    grandma = await family.add_member(
        uow_factory(),
        clock,
        MANAGER,
        NewMember(Relation.PARENT, GRANDMA_NAME, date(1950, 3, 1), Sex.FEMALE),
    )
    services = await booking.list_services(uow_factory(), MANAGER)
    checkup = next(s for s in services if s.code == "health_checkup")
    day = next(
        d.day
        for d in await booking.available_days(
            uow_factory(), clock, MANAGER, checkup.id, grandma.id, SHANGHAI
        )
        if d.free and (d.day - clock.now().date()).days >= 2
    )
    slot = next(
        s
        for s in await booking.slots_on(
            uow_factory(), clock, MANAGER, checkup.id, grandma.id, day, SHANGHAI
        )
        if s.free
    )
    appointment = await booking.book(uow_factory(), clock, MANAGER, slot.id, grandma.id, SHANGHAI)
    free_before = (await booking.get_slot(uow_factory(), slot.id)).free
    chat = make_chat(botapi, MANAGER, language_code="en")

    await chat.send("/family")
    family_list = await chat.wait_reply()
    await chat.press(GRANDMA_NAME, message=family_list)
    member = await chat.wait_for(GRANDMA_NAME)
    await chat.press("Remove", message=member)
    await chat.wait_for(f"Remove {GRANDMA_NAME} and everything recorded about them?")
    await chat.press("Yes, remove")
    done = await chat.wait_for(f"Removed {GRANDMA_NAME}.")
    assert "Their upcoming bookings were cancelled: 1." in done.text

    # The seat is free for others, and no reminder about her appointment comes.
    assert (await booking.get_slot(uow_factory(), slot.id)).free == free_before + 1
    assert await booking.my_appointments(uow_factory(), clock, MANAGER) == []
    before = len(chat.messages())
    clock.set(appointment.starts_at - timedelta(hours=24))
    assert (await jiayi.jobs.dispatch()).sent == 0
    assert len(chat.messages()) == before
