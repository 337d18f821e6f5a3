"""Lists a doctor reads fit Telegram's limits at realistic volumes: the real bot, the Bot API
test server (which refuses a message over 4,096 characters), both databases."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services import booking, booking_setup, careplans, doctors, questions, residents
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.residents import Condition
from jiayi.storage.records import DoctorRecord
from tests.e2e.conftest import RunningBot, make_chat
from tests.factories import CENTRE_CODE, INVITE_TTL, make_centre, make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
DOCTOR = 900
FIRST_RESIDENT = 10_000
APPOINTMENTS = 96
SORRY = "Sorry, something went wrong"
DAY = date(2026, 11, 25)  # a Wednesday, two days after the test clock's start
# 48 quarter-hour slots of two seats: 96 appointments on one day.
BOOKING_YAML = f"""
centre: {CENTRE_CODE}
services:
  - code: checkup
    kind: checkup
    name: {{zh-CN: 健康体检, en: Check-up}}
    min_notice_minutes: 0
    schedules:
      - {{weekdays: [wed], start: "08:00", end: "20:00", slot_minutes: 15, capacity: 2}}
"""


async def _doctor(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> DoctorRecord:
    await make_centre(uow_factory, clock)
    link = await doctors.create_invite(
        uow_factory(), clock, name="王医生", centre_code=CENTRE_CODE, ttl=INVITE_TTL
    )
    doctor = await doctors.accept_invite(
        uow_factory(), clock, token=link.token, telegram_user_id=DOCTOR, locale="en"
    )
    return doctor


def _page_of(text: str) -> tuple[int, int]:
    found = re.search(r"page (\d+) of (\d+)", text)
    assert found, text
    return int(found[1]), int(found[2])


async def test_today_with_96_appointments_pages_and_attendance_keeps_the_page(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
    tmp_path: Path,
) -> None:
    """Mutations caught: `_day_screen` rendering all rows (Telegram: "message is too long",
    the doctor gets the apology); the ✓ press re-rendering page 1 instead of its own page
    (AttendanceCD without `page`); ▶ not registered (press answered as a stale button)."""
    await _doctor(uow_factory, clock)
    path = tmp_path / "booking.yaml"
    path.write_text(BOOKING_YAML, encoding="utf-8")
    await booking_setup.load_booking_file(uow_factory(), path)
    await booking.materialize_slots(uow_factory(), clock, SHANGHAI)
    names = []
    for n in range(APPOINTMENTS):
        user = FIRST_RESIDENT + n
        name = f"居民{n:02d}号" + "长" * 20  # long names: size-based paging matters too
        names.append(name)
        await make_resident(uow_factory, clock, user, name=name, locale="en")
        (service,) = await booking.list_services(uow_factory(), user)
        slots = await booking.slots_on(uow_factory(), clock, user, service.id, None, DAY, SHANGHAI)
        slot = next(s for s in slots if s.free)
        await booking.book(uow_factory(), clock, user, slot.id, None, SHANGHAI)
    clock.set(datetime.combine(DAY, datetime.min.time(), SHANGHAI).astimezone(UTC))
    chat = make_chat(botapi, DOCTOR, language_code="en")

    await chat.send("/today")
    first = await chat.wait_for("Appointments")
    page, pages = _page_of(first.text)
    assert (page, pages) == (1, 5)
    seen = [name for name in names if name in first.text]
    for expected in range(2, pages + 1):
        await chat.press("▶", message=first)
        shown = await chat.wait_for(f"page {expected} of {pages}")
        assert len(shown.text) <= 4096
        seen += [name for name in names if name in shown.text]
    assert sorted(seen) == sorted(names)  # every appointment once, none lost between pages
    assert SORRY not in chat.transcript()

    # Back to page 3; ✓ on one of its rows shows page 3 again, with the mark.
    await chat.press("◀", message=first)
    await chat.wait_for("page 4 of 5")
    await chat.press("◀", message=first)
    third = await chat.wait_for("page 3 of 5")
    button = next(t for t in third.button_texts() if t.startswith("✓ "))
    await chat.press(button, message=third)
    again = await chat.wait_for(predicate=lambda m: "page 3 of 5" in m.text and m.edited)
    person = button.split(" ", 2)[2]
    assert re.search(re.escape(person) + r" · .* ✓", again.text), again.text
    assert button not in again.button_texts()


async def test_questions_five_of_1000_characters_are_paged(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
) -> None:
    """Mutations caught: `split_pages` budget ignored (all five in one message: "message is
    too long"); reply buttons numbered per page instead of running on (Reply to 1 on page 2
    opening the first question)."""
    doctor = await _doctor(uow_factory, clock)
    bodies = []
    for n in range(5):
        user = FIRST_RESIDENT + n
        await make_resident(uow_factory, clock, user, name=f"问{n}", locale="en")
        await residents.choose_doctor(uow_factory(), clock, user, doctor.id, SHANGHAI)
        body = f"Q{n}:" + "血压偏高怎么办" * 142  # 1,000 characters
        body = body[: questions.QUESTION_MAX]
        bodies.append(body)
        await questions.ask_question(uow_factory(), clock, user, body)
        clock.advance(timedelta(minutes=1))
    chat = make_chat(botapi, DOCTOR, language_code="en")

    await chat.send("/questions")
    first = await chat.wait_for("Unanswered questions")
    _, pages = _page_of(first.text)
    assert pages >= 2
    texts = [first.text]
    for expected in range(2, pages + 1):
        await chat.press("▶", message=first)
        texts.append((await chat.wait_for(f"page {expected} of {pages}")).text)
    for body in bodies:
        assert sum(body in t for t in texts) == 1
    assert SORRY not in chat.transcript()
    # On the last page, the reply buttons carry the questions' own numbers.
    last = chat.last()
    assert "Reply to 5" in last.button_texts()
    await chat.press("Reply to 5", message=last)
    await chat.wait_for("Type your answer to 问4")


async def test_a_care_digest_past_4096_characters_arrives_in_parts(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
) -> None:
    """30 residents with long names and overdue follow-ups. Mutations caught: one digest
    push with every resident (the server refuses it as too long and it fails for good);
    the old 20-resident cap (residents 21-30 only counted, never named)."""
    wednesday = date(2027, 4, 7)  # after the flu season: nothing is overdue on day one
    clock.set(datetime.combine(wednesday, datetime.min.time(), SHANGHAI).astimezone(UTC))
    doctor = await _doctor(uow_factory, clock)
    await careplans.set_digest_frequency(
        uow_factory(), clock, DOCTOR, careplans.DigestFrequency.DAILY, "en"
    )
    names = []
    for n in range(30):
        user = FIRST_RESIDENT + n
        name = f"居民{n:02d}" + "名" * 36
        names.append(name)
        await make_resident(
            uow_factory,
            clock,
            user,
            name=name,
            birth_year=1950,
            conditions=(Condition.HYPERTENSION, Condition.DIABETES),
            locale="en",
        )
        await residents.choose_doctor(uow_factory(), clock, user, doctor.id, SHANGHAI)
    chat = make_chat(botapi, DOCTOR, language_code="en")
    chat.open()

    clock.advance(timedelta(days=2, hours=10))
    parts = await careplans.plan_digests(uow_factory, clock, SHANGHAI)
    assert parts >= 2
    await jiayi.jobs.dispatch()
    digests = [m for m in chat.messages() if "Overdue care items" in m.text]
    assert len(digests) == parts
    assert all(f"part {n} of {parts}" in d.text for n, d in enumerate(digests, start=1))
    for name in names:
        assert sum(name in d.text for d in digests) == 1, name
    # Every resident keeps their one-tap reminder button, in the part that names them.
    buttons = [t for d in digests for t in d.button_texts()]
    assert len(buttons) == len(names)
