"""Doctor console services on real databases: role guard, scope, audit, broadcasts,
questions, personal messages."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from jiayi.services import broadcasts, careplans, console, privacy, questions, residents
from jiayi.services.broadcasts import Draft
from jiayi.services.clock import ManualClock
from jiayi.services.console import ResidentQuery
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.errors import InvalidInput, NotAllowed
from jiayi.services.residents import Condition
from jiayi.services.settings import Settings
from jiayi.storage import models as m
from tests.factories import OTHER_DOCTOR_NAME, make_doctor, make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
DOCTOR_USER = 900
OTHER_DOCTOR_USER = 901
ADMIN_USER = 950
HYPERTENSION = "cond.hypertension"
OVER_65 = "age.65+"
FROM_45 = "age.45-64"


@pytest.fixture
def settings() -> Settings:
    return Settings(admin_ids=frozenset({ADMIN_USER}), _env_file=None)  # type: ignore[call-arg]


async def _doctor(uow_factory: UnitOfWorkFactory, clock: ManualClock, user: int, name: str) -> int:
    doctor = await make_doctor(uow_factory, clock, name=name)
    async with uow_factory() as uow:
        await uow.doctors.bind_telegram_user(doctor.id, user)
        await uow.commit()
    return doctor.id


async def _patient(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    user: int,
    doctor_id: int,
    *,
    birth_year: int,
    conditions: tuple[Condition, ...] = (),
    locale: str = "zh-CN",
) -> int:
    resident = await make_resident(
        uow_factory,
        clock,
        user,
        name=f"居民{user}",
        birth_year=birth_year,
        conditions=conditions,
        locale=locale,
    )
    await residents.choose_doctor(uow_factory(), clock, user, doctor_id, SHANGHAI)
    return resident.id


@pytest.fixture
async def practice(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> dict[str, int]:
    """Two doctors; the first has an old hypertensive (zh), an old hypertensive (en), a young
    hypertensive and an old healthy resident; the second has an old hypertensive."""
    mine = await _doctor(uow_factory, clock, DOCTOR_USER, "王医生")
    other = await _doctor(uow_factory, clock, OTHER_DOCTOR_USER, OTHER_DOCTOR_NAME)
    hyp = (Condition.HYPERTENSION,)
    return {
        "doctor": mine,
        "other_doctor": other,
        "old_hyp": await _patient(uow_factory, clock, 1, mine, birth_year=1950, conditions=hyp),
        "old_hyp_en": await _patient(
            uow_factory, clock, 2, mine, birth_year=1955, conditions=hyp, locale="en"
        ),
        "young_hyp": await _patient(uow_factory, clock, 3, mine, birth_year=1980, conditions=hyp),
        "old_well": await _patient(uow_factory, clock, 4, mine, birth_year=1950),
        "others": await _patient(uow_factory, clock, 5, other, birth_year=1950, conditions=hyp),
    }


async def _outbox(uow_factory: UnitOfWorkFactory, kind: str) -> list[Any]:
    o = m.OutboxMessage
    async with uow_factory() as uow:
        rows = await uow.session.execute(
            select(o.resident_id, o.dedupe_key, o.payload, o.not_before, o.status)
            .where(o.kind == kind)
            .order_by(o.not_before, o.id)
        )
        return list(rows)


async def _audit_count(uow_factory: UnitOfWorkFactory) -> int:
    async with uow_factory() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(m.AuditEntry)) or 0)


async def test_residents_are_refused_every_doctor_function(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    settings: Settings,
    practice: dict[str, int],
) -> None:
    resident_user = 1
    attempts = [
        console.list_residents(uow_factory(), clock, settings, resident_user, ResidentQuery()),
        console.resident_card(uow_factory(), clock, settings, resident_user, practice["old_hyp"]),
        console.send_personal_message(
            uow_factory(), clock, settings, resident_user, practice["old_hyp"], "hi"
        ),
        broadcasts.audience_size(uow_factory(), clock, settings, resident_user, [HYPERTENSION]),
        broadcasts.create_broadcast(
            uow_factory(),
            clock,
            settings,
            resident_user,
            Draft(texts={"zh-CN": "x"}, segments=(HYPERTENSION,)),
            owner_locale="zh-CN",
        ),
        broadcasts.list_broadcasts(uow_factory(), settings, resident_user),
        questions.open_questions(uow_factory(), clock, settings, resident_user),
    ]
    for attempt in attempts:
        with pytest.raises(NotAllowed) as caught:
            await attempt
        assert caught.value.code == "not_a_doctor"
    assert await _audit_count(uow_factory) == 0
    assert await _outbox(uow_factory, "broadcast") == []
    assert await _outbox(uow_factory, "personal") == []


async def test_doctor_sees_only_own_residents_and_admin_sees_all(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    settings: Settings,
    practice: dict[str, int],
) -> None:
    page = await console.list_residents(
        uow_factory(), clock, settings, DOCTOR_USER, ResidentQuery()
    )
    assert page.total == 4
    assert practice["others"] not in {r.id for r in page.residents}
    with pytest.raises(NotAllowed) as caught:
        await console.resident_card(
            uow_factory(), clock, settings, DOCTOR_USER, practice["others"]
        )
    assert caught.value.code == "resident_not_yours"
    with pytest.raises(NotAllowed) as caught:
        await console.send_personal_message(
            uow_factory(), clock, settings, DOCTOR_USER, practice["others"], "hello"
        )
    assert caught.value.code == "resident_not_yours"
    filtered = await console.list_residents(
        uow_factory(),
        clock,
        settings,
        DOCTOR_USER,
        ResidentQuery(condition="hypertension", age_band=console.AgeBand.FROM_65),
    )
    assert {r.id for r in filtered.residents} == {practice["old_hyp"], practice["old_hyp_en"]}
    by_name = await console.list_residents(
        uow_factory(), clock, settings, DOCTOR_USER, ResidentQuery(name="居民3")
    )
    assert [r.id for r in by_name.residents] == [practice["young_hyp"]]

    admin = await console.list_residents(
        uow_factory(), clock, settings, ADMIN_USER, ResidentQuery()
    )
    assert admin.total == 5
    card = await console.resident_card(
        uow_factory(), clock, settings, ADMIN_USER, practice["others"]
    )
    assert card.resident.id == practice["others"]
    # The admin may read the card but records care and lectures only as a contracted doctor.
    assert not card.can_record
    own = await console.resident_card(
        uow_factory(), clock, settings, DOCTOR_USER, practice["old_hyp"]
    )
    assert own.can_record


async def test_card_views_and_messages_are_audited_without_bodies(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    settings: Settings,
    practice: dict[str, int],
) -> None:
    resident_id = practice["old_hyp"]
    card = await console.resident_card(uow_factory(), clock, settings, DOCTOR_USER, resident_id)
    assert card.age == 76
    clock.advance(timedelta(minutes=1))
    await console.send_personal_message(
        uow_factory(), clock, settings, DOCTOR_USER, resident_id, "请明天来复查血压"
    )
    entries = await console.audit_entries_for_resident(uow_factory(), resident_id)
    assert [(e.action, e.actor_doctor_id, e.actor_doctor_name) for e in entries] == [
        ("card", practice["doctor"], "王医生"),
        ("message", practice["doctor"], "王医生"),
    ]
    assert entries[1].at - entries[0].at == timedelta(minutes=1)
    async with uow_factory() as uow:
        audit_rows = (await uow.session.execute(select(m.AuditEntry.__table__))).all()
    assert "复查" not in repr(audit_rows)
    (row,) = await _outbox(uow_factory, "personal")
    assert row.resident_id == resident_id
    assert json.loads(row.payload)["text"] == "请明天来复查血压"


async def test_broadcast_to_hypertension_65_plus_reaches_only_matching_own_residents(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    settings: Settings,
    practice: dict[str, int],
) -> None:
    segments = [HYPERTENSION, OVER_65]
    estimate = await broadcasts.audience_size(
        uow_factory(), clock, settings, DOCTOR_USER, segments
    )
    assert estimate.size == 2
    draft = Draft(
        texts={"zh-CN": "冬季注意血压", "en": "Watch your blood pressure this winter"},
        segments=tuple(segments),
    )
    sent = await broadcasts.create_broadcast(
        uow_factory(), clock, settings, DOCTOR_USER, draft, owner_locale="zh-CN"
    )
    rows = await _outbox(uow_factory, "broadcast")
    texts = {row.resident_id: json.loads(row.payload)["text"] for row in rows}
    assert texts == {
        practice["old_hyp"]: "冬季注意血压",
        practice["old_hyp_en"]: "Watch your blood pressure this winter",
    }
    assert {row.dedupe_key for row in rows} == {
        f"broadcast:{sent.id}:{practice['old_hyp']}",
        f"broadcast:{sent.id}:{practice['old_hyp_en']}",
    }
    targeted = await console.audit_entries_for_resident(uow_factory(), practice["old_hyp"])
    assert [(e.action, e.ref_id) for e in targeted] == [("broadcast", sent.id)]
    assert await console.audit_entries_for_resident(uow_factory(), practice["others"]) == []

    report = await broadcasts.report(uow_factory(), settings, DOCTOR_USER, sent.id)
    assert (report.waiting, report.delivered) == (2, 0)
    with pytest.raises(NotAllowed) as caught:
        await broadcasts.report(uow_factory(), settings, OTHER_DOCTOR_USER, sent.id)
    assert caught.value.code == "broadcast_not_yours"


async def test_spread_broadcast_is_spaced_over_the_window_and_can_be_cancelled(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    settings: Settings,
    practice: dict[str, int],
) -> None:
    window = timedelta(hours=8)
    draft = Draft(texts={"zh-CN": "健康讲座通知"}, spread=window)
    estimate = await broadcasts.audience_size(
        uow_factory(), clock, settings, DOCTOR_USER, [], spread=window
    )
    assert (estimate.size, estimate.duration) == (4, window)
    starts = clock.now() + timedelta(days=1)
    scheduled = await broadcasts.create_broadcast(
        uow_factory(), clock, settings, DOCTOR_USER, draft, owner_locale="zh-CN", starts_at=starts
    )
    assert scheduled.status == "scheduled"
    rows = await _outbox(uow_factory, "broadcast")
    assert [row.not_before - starts for row in rows] == [window / 4 * i for i in range(4)]

    cancelled = await broadcasts.cancel_broadcast(
        uow_factory(), clock, settings, DOCTOR_USER, scheduled.id
    )
    assert cancelled.status == "cancelled"
    assert {row.status for row in await _outbox(uow_factory, "broadcast")} == {"cancelled"}
    with pytest.raises(InvalidInput) as caught:
        await broadcasts.cancel_broadcast(
            uow_factory(), clock, settings, DOCTOR_USER, scheduled.id
        )
    assert caught.value.code == "broadcast_not_cancellable"
    with pytest.raises(NotAllowed) as caught:
        await broadcasts.cancel_broadcast(
            uow_factory(), clock, settings, OTHER_DOCTOR_USER, scheduled.id
        )
    assert caught.value.code == "broadcast_not_yours"


async def test_paused_and_unreachable_residents_are_left_out(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    settings: Settings,
    practice: dict[str, int],
) -> None:
    async with uow_factory() as uow:
        await uow.pushes.set_paused(practice["old_hyp"], clock.now())
        await uow.commit()
    estimate = await broadcasts.audience_size(
        uow_factory(), clock, settings, DOCTOR_USER, [HYPERTENSION]
    )
    assert estimate.size == 2  # old_hyp_en and young_hyp


async def test_computed_segment_combines_with_the_others(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    settings: Settings,
    practice: dict[str, int],
) -> None:
    """A segment computed outside SQL ("overdue") narrows an age segment (AND, not OR).

    Half a year on, the three 65+ residents are overdue (yearly check-up, follow-ups); the
    45-64 hypertensive had their follow-up and their yearly chronic-disease check-up today.
    Mutations tried: `_audience_filter` dropping the resolver's ids (45-64 AND overdue counts
    young_hyp); uniting them with the SQL filter instead of intersecting."""
    clock.advance(timedelta(days=180))
    for rule in ("htn_follow_up", "chronic_checkup"):
        await careplans.record_done(
            uow_factory(), clock, DOCTOR_USER, practice["young_hyp"], None, rule, SHANGHAI
        )

    async def size(*codes: str) -> int:
        estimate = await broadcasts.audience_size(
            uow_factory(), clock, settings, DOCTOR_USER, list(codes)
        )
        return estimate.size

    overdue = broadcasts.OVERDUE_SEGMENT
    assert await size(overdue) == 3  # old_hyp, old_hyp_en, old_well
    assert await size(FROM_45) == 1  # young_hyp
    assert await size(overdue, FROM_45) == 0
    assert await size(overdue, OVER_65) == 3


async def test_question_is_answered_once_through_the_outbox(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    settings: Settings,
    practice: dict[str, int],
) -> None:
    asked = await questions.ask_question(uow_factory(), clock, 1, "降压药饭前还是饭后吃？")
    assert asked.doctor_chat_id == DOCTOR_USER
    clock.advance(timedelta(minutes=5))
    await questions.ask_question(uow_factory(), clock, 2, "Can I exercise in the cold?")
    open_now = await questions.open_questions(uow_factory(), clock, settings, DOCTOR_USER)
    assert [q.resident_id for q in open_now] == [practice["old_hyp"], practice["old_hyp_en"]]
    assert await questions.open_questions(uow_factory(), clock, settings, OTHER_DOCTOR_USER) == []
    with pytest.raises(NotAllowed) as caught:
        await questions.answer_question(
            uow_factory(), clock, settings, OTHER_DOCTOR_USER, asked.question.id, "x"
        )
    assert caught.value.code == "question_not_yours"

    await questions.answer_question(
        uow_factory(), clock, settings, DOCTOR_USER, asked.question.id, "饭后服用"
    )
    with pytest.raises(InvalidInput) as caught:
        await questions.answer_question(
            uow_factory(), clock, settings, DOCTOR_USER, asked.question.id, "again"
        )
    assert caught.value.code == "question_answered"
    (row,) = await _outbox(uow_factory, "answer")
    assert row.resident_id == practice["old_hyp"]
    remaining = await questions.open_questions(uow_factory(), clock, settings, DOCTOR_USER)
    assert [q.resident_id for q in remaining] == [practice["old_hyp_en"]]


async def test_resident_without_a_doctor_cannot_ask(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, 77)
    with pytest.raises(InvalidInput) as caught:
        await questions.ask_question(uow_factory(), clock, 77, "hello")
    assert caught.value.code == "no_doctor"


async def test_overdue_care_segment_counts_only_residents_with_overdue_items(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    settings: Settings,
    practice: dict[str, int],
) -> None:
    overdue = broadcasts.OVERDUE_SEGMENT
    # Nobody has seen their doctor for half a year: every hypertensive's quarterly follow-up
    # is late; a follow-up recorded today puts one of them back on track.
    clock.advance(timedelta(days=180))
    # Every hypertensive also has a yearly check-up (规范 第三版), whatever their age.
    for rule_id in ("htn_follow_up", "chronic_checkup"):
        await careplans.record_done(
            uow_factory(), clock, DOCTOR_USER, practice["young_hyp"], None, rule_id, SHANGHAI
        )
    mine = await broadcasts.audience_size(
        uow_factory(), clock, settings, DOCTOR_USER, [overdue, HYPERTENSION]
    )
    assert mine.size == 2  # old_hyp and old_hyp_en; young_hyp is done, "others" isn't mine
    everyone = await broadcasts.audience_size(
        uow_factory(), clock, settings, ADMIN_USER, [overdue, HYPERTENSION]
    )
    assert everyone.size == 3  # an admin also reaches the other doctor's resident


async def test_a_new_question_is_pushed_to_the_doctor_and_erasure_takes_it_back(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    practice: dict[str, int],
) -> None:
    asked = await questions.ask_question(uow_factory(), clock, 1, "降压药饭前还是饭后吃？")
    [row] = await _outbox(uow_factory, questions.QUESTION_ALERT)
    assert (row.resident_id, row.dedupe_key) == (None, f"question:{asked.question.id}")
    assert "降压药饭前还是饭后吃？" in row.payload
    # The alert carries the resident's name and words: erasing them removes it too.
    await privacy.erase_my_data(uow_factory(), clock, 1)
    assert await _outbox(uow_factory, questions.QUESTION_ALERT) == []
