"""What a resident and their doctor notice when the resident's consent is withdrawn or given
to an older notice (real databases, controllable clock): no care reminder, digest line or
broadcast is planned for them; the doctor is told a message can't reach them instead of
"sent"; agreeing to the notice in force brings the reminders back and keeps the care plan
where it was. Also: the doctor's nudge is in the resident's access log."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.services import broadcasts, careplans, console, privacy, questions
from jiayi.services.broadcasts import Draft
from jiayi.services.careplans import DigestFrequency, ItemState
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.errors import NotAllowed
from jiayi.services.residents import Condition
from jiayi.services.settings import Settings
from jiayi.storage.records import DoctorRecord, ResidentRecord
from tests.factories import make_resident
from tests.integration.careplans_support import (
    DOCTOR_USER,
    ELDER,
    HYPERTENSIVE,
    SHANGHAI,
    TODAY,
    at_local,
    bound_doctor,
    contracted,
    reminders,
)

OLDER_NOTICE = "2020-01"
HYPERTENSION = "cond.hypertension"
WITHDRAWN, OUTDATED = "withdrawn", "outdated"


@pytest.fixture
def settings() -> Settings:
    return Settings(admin_ids=frozenset(), _env_file=None)  # type: ignore[call-arg]


async def _hypertensive(
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    user_id: int,
    doctor: DoctorRecord,
    name: str,
) -> ResidentRecord:
    resident = await make_resident(
        uow_factory,
        clock,
        user_id,
        name=name,
        birth_year=1950,
        conditions=(Condition.HYPERTENSION,),
    )
    await contracted(uow_factory, clock, user_id, doctor)
    return resident


async def _lose_consent(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, user_id: int, how: str
) -> None:
    if how == WITHDRAWN:
        await privacy.withdraw_consent(uow_factory(), clock, user_id)
    else:  # agreed to a notice that has since been replaced
        await privacy.give_consent(uow_factory(), clock, user_id, OLDER_NOTICE)


def _overdue(entries: list[careplans.PlanEntry]) -> list[tuple[str, date]]:
    return [(e.rule_id, e.due) for e in entries if e.state is ItemState.OVERDUE]


async def test_agreeing_to_a_new_notice_keeps_overdue_items_overdue(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    doctor = await bound_doctor(uow_factory, clock, DOCTOR_USER, "王医生")
    resident = await _hypertensive(uow_factory, clock, HYPERTENSIVE, doctor, "张三")
    await privacy.give_consent(uow_factory(), clock, HYPERTENSIVE, OLDER_NOTICE)
    clock.set(at_local(TODAY + timedelta(days=60)))
    before = _overdue(await careplans.plan(uow_factory(), clock, HYPERTENSIVE, SHANGHAI))
    assert ("htn_follow_up", TODAY) in before

    # The notice changed; two months on, the resident reads it and agrees.
    await privacy.give_consent(uow_factory(), clock, HYPERTENSIVE, CONSENT_NOTICE_VERSION)

    after = _overdue(await careplans.plan(uow_factory(), clock, HYPERTENSIVE, SHANGHAI))
    assert after == before
    async with uow_factory() as uow:
        late = await careplans.overdue_resident_ids(
            uow, doctor.id, TODAY + timedelta(days=60), SHANGHAI
        )
    assert late == {resident.id}


@pytest.mark.parametrize("how", [WITHDRAWN, OUTDATED])
async def test_no_care_reminder_without_consent_and_it_comes_once_consent_is_given(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, how: str
) -> None:
    doctor = await bound_doctor(uow_factory, clock, DOCTOR_USER, "王医生")
    await _hypertensive(uow_factory, clock, HYPERTENSIVE, doctor, "张三")
    await _lose_consent(uow_factory, clock, HYPERTENSIVE, how)
    clock.set(at_local(TODAY + timedelta(days=3)))

    assert await careplans.plan_reminders(uow_factory, clock, SHANGHAI) == 0
    assert await reminders(uow_factory) == []

    await privacy.give_consent(uow_factory(), clock, HYPERTENSIVE, CONSENT_NOTICE_VERSION)
    assert await careplans.plan_reminders(uow_factory, clock, SHANGHAI) > 0
    queued = await reminders(uow_factory)
    assert "htn_follow_up" in {r.payload["rule"] for r in queued}
    assert {r.status for r in queued} == {"pending"}


@pytest.mark.parametrize("how", [WITHDRAWN, OUTDATED])
async def test_digest_and_overdue_audience_leave_out_residents_without_consent(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, settings: Settings, how: str
) -> None:
    wednesday = date(2027, 4, 7)
    clock.set(at_local(wednesday))
    doctor = await bound_doctor(uow_factory, clock, DOCTOR_USER, "王医生")
    await _hypertensive(uow_factory, clock, HYPERTENSIVE, doctor, "张三")
    kept = await _hypertensive(uow_factory, clock, ELDER, doctor, "李四")
    await careplans.set_digest_frequency(
        uow_factory(), clock, DOCTOR_USER, DigestFrequency.DAILY, "en"
    )
    await _lose_consent(uow_factory, clock, HYPERTENSIVE, how)
    clock.set(at_local(wednesday + timedelta(days=2)))

    assert await careplans.plan_digests(uow_factory, clock, SHANGHAI) == 1
    (digest,) = await reminders(uow_factory, "care_digest")
    assert [r["name"] for r in digest.payload["residents"]] == ["李四"]
    async with uow_factory() as uow:
        late = await careplans.overdue_resident_ids(
            uow, doctor.id, wednesday + timedelta(days=2), SHANGHAI
        )
    assert late == {kept.id}
    estimate = await broadcasts.audience_size(
        uow_factory(), clock, settings, DOCTOR_USER, [broadcasts.OVERDUE_SEGMENT]
    )
    assert estimate.size == 1


@pytest.mark.parametrize("how", [WITHDRAWN, OUTDATED])
async def test_broadcast_neither_counts_nor_targets_residents_without_consent(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, settings: Settings, how: str
) -> None:
    doctor = await bound_doctor(uow_factory, clock, DOCTOR_USER, "王医生")
    left_out = await _hypertensive(uow_factory, clock, HYPERTENSIVE, doctor, "张三")
    kept = await _hypertensive(uow_factory, clock, ELDER, doctor, "李四")
    await _lose_consent(uow_factory, clock, HYPERTENSIVE, how)

    estimate = await broadcasts.audience_size(
        uow_factory(), clock, settings, DOCTOR_USER, [HYPERTENSION]
    )
    assert estimate.size == 1
    sent = await broadcasts.create_broadcast(
        uow_factory(),
        clock,
        settings,
        DOCTOR_USER,
        Draft(texts={"zh-CN": "冬季注意血压"}, segments=(HYPERTENSION,)),
        owner_locale="zh-CN",
    )
    assert sent.audience_size == 1
    queued = await reminders(uow_factory, broadcasts.BROADCAST_KIND)
    assert [r.resident_id for r in queued] == [kept.id]
    targeted = await console.audit_entries_for_resident(uow_factory(), left_out.id)
    assert "broadcast" not in {e.action for e in targeted}


async def test_doctor_is_told_a_withdrawn_resident_cant_be_written_to(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, settings: Settings
) -> None:
    doctor = await bound_doctor(uow_factory, clock, DOCTOR_USER, "王医生")
    resident = await _hypertensive(uow_factory, clock, HYPERTENSIVE, doctor, "张三")
    asked = await questions.ask_question(uow_factory(), clock, HYPERTENSIVE, "降压药饭后吃吗？")
    await privacy.withdraw_consent(uow_factory(), clock, HYPERTENSIVE)
    clock.set(at_local(TODAY + timedelta(days=3)))

    attempts = [
        console.message_target(uow_factory(), settings, DOCTOR_USER, resident.id),
        console.send_personal_message(
            uow_factory(), clock, settings, DOCTOR_USER, resident.id, "请来复诊"
        ),
        questions.question_for_reply(
            uow_factory(), clock, settings, DOCTOR_USER, asked.question.id
        ),
        questions.answer_question(
            uow_factory(), clock, settings, DOCTOR_USER, asked.question.id, "饭后"
        ),
        careplans.nudge(uow_factory(), clock, DOCTOR_USER, resident.id, SHANGHAI),
    ]
    for attempt in attempts:
        with pytest.raises(NotAllowed) as caught:
            await attempt
        assert caught.value.code == "resident_withdrew_consent"
    for kind in (console.PERSONAL, questions.ANSWER, careplans.KIND_CARE_NUDGE):
        assert await reminders(uow_factory, kind) == []
    still_open = await questions.open_questions(uow_factory(), clock, settings, DOCTOR_USER)
    assert [q.id for q in still_open] == [asked.question.id]

    # Once they agree again, the answer goes out.
    await privacy.give_consent(uow_factory(), clock, HYPERTENSIVE, CONSENT_NOTICE_VERSION)
    await questions.answer_question(
        uow_factory(), clock, settings, DOCTOR_USER, asked.question.id, "饭后"
    )
    assert [r.resident_id for r in await reminders(uow_factory, questions.ANSWER)] == [resident.id]


async def test_the_doctors_nudge_is_in_the_residents_data_export(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    doctor = await bound_doctor(uow_factory, clock, DOCTOR_USER, "王医生")
    resident = await _hypertensive(uow_factory, clock, HYPERTENSIVE, doctor, "张三")
    clock.set(at_local(TODAY + timedelta(days=3)))
    assert await careplans.nudge(uow_factory(), clock, DOCTOR_USER, resident.id, SHANGHAI)

    export = await privacy.export_my_data(uow_factory(), clock, HYPERTENSIVE)
    access = export.sections["doctor_access"]
    assert isinstance(access, list)
    nudges = [e for e in access if e["action"] == "nudge"]
    assert len(nudges) == 1
    assert nudges[0]["doctor_name"] == "王医生"
