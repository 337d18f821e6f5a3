"""The expected-date step (pregnancy tips) is a typed step like the others: a photo or sticker
there is asked for text, not for "the buttons above" (the prompt has only Cancel)."""

from __future__ import annotations

from datetime import date

from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from tests.e2e.conftest import RunningBot, make_chat
from tests.e2e.test_doctor_console import PHOTO
from tests.e2e.test_tip_book import RESIDENT, local
from tests.factories import make_resident

LIN = RESIDENT + 7


async def test_a_photo_at_the_due_date_step_is_asked_for_text(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    """Mutation caught (the state merged): ProfileEdit.pregnancy_due missing from the
    fallback's TEXT_STATES — the photo got "Please tap one of the buttons above"."""
    clock.set(local(date(2026, 12, 7), 10))
    await make_resident(uow_factory, clock, LIN, name="Lin", locale="en", birth_year=1995)
    chat = make_chat(botapi, LIN, language_code="en")
    await chat.send("/profile")
    await chat.wait_for("My profile")
    await chat.press("Edit conditions")
    await chat.wait_for(predicate=lambda m: "Pregnant" in " ".join(m.button_texts()))
    await chat.press("Pregnant")
    await chat.wait_for(predicate=lambda m: any("✅" in t for t in m.button_texts()))
    await chat.press("Done")
    await chat.wait_for("When is your baby due?")
    await botapi.push_update(
        {
            "message": {
                "message_id": 9101,
                "from": chat.user.to_api(),
                "chat": chat.user.chat_api(),
                "date": 0,
                "photo": [{"file_id": PHOTO, "file_unique_id": "u", "width": 64, "height": 48}],
            }
        }
    )
    await chat.wait_for("Please type your answer as text")
    await chat.send("2027-05-20")
    await chat.wait_for("Expected date Thu 20 May 2027")
