"""A parent adds a 3-year-old through the real bot (HTTP to the Bot API test server): the
vaccination record is asked first, and no "overdue" vaccine reminder is planned before the
parent answered; afterwards only the vaccine they said was not given is reminded."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select

from jiayi.content.careplans import default_rules
from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services import careplans
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.storage import models as m
from tests.e2e.conftest import RunningBot, make_chat
from tests.e2e.test_onboarding import sign_up_in_english

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _child_vaccine_reminders(uow_factory: UnitOfWorkFactory) -> list[str]:
    record = {r.id for r in default_rules() if r.record}
    async with uow_factory() as uow:
        keys = (
            await uow.session.scalars(
                select(m.OutboxMessage.dedupe_key).where(m.OutboxMessage.kind == "care_reminder")
            )
        ).all()
    return [k for k in keys if k.split(":")[3] in record]


async def test_a_late_added_child_is_asked_the_record_before_any_overdue_reminder(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
) -> None:
    """Mutation: removing the `vaccine_record.offer` hook in family.py (no question after
    adding), or `awaiting_record` returning False (reminders before the answer)."""
    chat = make_chat(botapi, language_code="en")
    await sign_up_in_english(chat)
    await chat.send("/family")
    await chat.wait_for("You haven't added anyone yet")
    await chat.press("Add a family member")
    await chat.wait_for("Who would you like to add?")
    await chat.press("Child")
    await chat.wait_for("what name should we use")
    await chat.send("Dabao")
    await chat.wait_for("Their date of birth?")
    await chat.send("2023-11-10")  # 3 years old on 2026-11-23
    await chat.wait_for("Their sex?")
    await chat.press("Male")
    # A child: none of the conditions asked about fits, so the question is skipped.
    await chat.wait_for("Consent for Dabao")
    await chat.press("I confirm")
    question = await chat.wait_for("Dabao's vaccination record")
    assert "vaccination certificate" in question.text
    assert "Hepatitis B vaccine (HepB): by the schedule, 3 doses are due by today" in question.text
    assert question.button_texts() == [
        "Yes, all given",
        "Not vaccinated",
        "Don't know — I'll check the certificate",
        "Ask me later",
    ]

    # Not answered: no overdue reminder for any of the child's vaccines.
    await careplans.plan_reminders(uow_factory, clock, SHANGHAI)
    assert await _child_vaccine_reminders(uow_factory) == []

    # "Ask me later", then /family asks again (children added before the record, too).
    await chat.press("Ask me later")
    await chat.wait_for("Open /family when you have the vaccination certificate")
    await chat.send("/family")
    again = await chat.wait_for("Dabao's vaccination record")
    total = int(again.text.split("/", 1)[1].split(")", 1)[0])

    await chat.press("Not vaccinated", message=again)  # HepB, the first question
    for number in range(2, total + 1):
        step = await chat.wait_for(f"({number}/{total})")
        await chat.press("Yes, all given", message=step)
    await chat.wait_for("Dabao's vaccination record is complete")

    await careplans.plan_reminders(uow_factory, clock, SHANGHAI)
    keys = await _child_vaccine_reminders(uow_factory)
    assert [k.split(":")[3] for k in keys] == ["nip_hepb"]
