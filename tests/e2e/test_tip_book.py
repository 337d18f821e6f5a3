"""The "Book" button on a tip opens booking at the services the tip is about, end to end."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.demo import seed_demo
from jiayi.services.residents import Condition
from tests.e2e.conftest import RunningBot, make_chat
from tests.factories import make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
FLU_SEASON_2026 = date(2026, 10, 15)  # influenza_season: action book, service vaccination
RESIDENT = 6061


def local(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI).astimezone(UTC)


async def test_book_on_the_flu_tip_offers_the_vaccination_services(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    """Mutation tried: `cb_tip_action` answering with the old tip_action text (no services)
    -> "What would you like to book?" never comes, test fails. Also tried: ignoring the
    service kind (all services offered) -> "Health check-up" appears, test fails."""
    clock.set(local(FLU_SEASON_2026, 9))
    await seed_demo(uow_factory(), clock, timezone="Asia/Shanghai")
    await jiayi.jobs.materialize()
    await make_resident(uow_factory, clock, RESIDENT, name="Zhou", locale="en", birth_year=1958)
    chat = make_chat(botapi, RESIDENT, language_code="en")
    chat.open()

    await jiayi.jobs.plan()
    await jiayi.jobs.dispatch()
    tip = await chat.wait_for("Flu", predicate=lambda msg: "Book" in msg.button_texts())
    await chat.press("Book", message=tip)
    services = await chat.wait_for("What would you like to book?")
    offered = services.button_texts()
    assert "Flu vaccination" in offered
    assert "Health check-up" not in offered
    assert "Chronic disease follow-up" not in offered
    await chat.press("Flu vaccination")
    await chat.wait_for("Choose a day:")


async def test_more_on_a_long_tip_sends_the_rest(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    """The first message is the one-screen summary; "More ▾" brings the body.
    Mutation tried: `render_tip` ignoring `full` (always the summary) -> the body's
    "At home:" line never arrives, test fails."""
    day = date(2026, 10, 7)  # the day before 全国高血压日
    clock.set(local(day, 9))
    await make_resident(
        uow_factory,
        clock,
        RESIDENT + 1,
        name="Zhou",
        locale="en",
        birth_year=1960,
        conditions=(Condition.HYPERTENSION,),
    )
    chat = make_chat(botapi, RESIDENT + 1, language_code="en")
    chat.open()
    await jiayi.jobs.plan()
    await jiayi.jobs.dispatch()
    first = await chat.wait_for("Measure your blood pressure today")
    assert "At home:" not in first.text
    await chat.press("More ▾", message=first)
    rest = await chat.wait_for("At home:")
    assert "How well is your blood pressure controlled?" in rest.text


async def test_pregnant_resident_records_the_expected_date_in_profile(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    """Mutation tried: not registering `on_pregnancy_due` -> the date is never saved."""
    clock.set(local(date(2026, 12, 7), 10))
    await make_resident(uow_factory, clock, RESIDENT + 2, name="Lin", locale="en", birth_year=1995)
    chat = make_chat(botapi, RESIDENT + 2, language_code="en")
    await chat.send("/profile")
    await chat.wait_for("My profile")
    await chat.press("Edit conditions")
    await chat.wait_for(predicate=lambda m: "Pregnant" in " ".join(m.button_texts()))
    await chat.press("Pregnant")
    await chat.wait_for(predicate=lambda m: any("✅" in t for t in m.button_texts()))
    await chat.press("Done")
    await chat.wait_for("When is your baby due?")
    await chat.send("next spring")
    await chat.wait_for("like 2027-05-20")
    await chat.send("2027-05-20")
    await chat.wait_for("Expected date Thu 20 May 2027: you will receive tips for pregnancy.")
    async with uow_factory() as uow:
        resident = await uow.residents.by_telegram_user(RESIDENT + 2)
    assert resident is not None
    assert resident.pregnancy_due == date(2027, 5, 20)
