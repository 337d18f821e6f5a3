"""The doctor console end to end: the real bot polling the Bot API test server, both DBs."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from jiayi.bot.callbacks import (
    BcAction,
    BcSegmentCD,
    BcStepCD,
    BroadcastAction,
    BroadcastCD,
    QuestionReplyCD,
    ResidentCardCD,
    ResidentMessageCD,
    ResidentsCD,
)
from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services import doctors, residents
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.residents import Condition
from jiayi.storage import models as m
from tests.e2e.conftest import RunningBot, make_chat
from tests.factories import CENTRE_CODE, INVITE_TTL, make_centre, make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
WANG = 800  # the doctor who broadcasts
LI = 801  # another doctor
OLD_HYP_ZH = 1
OLD_HYP_EN = 2
OLD_HYP_BLOCKED = 3
YOUNG_HYP = 4
OLD_WELL = 5
LIS_PATIENT = 6
REFUSED = "此指令仅供家庭医生使用。"  # "This command is for family doctors."
ZH_TEXT = "冬季清晨注意测量血压"
EN_TEXT = "Winter mornings: please check your blood pressure"


async def _doctor(uow_factory: UnitOfWorkFactory, clock: ManualClock, name: str, user: int) -> int:
    await make_centre(uow_factory, clock)
    link = await doctors.create_invite(
        uow_factory(), clock, name=name, centre_code=CENTRE_CODE, ttl=INVITE_TTL
    )
    # The doctors' chats are in English: alerts to them come in English.
    doctor = await doctors.accept_invite(
        uow_factory(), clock, token=link.token, telegram_user_id=user, locale="en"
    )
    return doctor.id


async def _resident(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    user: int,
    doctor_id: int,
    *,
    birth_year: int,
    hypertension: bool,
    locale: str = "zh-CN",
) -> None:
    await make_resident(
        uow_factory,
        clock,
        user,
        name=f"居民{user}",
        birth_year=birth_year,
        conditions=(Condition.HYPERTENSION,) if hypertension else (),
        locale=locale,
    )
    await residents.choose_doctor(uow_factory(), clock, user, doctor_id, SHANGHAI)


async def _practice(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> None:
    wang = await _doctor(uow_factory, clock, "王医生", WANG)
    li = await _doctor(uow_factory, clock, "李医生", LI)
    for user, year, hyp, locale in (
        (OLD_HYP_ZH, 1950, True, "zh-CN"),
        (OLD_HYP_EN, 1955, True, "en"),
        (OLD_HYP_BLOCKED, 1958, True, "zh-CN"),
        (YOUNG_HYP, 1990, True, "zh-CN"),
        (OLD_WELL, 1950, False, "zh-CN"),
    ):
        await _resident(
            uow_factory, clock, user, wang, birth_year=year, hypertension=hyp, locale=locale
        )
    await _resident(uow_factory, clock, LIS_PATIENT, li, birth_year=1950, hypertension=True)


async def _counts(uow_factory: UnitOfWorkFactory) -> tuple[int, int, int]:
    async with uow_factory() as uow:
        s = uow.session
        audit = await s.scalar(select(func.count()).select_from(m.AuditEntry))
        outbox = await s.scalar(select(func.count()).select_from(m.OutboxMessage))
        sent = await s.scalar(select(func.count()).select_from(m.Broadcast))
    return int(audit or 0), int(outbox or 0), int(sent or 0)


async def test_broadcast_to_hypertension_65_plus_reaches_only_matching_residents(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
) -> None:
    await _practice(uow_factory, clock)
    chats = {user: make_chat(botapi, user) for user in range(1, 7)}
    for chat in chats.values():
        chat.open()
    botapi.fail(OLD_HYP_BLOCKED, "blocked")  # blocked the bot; we don't know it yet
    doctor = make_chat(botapi, WANG, first_name="Wang", language_code="en")

    await doctor.send("/broadcast")
    await doctor.wait_for("Send the text of the broadcast")
    await doctor.send(EN_TEXT)
    await doctor.wait_for("Add the same message in 简体中文")
    await doctor.press("Add 简体中文 text")
    await doctor.wait_for("Send the 简体中文 text.")
    await doctor.send(ZH_TEXT)
    await doctor.wait_for("Recipients now: 5")
    await doctor.press("Hypertension")
    await doctor.wait_for("Recipients now: 4")
    await doctor.press("Age 65+")
    await doctor.wait_for("Recipients now: 3")
    await doctor.press("Continue")
    confirm = await doctor.wait_for("Recipients: 3")
    assert "Hypertension, Age 65+" in confirm.text
    assert "Send now" in confirm.button_texts()
    # The preview is exactly what residents get, in each language.
    previews = [msg.text for msg in doctor.messages()]
    assert any(ZH_TEXT in text and "王医生" in text for text in previews)
    assert any(EN_TEXT in text for text in previews)

    await doctor.press("Send now")
    status = await doctor.wait_for("Broadcast #1")
    assert "Waiting: 3" in status.text

    report = await jiayi.jobs.dispatch()
    assert (report.sent, report.blocked) == (2, 1)
    zh = await chats[OLD_HYP_ZH].wait_for(ZH_TEXT)
    assert "王医生" in zh.text
    en = await chats[OLD_HYP_EN].wait_for(EN_TEXT)
    assert ZH_TEXT not in en.text
    for user in (YOUNG_HYP, OLD_WELL, LIS_PATIENT):
        assert chats[user].messages() == [], f"resident {user} must not get it"

    await jiayi.jobs.broadcast_progress()
    final = await doctor.wait_for("has finished")
    received = [
        r for r in botapi.find_requests("sendMessage") if r.chat_id in chats and r.status == 200
    ]
    blocked = [
        r for r in botapi.find_requests("sendMessage") if r.chat_id in chats and r.status == 403
    ]
    assert f"Delivered: {len(received)}" in final.text
    assert len(received) == 2
    assert f"Blocked the bot: {len(blocked)}" in final.text
    assert "Failed: 0" in final.text
    edited = botapi.message(WANG, status.message_id)
    assert edited is not None
    assert "Delivered: 2" in edited.text

    await doctor.send("/broadcasts")
    listed = await doctor.wait_for("My broadcasts")
    assert "#1" in listed.text
    assert "2/3" in listed.text


async def test_a_resident_cannot_reach_any_doctor_function(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
) -> None:
    await _practice(uow_factory, clock)
    resident = make_chat(botapi, OLD_HYP_ZH)
    await resident.send("/menu")
    await resident.wait_reply()
    before = await _counts(uow_factory)

    for command in ("/broadcast", "/broadcasts", "/residents", "/questions"):
        await resident.send(command)
        await resident.wait_for(REFUSED)
    forged = [
        BcSegmentCD(code="cond.hypertension").pack(),
        BcStepCD(action=BcAction.SEND_NOW).pack(),
        BcStepCD(action=BcAction.AUDIENCE_DONE).pack(),
        BroadcastCD(action=BroadcastAction.CANCEL, broadcast_id=1).pack(),
        ResidentsCD().pack(),
        ResidentCardCD(resident_id=LIS_PATIENT).pack(),
        ResidentMessageCD(resident_id=OLD_WELL).pack(),
        QuestionReplyCD(question_id=1).pack(),
    ]
    for data in forged:
        await resident.press_data(data)
        await resident.wait_for(REFUSED)
    assert await _counts(uow_factory) == before


async def test_question_reaches_the_doctor_and_the_answer_comes_back(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
) -> None:
    await _practice(uow_factory, clock)
    resident = make_chat(botapi, OLD_HYP_EN, first_name="Ann", language_code="en")
    doctor = make_chat(botapi, WANG, first_name="Wang", language_code="en")
    doctor.open()

    await resident.send("/menu")
    await resident.wait_reply()
    await resident.send("Ask my doctor")  # the home keyboard's button
    await resident.wait_for("Type your question for 王医生")
    await resident.send("Can I take my pills after breakfast?")
    await resident.wait_for("Your question has been sent to 王医生")

    # The doctor is told through the outbox, like every push.
    assert (await jiayi.jobs.dispatch()).sent == 1
    incoming = await doctor.wait_for("Can I take my pills after breakfast?")
    await doctor.send("/questions")
    listing = await doctor.wait_for("居民2")
    assert "Can I take my pills" in listing.text
    await doctor.press("Reply", message=incoming)
    await doctor.wait_for("Type your answer to 居民2")
    await doctor.send("Yes, after breakfast is fine.")
    await doctor.wait_for("Your answer to 居民2 is on its way.")

    # Pausing pushes holds back tips and broadcasts, not the answer to one's own question.
    async with uow_factory() as uow:
        resident_id = (await uow.residents.by_telegram_user(OLD_HYP_EN)).id  # type: ignore[union-attr]
        await uow.pushes.set_paused(resident_id, clock.now())
        await uow.commit()
    await jiayi.jobs.dispatch()
    answer = await resident.wait_for("Yes, after breakfast is fine.")
    assert "Can I take my pills after breakfast?" in answer.text
    assert "Ask my doctor" in answer.button_texts()  # a follow-up is one tap away
    await doctor.send("/questions")
    await doctor.wait_for("No unanswered questions.")


async def test_doctor_finds_a_resident_and_sends_a_personal_message(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
) -> None:
    await _practice(uow_factory, clock)
    resident = make_chat(botapi, OLD_WELL)
    resident.open()
    doctor = make_chat(botapi, WANG, first_name="Wang", language_code="en")

    await doctor.send("/residents")
    listing = await doctor.wait_for("My residents")
    assert "居民6" not in listing.text  # another doctor's resident
    assert "居民5" in listing.text
    await doctor.press("Hypertension")
    filtered = await doctor.wait_for("My residents · 4")
    assert "居民5" not in filtered.text
    await doctor.send("居民5")  # search by name
    found = await doctor.wait_for("My residents · 1")
    await doctor.press("居民5", message=found)
    card = await doctor.wait_for("Upcoming appointments")
    assert "Age: 76" in card.text
    await doctor.press("Send a message", message=card)
    await doctor.wait_for("Type your message to 居民5")
    await doctor.send("请明天上午来复查")
    await doctor.wait_for("Sent.")
    await jiayi.jobs.dispatch()
    await resident.wait_for("请明天上午来复查")


async def _send_photo(botapi: BotAPIServer, user: int, caption: str) -> None:
    """The doctor sends a photo with a caption (ChatClient sends text only). The test server
    resolves an https reference like a file id, so it stands in for Telegram's file id."""
    chat = make_chat(botapi, user, first_name="Wang", language_code="en")
    message = {
        "message_id": 9001,
        "from": chat.user.to_api(),
        "chat": chat.user.chat_api(),
        "date": 0,
        "photo": [
            {
                "file_id": PHOTO,
                "file_unique_id": "flu-poster",
                "width": 640,
                "height": 480,
            }
        ],
        "caption": caption,
    }
    await botapi.push_update({"message": message})


