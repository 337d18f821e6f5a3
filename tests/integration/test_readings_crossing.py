"""Home readings where they meet other features: a family member taking over their own
account keeps their readings, and erasing one's data also removes the urgent-reading alert
that went to the doctor with one's name and value."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from jiayi.bot.app import build_bot, build_i18n
from jiayi.bot.sender import AiogramSender
from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.content.render import Renderer
from jiayi.content.tips import Library
from jiayi.sandbox.botapi import BotAPIServer, ChatClient, TgUser
from jiayi.services import care_notices, careplans, family, privacy, readings, residents
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.delivery import OutboxDispatcher
from jiayi.services.family import NewMember, Relation
from jiayi.services.readings import BloodPressure
from jiayi.services.residents import Sex
from jiayi.services.settings import Settings
from jiayi.storage import models as m
from tests.factories import make_resident
from tests.integration.careplans_support import TOKEN
from tests.integration.test_readings import (
    DOCTOR_USER,
    OTHER,
    RESIDENT,
    SHANGHAI,
    _alerts,
    _setup,
)

FATHER_USER = 1003


async def test_a_parent_who_takes_over_keeps_their_readings(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation caught (the state merged): the take-over moved care history but not home
    readings, and removing the family member deleted them (ON DELETE CASCADE): the father's
    weeks of blood pressure were gone from his own /readings."""
    await _setup(uow_factory, clock)
    father = await family.add_member(
        uow_factory(),
        clock,
        RESIDENT,
        NewMember(Relation.PARENT, "张爸爸", date(1944, 5, 1), Sex.MALE),
    )
    await readings.record_reading(
        uow_factory(), clock, SHANGHAI, RESIDENT, father.id, BloodPressure(152, 94)
    )
    token = await privacy.create_takeover(uow_factory(), clock, RESIDENT, father.id)
    await privacy.accept_takeover(
        uow_factory(),
        clock,
        token=token,
        telegram_user_id=FATHER_USER,
        locale="zh-CN",
        notice_version=CONSENT_NOTICE_VERSION,
    )

    his = await readings.summary(uow_factory(), clock, SHANGHAI, FATHER_USER, None)
    assert (his.person_name, his.bp_count) == ("张爸爸", 1)
    mine = await readings.summary(uow_factory(), clock, SHANGHAI, RESIDENT, None)
    assert mine.bp_count == 0


