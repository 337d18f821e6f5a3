"""The "Book" button on a tip opens booking at the services the tip is about, end to end."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sandbox.botapi import BotAPIServer
from services.clock import ManualClock
from services.database import UnitOfWorkFactory
from services.demo import seed_demo
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
