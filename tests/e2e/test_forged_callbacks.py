"""Forged button data is answered like a stale button and logged at most at INFO."""

from __future__ import annotations

import logging

import pytest

from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services import doctors
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from tests.e2e.conftest import RunningBot, make_chat
from tests.factories import CENTRE_CODE, INVITE_TTL, make_centre, make_resident

RESIDENT = 3001
DOCTOR = 3900
STALE = "That button is no longer active."
FORGED_BY_RESIDENT = (
    "bkdy:1:0:20271399:0",  # month 13
    "bkdy:1:0:20270230:0",  # 30 February
    "bkdy:1:0:-20270101:0",
    "care:done:flu:0:20270231",
    "bkpp:99999999999999999999:0",  # past the database's integer
    "tipmore:99999999999999999999",  # "More ▾" under a tip (TipMoreCD.outbox_id: int)
    "tipmore:-1",
    "vrec:99999999999999999999:nip_hepb:done",  # the vaccination record (member_id: int)
    "vrec:-3:nip_hepb:done",
)
FORGED_BY_DOCTOR = (
    "dday:20271340:0",
    "dday:20270101:-1",
    "att:1:1:-3",
    "qrep:99999999999999999999",
    "qpg:-1",
    "dres:-5::",
)


async def test_forged_callbacks_are_answered_as_stale_without_errors(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Mutations caught: `BookDayCD.day: int` instead of `Ymd` (ValueError from
    `date(...)`, logged at ERROR with a traceback, the resident gets the apology); `Num`
    without bounds (PostgreSQL: integer out of range, ERROR); `TipMoreCD.outbox_id: int` as
    merged (tips' "More ▾" came after `Num`); `VaccineRecordCD.member_id: int` as merged
    (the vaccination record came after `Num` too)."""
    await make_resident(uow_factory, clock, RESIDENT, name="Chen", locale="en")
    await make_centre(uow_factory, clock)
    link = await doctors.create_invite(
        uow_factory(), clock, name="王医生", centre_code=CENTRE_CODE, ttl=INVITE_TTL
    )
    await doctors.accept_invite(
        uow_factory(), clock, token=link.token, telegram_user_id=DOCTOR, locale="en"
    )
    caplog.set_level(logging.INFO)
    resident = make_chat(botapi, RESIDENT, language_code="en")
    doctor = make_chat(botapi, DOCTOR, language_code="en")
    await resident.send("/start")
    await resident.wait_reply()
    await doctor.send("/questions")
    await doctor.wait_reply()

    for chat, forged in [(resident, d) for d in FORGED_BY_RESIDENT] + [
        (doctor, d) for d in FORGED_BY_DOCTOR
    ]:
        await chat.press_data(forged)
        reply = await chat.wait_reply()
        assert STALE in reply.text, (forged, reply.text)

    loud = [r for r in caplog.records if r.levelno > logging.INFO or r.exc_info]
    assert loud == [], [(r.name, r.levelname, r.getMessage()) for r in loud]


FORGED_MEMBER = "bkpp:1:999999"  # "book for family member 999999": nobody's, or someone else's
REFUSED = "Sorry, you can't do that."


async def test_forged_member_id_is_answered_and_logged_without_personal_data(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Well-formed button data naming a family member who isn't the resident's: the service
    refuses (NotAllowed) and the error router both answers and logs it, with the update id
    and the code only. Mutation caught: the handler answering the refusal itself (as the
    booking handlers did), or the router not logging NotAllowed — the warning is missing."""
    await make_resident(uow_factory, clock, RESIDENT, name="Chen", locale="en")
    caplog.set_level(logging.INFO)
    resident = make_chat(botapi, RESIDENT, language_code="en")
    await resident.send("/start")
    await resident.wait_reply()

    await resident.press_data(FORGED_MEMBER)
    reply = await resident.wait_reply()

    assert reply.text == REFUSED
    refused = [
        r for r in caplog.records if r.name == "jiayi.bot.errors" and r.levelno == logging.WARNING
    ]
    assert [r.getMessage().split(" ", 2)[2] for r in refused] == ["code=member_not_yours"]
    assert str(RESIDENT) not in refused[0].getMessage()
    assert "Chen" not in refused[0].getMessage()