async def test_erasure_removes_the_doctors_urgent_reading_alert(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation caught (the state merged): erasure deleted the resident's rows but the alert
    is addressed to the doctor (resident_id NULL) and carries the name and "191/118": it
    stayed in the outbox, and a pending one would still have reached the doctor."""
    await _setup(uow_factory, clock)
    await readings.record_reading(
        uow_factory(), clock, SHANGHAI, RESIDENT, None, BloodPressure(191, 118)
    )
    assert len(await _alerts(uow_factory)) == 1
    await privacy.erase_my_data(uow_factory(), clock, RESIDENT)
    assert await _alerts(uow_factory) == []
    async with uow_factory() as uow:
        o = m.OutboxMessage
        left = await uow.session.scalar(
            select(func.count()).select_from(o).where(o.payload.contains("191/118"))
        )
    assert left == 0


async def test_removing_a_member_removes_the_alert_about_them(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation caught: without the member's alert prefix in remove_member, the alert naming
    the removed father with "188/116" stayed (and would still reach the doctor); the
    resident's own alert is kept."""
    await _setup(uow_factory, clock)
    father = await family.add_member(
        uow_factory(), clock, RESIDENT, NewMember(Relation.PARENT, "张爸爸", date(1944, 5, 1))
    )
    await readings.record_reading(
        uow_factory(), clock, SHANGHAI, RESIDENT, father.id, BloodPressure(188, 116)
    )
    await readings.record_reading(
        uow_factory(), clock, SHANGHAI, RESIDENT, None, BloodPressure(185, 112)
    )
    assert len(await _alerts(uow_factory)) == 2
    await family.remove_member(uow_factory(), clock, RESIDENT, father.id)
    [(_doctor, _resident, payload)] = await _alerts(uow_factory)
    assert "185/112" in payload


async def test_the_digest_offers_no_dead_remind_button_for_readings_alone(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    botapi: BotAPIServer,
    test_library: Library,
) -> None:
    """A resident in the doctor's digest only for last week's home readings (nothing overdue)
    has no "Remind …" button: the nudge behind it would only answer "nothing is overdue".
    Mutation caught (the state merged): every digest entry got a nudge button, and tapping
    李叔叔's sent nothing."""
    doctor_id = await _setup(uow_factory, clock)
    await make_resident(uow_factory, clock, OTHER, name="李叔叔", birth_year=1990)
    await residents.choose_doctor(uow_factory(), clock, OTHER, doctor_id, SHANGHAI)
    await careplans.set_digest_frequency(
        uow_factory(), clock, DOCTOR_USER, careplans.DigestFrequency.DAILY, "en"
    )
    for systolic in (150, 146, 158):
        clock.advance(timedelta(hours=12))
        await readings.record_reading(
            uow_factory(), clock, SHANGHAI, OTHER, None, BloodPressure(systolic, 96)
        )
    clock.advance(timedelta(hours=36))  # 10:00 in Shanghai: outside quiet hours
    assert await careplans.plan_digests(uow_factory, clock, SHANGHAI) == 1
    async with uow_factory() as uow:
        other = await uow.residents.by_telegram_user(OTHER)
    assert other is not None
    # What the button would do: nothing overdue, so nothing is sent.
    assert not await careplans.nudge(uow_factory(), clock, DOCTOR_USER, other.id, SHANGHAI)

    chat = ChatClient(botapi, TgUser(id=DOCTOR_USER, first_name="Wang"))
    chat.open()
    bot = build_bot(
        Settings(
            bot_token=TOKEN,  # type: ignore[arg-type]
            telegram_api_url=botapi.base_url,  # type: ignore[arg-type]
            _env_file=None,  # type: ignore[call-arg]
        )
    )
    try:
        dispatcher = OutboxDispatcher(
            uow_factory=uow_factory,
            sender=AiogramSender(bot, build_i18n("zh-CN")),
            library=test_library,
            clock=clock,
            zone=SHANGHAI,
        )
        care_notices.register(dispatcher, Renderer())
        await dispatcher.run_once()
    finally:
        await bot.session.close()
    digest = await chat.wait_for("Overdue care items")
    assert "李叔叔" in digest.text
    assert "Home readings" in digest.text
    assert "Remind 李叔叔" not in digest.button_texts()


async def test_a_seven_oclock_reminder_to_measure_arrives_at_seven(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    botapi: BotAPIServer,
    test_library: Library,
) -> None:
    """The resident chose "7:00 and 19:00"; default quiet hours run 21:00–08:00. The morning
    reminder (measure before breakfast and pills) comes at 7:00, not at 08:00.
    Mutation caught (the state merged): reading reminders held by quiet hours like tips, the
    7:00 reminder left pending until 08:00 and nothing in the chat at 7:00."""
    await _setup(uow_factory, clock)  # 10:00 in Shanghai
    clock.advance(timedelta(hours=20, minutes=45))  # 06:45 the next day
    await readings.set_reminder(uow_factory(), clock, SHANGHAI, RESIDENT, (7, 19))
    assert await readings.plan_reminders(uow_factory, clock, SHANGHAI) == 2
    clock.advance(timedelta(minutes=15))  # 07:00

    chat = ChatClient(botapi, TgUser(id=RESIDENT, first_name="张"))
    chat.open()
    bot = build_bot(
        Settings(
            bot_token=TOKEN,  # type: ignore[arg-type]
            telegram_api_url=botapi.base_url,  # type: ignore[arg-type]
            _env_file=None,  # type: ignore[call-arg]
        )
    )
    try:
        dispatcher = OutboxDispatcher(
            uow_factory=uow_factory,
            sender=AiogramSender(bot, build_i18n("zh-CN")),
            library=test_library,
            clock=clock,
            zone=SHANGHAI,
        )
        readings.register(dispatcher, Renderer(), SHANGHAI)
        report = await dispatcher.run_once()
    finally:
        await bot.session.close()
    assert report.sent == 1
    reminder = await chat.wait_for("⏰")
    assert "现在记录" in reminder.text
