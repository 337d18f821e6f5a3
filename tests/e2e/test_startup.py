"""What start-up does besides polling: doctors and admins find the doctors' command menu in
their chat (also after a restart, and for doctors bound without an invite), and residents get
their care-plan reminders without waiting for the three-hourly timer."""

from __future__ import annotations

import asyncio

from jiayi.sandbox.botapi import BotAPIServer, TgUser
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.residents import Condition
from jiayi.services.settings import Settings
from tests.e2e.conftest import STARTUP_TIMEOUT, RunningBot, make_chat
from tests.factories import make_doctor, make_resident

DOCTOR = 7101
UNREACHABLE_DOCTOR = 7102  # bound, but has never opened the bot
ADMIN = 7201
RESIDENT = 7301


async def _bind(uow_factory: UnitOfWorkFactory, doctor_id: int, user_id: int) -> None:
    async with uow_factory() as uow:
        await uow.begin_write()
        await uow.doctors.bind_telegram_user(doctor_id, user_id)
        await uow.commit()


def _menu(botapi: BotAPIServer, user_id: int) -> list[str]:
    return [c["command"] for c in botapi.commands({"type": "chat", "chat_id": user_id})]


async def test_start_up_sets_the_doctors_menu_and_plans_care_reminders(
    botapi: BotAPIServer, settings: Settings, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    await _bind(uow_factory, (await make_doctor(uow_factory, clock, name="王医生")).id, DOCTOR)
    await _bind(
        uow_factory, (await make_doctor(uow_factory, clock, name="李医生")).id, UNREACHABLE_DOCTOR
    )
    await make_resident(
        uow_factory,
        clock,
        RESIDENT,
        locale="en",
        birth_year=1970,
        conditions=(Condition.HYPERTENSION,),
    )
    resident = make_chat(botapi, RESIDENT, language_code="en")
    resident.open()
    botapi.open_chat(TgUser(DOCTOR, "王医生"))
    botapi.open_chat(TgUser(ADMIN, "Operator"))

    running = RunningBot(settings.model_copy(update={"admin_ids": frozenset({ADMIN})}), clock)
    await running.start()
    try:
        await asyncio.wait_for(running.after_start(), STARTUP_TIMEOUT)
        # The doctor and the admin see the doctors' commands; the resident keeps the default.
        for user_id in (DOCTOR, ADMIN):
            menu = _menu(botapi, user_id)
            assert menu[:3] == ["today", "tomorrow", "checkin"]
            assert "menu" in menu
        assert _menu(botapi, RESIDENT) == []
        assert _menu(botapi, UNREACHABLE_DOCTOR) == []

        # The admin isn't a doctor: /today says why it has nothing for them.
        admin = make_chat(botapi, ADMIN, language_code="en")
        await admin.send("/today")
        await admin.wait_for("this admin account isn't a doctor")

        # Care planning already ran: the next delivery brings the follow-up reminder.
        await running.jobs.dispatch()
        # (Due the same day as other items: one household card, one line each.)
        await resident.wait_for(
            predicate=lambda m: (
                m.text.startswith("Coming up") and "Hypertension follow-up" in m.text
            )
        )
    finally:
        await running.stop()
