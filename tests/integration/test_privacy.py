"""Data rights on a real database (SQLite and PostgreSQL): export, erasure, consent withdrawal
and versions, retention, and a parent taking over their own account."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram import Bot
from sqlalchemy import select

from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.content.render import Renderer
from jiayi.content.tips import Library
from jiayi.sandbox.botapi import BotAPIServer, TgUser
from jiayi.services import booking, console, family, privacy, pushes, residents
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.errors import DomainError
from jiayi.services.family import NewMember, Relation
from jiayi.services.privacy import ConsentStatus
from jiayi.services.pushes import PushSchedule
from jiayi.services.residents import Condition, Sex
from jiayi.storage import models as m
from jiayi.storage.records import OutboxStatus
from tests.factories import make_resident
from tests.integration.booking_support import make_service, make_slot
from tests.integration.test_delivery import bot, make_dispatcher, statuses
from tests.privacy_scan import PersonalData, personal_data_left

SHANGHAI = ZoneInfo("Asia/Shanghai")
__all__ = ["bot"]  # the Bot fixture, shared with the delivery tests
SCHEDULE = PushSchedule(zone=SHANGHAI, push_hour=9, grace_days=3)
LIDONG_2026 = date(2026, 11, 7)

ME = 5001
NEIGHBOUR = 5002
GRANDMA_USER = 5003
MY_NAME = "林美华"
CHILD_NAME = "林小宝"
CHILD_BORN = date(2023, 6, 1)
GRANDMA_NAME = "王秀英"
GRANDMA_BORN = date(1948, 2, 29)
BIRTH_YEAR = 1979


async def outbox(uow_factory: UnitOfWorkFactory) -> list[tuple[int, str, str]]:
    o = m.OutboxMessage
    async with uow_factory() as uow:
        rows = await uow.session.execute(select(o.resident_id, o.kind, o.status).order_by(o.id))
        return [(r, k, s) for r, k, s in rows]


async def a_family(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> None:
    await make_resident(
        uow_factory,
        clock,
        ME,
        name=MY_NAME,
        birth_year=BIRTH_YEAR,
        conditions=(Condition.HYPERTENSION,),
    )
    await family.add_member(
        uow_factory(), clock, ME, NewMember(Relation.CHILD, CHILD_NAME, CHILD_BORN, Sex.MALE)
    )
    await family.add_member(
        uow_factory(),
        clock,
        ME,
        NewMember(
            Relation.PARENT,
            GRANDMA_NAME,
            GRANDMA_BORN,
            Sex.FEMALE,
            frozenset({Condition.DIABETES}),
        ),
    )


async def book_for(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, member_id: int | None, hours: int = 30
) -> booking.AppointmentRecord:
    service = await make_service(uow_factory, clock, f"svc{hours}")
    slot = await make_slot(uow_factory, service, clock.now() + timedelta(hours=hours), capacity=1)
    return await booking.book(uow_factory(), clock, ME, slot.id, member_id, SHANGHAI)


async def test_export_lists_profile_family_consent_bookings_and_messages(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await a_family(uow_factory, clock)
    child, grandma = await family.list_members(uow_factory(), ME)
    await book_for(uow_factory, clock, child.id)
    await pushes.toggle_topic(uow_factory(), ME, pushes.Topic("diet"))

    export = await privacy.export_my_data(uow_factory(), clock, ME)
    document = json.loads(export.to_json())["sections"]

    assert document["profile"]["display_name"] == MY_NAME
    assert document["profile"]["telegram_user_id"] == ME
    assert document["profile"]["conditions"] == ["hypertension"]
    assert document["profile"]["topics_opted_out"] == ["diet"]
    assert document["profile"]["consent"]["notice_version"] == CONSENT_NOTICE_VERSION
    names = {m["name"]: m for m in document["family_members"]}
    assert names[CHILD_NAME]["consent"]["basis"] == "guardian"
    assert names[GRANDMA_NAME]["consent"]["basis"] == "authorised"
    me = document["profile"]["id"]
    assert names[GRANDMA_NAME]["consent"]["given_by_resident_id"] == me
    assert names[GRANDMA_NAME]["conditions"] == ["diabetes_t2"]
    [appointment] = document["appointments"]
    assert appointment["person_name"] == CHILD_NAME
    assert [e["kind"] for e in appointment["events"]] == ["booked"]
    # The booking's reminders are messages queued for them.
    assert {row["kind"] for row in document["messages"]} == {"reminder"}
    assert document["waiting_list"] == []
    assert document["referrals"] == []
    assert grandma.id in {m["id"] for m in document["family_members"]}
    assert export.count("messages") == len(document["messages"])


async def test_erasure_leaves_no_personal_data_only_counts(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await a_family(uow_factory, clock)
    neighbour = await make_resident(uow_factory, clock, NEIGHBOUR, name="邻居")
    child, _grandma = await family.list_members(uow_factory(), ME)
    full = await book_for(uow_factory, clock, child.id)
    # The only seat is theirs; the neighbour waits for it.
    await booking.join_waitlist(uow_factory(), clock, NEIGHBOUR, full.slot_id, None)
    attended = await book_for(uow_factory, clock, None, hours=2)
    doctor_clock = ManualClock(clock.now() + timedelta(hours=3))
    async with uow_factory() as uow:
        await uow.begin_write()
        record = await uow.booking.appointment(attended.id)
        assert record is not None
        await booking._mark(uow, doctor_clock.now(), record, attended=True)
        await uow.commit()

    report = await privacy.erase_my_data(uow_factory(), clock, ME)

    assert report.members == 2
    assert report.bookings_cancelled == 1
    left = await personal_data_left(
        uow_factory,
        PersonalData(
            telegram_ids=(ME,),
            names=(MY_NAME, CHILD_NAME, GRANDMA_NAME),
            birth_years=(BIRTH_YEAR,),
            birth_dates=(CHILD_BORN, GRANDMA_BORN),
        ),
    )
    assert left == []
    assert await residents.get_resident(uow_factory(), ME) is None
    # The freed seat is offered to the neighbour, whose data is untouched.
    assert {(r, k) for r, k, _ in await outbox(uow_factory)} == {(neighbour.id, "waitlist_offer")}
    month = clock.now().strftime("%Y-%m")
    assert await privacy.statistics(uow_factory(), privacy.ACCOUNTS_ERASED) == {(month, ""): 1}
    attended_counts = await privacy.statistics(uow_factory(), privacy.APPOINTMENTS_ATTENDED)
    assert attended_counts == {(attended.starts_at.strftime("%Y-%m"), "svc2"): 1}
    # Erasing twice is refused plainly: there is nobody left.
    with pytest.raises(DomainError):
        await privacy.erase_my_data(uow_factory(), clock, ME)


async def test_withdrawn_or_outdated_consent_stops_pushes_until_given_again(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, test_library: Library
) -> None:
    clock.set(datetime(2026, 11, 6, 22, tzinfo=UTC))
    await make_resident(uow_factory, clock, ME, name=MY_NAME)
    outdated = await make_resident(uow_factory, clock, NEIGHBOUR, name="邻居")
    await residents.register(
        uow_factory(),
        clock,
        telegram_user_id=NEIGHBOUR,
        display_name="邻居",
        locale="zh-CN",
        notice_version="2020-old",
    )
    await book_for(uow_factory, clock, None)

    withdrawn = await privacy.withdraw_consent(uow_factory(), clock, ME)

    assert withdrawn == 2  # both reminders of the booking
    assert all(s == OutboxStatus.CANCELLED for _, _, s in await outbox(uow_factory))
    overview = await privacy.privacy_overview(uow_factory(), ME)
    assert overview.status is ConsentStatus.WITHDRAWN
    resident_outdated = await residents.get_resident(uow_factory(), NEIGHBOUR)
    assert resident_outdated is not None
    assert privacy.consent_status(resident_outdated) is ConsentStatus.OUTDATED
    # Neither the withdrawn nor the outdated resident is planned for.
    assert await pushes.plan_day(uow_factory(), test_library, SCHEDULE, clock, LIDONG_2026) == 0

    await privacy.give_consent(uow_factory(), clock, ME, CONSENT_NOTICE_VERSION)
    await privacy.give_consent(uow_factory(), clock, NEIGHBOUR, CONSENT_NOTICE_VERSION)
    assert await pushes.plan_day(uow_factory(), test_library, SCHEDULE, clock, LIDONG_2026) == 2
    assert outdated.id in {r for r, k, _ in await outbox(uow_factory) if k == "tip"}


async def test_retention_prunes_old_deliveries_keeping_counts(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    resident = await make_resident(uow_factory, clock, ME, name=MY_NAME)
    old = datetime(2025, 9, 1, 2, tzinfo=UTC)
    recent = datetime(2026, 10, 1, 2, tzinfo=UTC)
    async with uow_factory() as uow:
        await uow.begin_write()
        rows = [
            (old, OutboxStatus.SENT),
            (old, OutboxStatus.SENT),
            (recent, OutboxStatus.SENT),
            (old, OutboxStatus.SKIPPED),
            (old, OutboxStatus.PENDING),  # still to go out: never pruned
        ]
        for i, (at, status) in enumerate(rows):
            uow.session.add(
                m.OutboxMessage(
                    resident_id=resident.id,
                    kind="tip",
                    dedupe_key=f"t{i}",
                    tip_id="lidong",
                    payload="{}",
                    not_before=at,
                    status=status.value,
                    sent_at=at if status is OutboxStatus.SENT else None,
                    created_at=at,
                )
            )
        await uow.session.flush()
        first = await uow.session.scalar(select(m.OutboxMessage.id).order_by(m.OutboxMessage.id))
        assert first is not None
        await uow.pushes.record_feedback(
            outbox_id=first, resident_id=resident.id, tip_id="lidong", helpful=True, now=old
        )
        await uow.commit()

    pruned = await privacy.prune_outbox(uow_factory(), clock, 13)

    assert pruned == 3
    assert [s for _, _, s in await outbox(uow_factory)] == ["sent", "pending"]
    assert await privacy.statistics(uow_factory(), privacy.PUSHES_DELIVERED) == {
        ("2025-09", "tip"): 2
    }
    assert await privacy.statistics(uow_factory(), privacy.PUSHES_UNDELIVERED) == {
        ("2025-09", "tip:skipped"): 1
    }
    assert await privacy.statistics(uow_factory(), privacy.TIP_HELPFUL) == {
        ("2025-09", "lidong"): 1
    }
    assert await privacy.prune_outbox(uow_factory(), clock, 13) == 0


async def test_parent_takes_over_their_own_account_with_their_bookings(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await a_family(uow_factory, clock)
    child, grandma = await family.list_members(uow_factory(), ME)
    appointment = await book_for(uow_factory, clock, grandma.id)
    with pytest.raises(DomainError) as refused:
        await privacy.create_takeover(uow_factory(), clock, ME, child.id)
    assert refused.value.code == "takeover_child"
    with pytest.raises(DomainError):
        await privacy.create_takeover(uow_factory(), clock, NEIGHBOUR, grandma.id)

    token = await privacy.create_takeover(uow_factory(), clock, ME, grandma.id)
    greeted = await privacy.takeover_member(uow_factory(), clock, token)
    assert greeted.display_name == GRANDMA_NAME
    took_over = await privacy.accept_takeover(
        uow_factory(),
        clock,
        token=token,
        telegram_user_id=GRANDMA_USER,
        locale="zh-CN",
        notice_version=CONSENT_NOTICE_VERSION,
    )

    assert took_over.display_name == GRANDMA_NAME
    assert took_over.birth_year == GRANDMA_BORN.year
    assert took_over.conditions == frozenset({Condition.DIABETES})
    assert took_over.onboarded_at is not None
    assert [m.display_name for m in await family.list_members(uow_factory(), ME)] == [CHILD_NAME]
    [hers] = await booking.my_appointments(uow_factory(), clock, GRANDMA_USER)
    assert hers.id == appointment.id
    assert await booking.my_appointments(uow_factory(), clock, ME) == []
    # Her reminders now go to her own chat.
    assert {r for r, k, _ in await outbox(uow_factory) if k == "reminder"} == {took_over.id}
    # The link works once.
    with pytest.raises(DomainError) as again:
        await privacy.takeover_member(uow_factory(), clock, token)
    assert again.value.code in ("takeover_used", "takeover_invalid")


async def test_takeover_link_expires(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> None:
    await a_family(uow_factory, clock)
    _child, grandma = await family.list_members(uow_factory(), ME)
    token = await privacy.create_takeover(uow_factory(), clock, ME, grandma.id)
    clock.advance(privacy.TAKEOVER_TTL + timedelta(seconds=1))
    with pytest.raises(DomainError) as expired:
        await privacy.takeover_member(uow_factory(), clock, token)
    assert expired.value.code == "takeover_expired"


async def test_dispatcher_skips_pushes_queued_after_withdrawal(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    test_library: Library,
    botapi: BotAPIServer,
    bot: Bot,
) -> None:
    resident = await make_resident(uow_factory, clock, ME, name=MY_NAME, locale="en")
    botapi.open_chat(TgUser(ME, "Lin"))
    await privacy.withdraw_consent(uow_factory(), clock, ME)
    # Someone else's cancellation offers them a waiting-list seat after they withdrew.
    async with uow_factory() as uow:
        await uow.begin_write()
        await uow.outbox.enqueue(
            resident_id=resident.id,
            kind="waitlist_offer",
            dedupe_key="wait:1:offer",
            payload="{}",
            not_before=clock.now(),
            now=clock.now(),
        )
        await uow.commit()

    report = await make_dispatcher(uow_factory, bot, test_library, clock).run_once()

    assert report.sent == 0
    assert botapi.messages(ME) == []
    [row] = await statuses(uow_factory)
    assert row.status == OutboxStatus.SKIPPED


async def test_a_doctors_message_reaches_a_paused_resident_but_not_one_who_withdrew(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    test_library: Library,
    botapi: BotAPIServer,
    bot: Bot,
) -> None:
    resident = await make_resident(uow_factory, clock, ME, name=MY_NAME, locale="en")
    botapi.open_chat(TgUser(ME, "Lin"))
    dispatcher = make_dispatcher(uow_factory, bot, test_library, clock)
    console.register(dispatcher, Renderer())

    async def doctor_writes(key: str) -> None:
        async with uow_factory() as uow:
            await uow.begin_write()
            await uow.outbox.enqueue(
                resident_id=resident.id,
                kind=console.PERSONAL,
                dedupe_key=key,
                payload=json.dumps({"doctor": "王医生", "text": "请明天来复查血压"}),
                not_before=clock.now(),
                now=clock.now(),
            )
            await uow.commit()

    # Pausing pushes doesn't silence their own doctor: a conversation is not a push.
    await pushes.set_paused(uow_factory(), clock, ME, True)
    await doctor_writes("personal:1")
    assert (await dispatcher.run_once()).sent == 1
    assert "请明天来复查血压" in botapi.messages(ME)[-1].text

    # Withdrawn consent stops everything, the doctor's messages included.
    await privacy.withdraw_consent(uow_factory(), clock, ME)
    await doctor_writes("personal:2")
    assert (await dispatcher.run_once()).sent == 0
    assert len(botapi.messages(ME)) == 1
