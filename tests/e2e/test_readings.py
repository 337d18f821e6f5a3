"""Home readings end to end: the real bot polling the Bot API test server, both databases.

A resident with hypertension records readings with buttons and by typing "135/85", has an
implausible value refused, sees /readings with a chart; an urgent reading alerts their doctor
once; the doctor reviews the readings from the card and records the follow-up, which moves
the care plan on; erasure removes every reading."""

from __future__ import annotations

import io
from datetime import timedelta
from zoneinfo import ZoneInfo

from PIL import Image
from sqlalchemy import func, select

from jiayi.content.dates import day_words
from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services import careplans, doctors, residents
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.residents import Condition
from jiayi.storage import models as m
from tests.e2e.conftest import RunningBot, make_chat
from tests.factories import CENTRE_CODE, INVITE_TTL, make_centre, make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
WANG = 800
RESIDENT = 1001


async def _practice(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> None:
    await make_centre(uow_factory, clock)
    link = await doctors.create_invite(
        uow_factory(), clock, name="王医生", centre_code=CENTRE_CODE, ttl=INVITE_TTL
    )
    doctor = await doctors.accept_invite(
        uow_factory(), clock, token=link.token, telegram_user_id=WANG, locale="en"
    )
    await make_resident(
        uow_factory,
        clock,
        RESIDENT,
        name="张阿姨",
        birth_year=1955,
        conditions=(Condition.HYPERTENSION,),
    )
    await residents.choose_doctor(uow_factory(), clock, RESIDENT, doctor.id, SHANGHAI)


async def _readings(uow_factory: UnitOfWorkFactory) -> int:
    async with uow_factory() as uow:
        count = await uow.session.scalar(select(func.count()).select_from(m.HomeReading))
    return int(count or 0)


async def test_readings_from_chat_to_doctor_and_care_plan(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
) -> None:
    await _practice(uow_factory, clock)
    chat = make_chat(botapi, RESIDENT)  # a Chinese-speaking resident
    chat.open()
    doctor = make_chat(botapi, WANG, first_name="Wang", language_code="en")
    doctor.open()

    # Buttons, then typing the value; an implausible value is refused, stored nowhere, and
    # the step stays open for the corrected one.
    await chat.send("/reading")
    await chat.wait_for("您测了什么")
    await chat.press("血压")
    await chat.wait_for("135/85")
    await chat.send("120/130")
    await chat.wait_for("请重新测量")
    assert await _readings(uow_factory) == 0
    await chat.send("135/85")
    result = await chat.wait_for("已记下")
    assert "135/85" in result.text
    assert "高于目标" in result.text  # the home target is below 135/85

    await chat.press("再记录一次")
    await chat.wait_for("您测了什么")
    await chat.press("血压")
    await chat.wait_for("请输入血压")
    await chat.send("128/78")
    await chat.wait_for("继续保持")

    # Measured earlier today: pick the hour.
    await chat.press("再记录一次")
    await chat.wait_for("您测了什么")
    await chat.press("血压")
    await chat.wait_for("请输入血压")
    await chat.press("今天早些时候测的")
    await chat.wait_for("大约几点")
    await chat.press("早上7:00")
    await chat.wait_for("今天早上7:00测的")
    await chat.send("132 82 70")
    await chat.wait_for("已记下")
    assert await _readings(uow_factory) == 3

    # An urgent reading: the seek-care message, and the doctor alerted once.
    await chat.send("/reading")
    await chat.wait_for("您测了什么")
    await chat.press("血压")
    await chat.wait_for("请输入血压")
    await chat.send("186/112")
    urgent = await chat.wait_for("120")
    assert "现在就去医院" in urgent.text
    await chat.send("/reading")
    await chat.wait_for("您测了什么")
    await chat.press("血压")
    await chat.wait_for("请输入血压")
    await chat.send("182/104")
    await chat.wait_for("120")
    await jiayi.jobs.dispatch()
    alert = await doctor.wait_for("Urgent home reading")
    assert "186/112" in alert.text
    assert "张阿姨" in alert.text
    clock.advance(timedelta(hours=1))
    await jiayi.jobs.dispatch()
    alerts = [msg for msg in doctor.messages() if "Urgent home reading" in msg.text]
    assert len(alerts) == 1

    # /readings: the chart, as a photo that decodes, and the summary as its caption.
    await chat.send("/readings")
    photo = await chat.wait_for("最近30天")
    assert photo.kind == "photo"
    assert photo.file is not None
    assert photo.file.data is not None
    image = Image.open(io.BytesIO(photo.file.data))
    assert image.size == (900, 600)
    assert "共 5 次" in photo.text

    # The doctor opens the readings from the alert's card and records the follow-up.
    plan_before = await careplans.plan(uow_factory(), clock, RESIDENT, SHANGHAI)
    follow_up = next(e for e in plan_before if e.rule_id == "htn_follow_up")
    await doctor.press("Open the resident's card", message=alert)
    await doctor.wait_for("张阿姨")
    await doctor.press("Home readings")
    seen = await doctor.wait_for("the last 30 days")
    assert seen.kind == "photo"
    assert "No chronic follow-up on record yet." in seen.text
    await doctor.press("Hypertension follow-up done: reviewed home readings")
    await doctor.wait_for("home readings reviewed")
    await doctor.press("Back to the card", message=seen)
    card = await doctor.wait_for("张阿姨", predicate=lambda msg: msg.kind == "text")
    await doctor.press("Home readings", message=card)
    today = clock.now().astimezone(SHANGHAI).date()
    await doctor.wait_for(f"Last chronic follow-up: {day_words(today, 'en', today=today)}")
    plan_after = await careplans.plan(uow_factory(), clock, RESIDENT, SHANGHAI)
    moved = next(e for e in plan_after if e.rule_id == "htn_follow_up")
    assert moved.due > follow_up.due

    # Reminders to measure, chosen from /readings, arrive at 19:00 with a "Record now" button.
    await chat.send("/readings")
    await chat.wait_for("最近30天")
    await chat.press("测量提醒")
    await chat.wait_for("什么时候提醒您")
    await chat.press("早上7:00和晚上7:00")
    await chat.wait_for("每天早上7:00和晚上7:00提醒您")
    evening = clock.now().astimezone(SHANGHAI).replace(hour=19, minute=0)
    clock.set(evening.astimezone(clock.now().tzinfo))
    await jiayi.jobs.plan_care()
    await jiayi.jobs.dispatch()
    reminder = await chat.wait_for("该量一量血压或血糖了")
    await chat.press("现在记录", message=reminder)
    await chat.wait_for("您测了什么")

    # /mydata: the readings are in the file, and the chart comes with it.
    await chat.send("/mydata")
    chart = await chat.wait_for("最近30天", predicate=lambda msg: msg.kind == "photo")
    assert chart.file is not None
    assert chart.file.data
    # The full menu ("更多" on the home keyboard) leads to the readings too.
    await chat.send("更多")
    await chat.wait_for("请选择您要办理的事项")
    await chat.press("血压和血糖")
    await chat.wait_for("最近30天", predicate=lambda msg: msg.kind == "photo")

    # Erasure removes every reading.
    await chat.send("/forget")
    await chat.wait_for("确定删除您的全部信息吗")
    await chat.press("是的，全部删除")
    await chat.wait_for("已删除")
    assert await _readings(uow_factory) == 0


async def test_urgent_alerts_wait_for_morning_unless_the_doctor_asked_for_any_hour(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
) -> None:
    """At 23:00 an urgent reading's alert waits for 08:00 (the doctor's quiet hours); after
    the doctor chooses "at any hour" in /alerts, the next night's alert arrives at once.
    Mutation caught: ignoring the doctor's choice (the second alert waits too)."""
    await _practice(uow_factory, clock)
    chat = make_chat(botapi, RESIDENT)
    chat.open()
    doctor = make_chat(botapi, WANG, first_name="Wang", language_code="en")
    doctor.open()
    night = clock.now().astimezone(SHANGHAI).replace(hour=23, minute=0)
    clock.set(night.astimezone(clock.now().tzinfo))

    async def urgent(value: str) -> None:
        await chat.send("/reading")
        await chat.wait_for("您测了什么")
        await chat.press("血压")
        await chat.wait_for("请输入血压")
        await chat.send(value)
        await chat.wait_for("120")

    await urgent("190/115")
    await jiayi.jobs.dispatch()
    assert not [m for m in doctor.messages() if "Urgent home reading" in m.text]

    await doctor.send("/alerts")
    await doctor.wait_for("When should it reach you?")
    await doctor.press("At any hour, also at night")
    await doctor.wait_for("at any hour")
    clock.advance(timedelta(days=1))  # 23:00 the next night (last night's went at 08:00)
    await urgent("188/112")
    await jiayi.jobs.dispatch()
    await doctor.wait_for("188/112")
    alerts = [m.text for m in doctor.messages() if "Urgent home reading" in m.text]
    assert len(alerts) == 2