PHOTO = "https://example.org/flu-poster.jpg"


async def test_photo_broadcast_scheduled_and_cancelled_then_sent_now(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
) -> None:
    await _practice(uow_factory, clock)
    resident = make_chat(botapi, OLD_WELL)
    resident.open()
    doctor = make_chat(botapi, WANG, first_name="Wang", language_code="en")

    # Scheduled for tomorrow morning, spread over 8 hours, then cancelled: nobody gets it.
    await doctor.send("/broadcast")
    await doctor.wait_for("Send the text of the broadcast")
    await doctor.send("Flu shots from Monday")
    await doctor.wait_for("Add the same message in 简体中文")
    await doctor.press("Skip")
    await doctor.wait_for("Recipients now: 5")
    await doctor.press("Continue")
    await doctor.wait_for("Recipients: 5")
    await doctor.press("Spread over 8 hours")
    spread = await doctor.wait_for("Spread over 8 h;")
    assert "Send as fast as allowed" in spread.button_texts()
    await doctor.press("Schedule…")
    await doctor.wait_for("When should it go out?")
    await doctor.send("tomorrow")
    await doctor.wait_for("Please send the date and time like 2026-11-24 09:00.")
    await doctor.send("2026-11-24 09:00")
    await doctor.wait_for("Scheduled for Tue 24 Nov, 9:00 am")
    await doctor.press("Confirm schedule")
    status = await doctor.wait_for("Broadcast #1")
    assert "scheduled" in status.text
    await doctor.press("Cancel the broadcast", message=status)
    await doctor.wait_for("Cancelled before sending: 5")
    clock.advance(timedelta(days=1))
    await jiayi.jobs.dispatch()
    assert resident.messages() == []

    # A photo with its caption, sent now: residents get the photo, the doctor a photo preview.
    await doctor.send("/broadcast")
    await doctor.wait_for("Send the text of the broadcast")
    await _send_photo(botapi, WANG, "流感疫苗周一开始接种")
    await doctor.wait_for("Add the same message in 简体中文")
    await doctor.press("Skip")
    await doctor.wait_for("Recipients now: 5")
    await doctor.press("Continue")
    await doctor.wait_for("with a photo")
    previews = [msg.text for msg in doctor.messages() if msg.kind == "photo"]
    assert len(previews) == 2  # as residents using Chinese and English will see it
    assert all("流感疫苗周一开始接种" in text for text in previews)
    await doctor.press("Send now")
    await doctor.wait_for("Broadcast #2")
    await jiayi.jobs.dispatch()
    got = await resident.wait_for("流感疫苗周一开始接种")
    assert got.kind == "photo"
    assert got.text in previews
