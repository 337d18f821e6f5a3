"""Residents' questions to their family doctor, and the doctor's answers.

The question is kept so the doctor can list what is open; the answer goes to the resident
through the outbox (kind "answer"), like every push.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from jiayi.content.render import Renderer
from jiayi.services.clock import Clock
from jiayi.services.console import (
    AuditAction,
    audit,
    parse_message,
    require_doctor,
    require_reachable_by_message,
)
from jiayi.services.delivery import OutboxDispatcher, OutgoingMessage, staff_locale
from jiayi.services.errors import InvalidInput, NotAllowed, NotFound
from jiayi.services.people import require_onboarded_resident
from jiayi.services.push import PushKind
from jiayi.services.push.messages import Answer, QuestionAlert, answer_key, question_alert_key
from jiayi.services.settings import Settings
from jiayi.storage.records import Delivery, QuestionRecord
from jiayi.storage.uow import UnitOfWork

ANSWER = PushKind.ANSWER
# A new question, pushed to the doctor through the outbox (their quiet hours, retries).
QUESTION_ALERT = PushKind.QUESTION_ALERT
QUESTION_MAX = 1000
OPEN_LIMIT = 20

__all__ = [
    "ANSWER",
    "AskedQuestion",
    "answer_question",
    "ask_question",
    "open_questions",
    "question_for_reply",
]


@dataclass(frozen=True, slots=True)
class AskedQuestion:
    """A new question, and whom to tell: the doctor's chat (None if they never joined)."""

    question: QuestionRecord
    doctor_name: str
    doctor_chat_id: int | None


async def ask_question(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int, text: str | None
) -> AskedQuestion:
    """Stores a signed-up resident's question for their current family doctor."""
    body = parse_message(text, QUESTION_MAX)
    async with uow:
        await uow.begin_write()
        resident = await require_onboarded_resident(uow, telegram_user_id)
        contract = await uow.contracts.open_for(resident.id)
        doctor = await uow.doctors.get(contract.doctor_id) if contract else None
        if doctor is None or not doctor.active:
            raise InvalidInput("no_doctor")
        question_id = await uow.console.add_question(
            resident_id=resident.id, doctor_id=doctor.id, body=body, now=clock.now()
        )
        question = await uow.console.question(question_id)
        assert question is not None
        if doctor.telegram_user_id is not None:
            # Unbound doctors see it in /questions once they join.
            await uow.outbox.enqueue(
                resident_id=None,
                doctor_id=doctor.id,
                kind=QUESTION_ALERT,
                dedupe_key=question_alert_key(question_id),
                payload=QuestionAlert(
                    question_id=question_id,
                    resident_id=resident.id,
                    name=question.resident_name,
                    asked_at=question.asked_at,
                    body=question.body,
                ).to_json(),
                not_before=clock.now(),
                now=clock.now(),
            )
        await uow.commit()
    return AskedQuestion(question, doctor.display_name, doctor.telegram_user_id)


async def open_questions(
    uow: UnitOfWork, clock: Clock, settings: Settings, telegram_user_id: int
) -> list[QuestionRecord]:
    """Unanswered questions to the doctor (admins: to anyone), oldest first."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        actor = await require_doctor(uow, telegram_user_id, settings)
        questions = await uow.console.open_questions(actor.scope, limit=OPEN_LIMIT)
        await audit(uow, actor, [q.resident_id for q in questions], AuditAction.QUESTION_READ, now)
        await uow.commit()
    return questions


async def _question(uow: UnitOfWork, scope: int | None, question_id: int) -> QuestionRecord:
    question = await uow.console.question(question_id)
    if question is None:
        raise NotFound("question_not_found")
    if scope is not None and question.doctor_id != scope:
        raise NotAllowed("question_not_yours")
    return question


async def question_for_reply(
    uow: UnitOfWork, clock: Clock, settings: Settings, telegram_user_id: int, question_id: int
) -> QuestionRecord:
    """The question a doctor is about to answer (checked before they type)."""
    async with uow:
        await uow.begin_write()
        actor = await require_doctor(uow, telegram_user_id, settings)
        question = await _question(uow, actor.scope, question_id)
        if question.answered_at is not None:
            raise InvalidInput("question_answered")
        await require_reachable_by_message(uow, question.resident_id)
        await audit(uow, actor, [question.resident_id], AuditAction.QUESTION_READ, clock.now())
        await uow.commit()
    return question


async def answer_question(
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
    telegram_user_id: int,
    question_id: int,
    text: str | None,
) -> QuestionRecord:
    """Queues the answer to the resident; a question is answered once."""
    body = parse_message(text)
    now = clock.now()
    async with uow:
        await uow.begin_write()
        actor = await require_doctor(uow, telegram_user_id, settings)
        question = await _question(uow, actor.scope, question_id)
        await require_reachable_by_message(uow, question.resident_id)
        if not await uow.console.mark_answered(question_id, by_user_id=telegram_user_id, now=now):
            raise InvalidInput("question_answered")
        await uow.outbox.enqueue(
            resident_id=question.resident_id,
            kind=ANSWER,
            dedupe_key=answer_key(question_id),
            payload=Answer(actor.doctor_name or "", question.body, body).to_json(),
            not_before=now,
            now=now,
        )
        await audit(
            uow, actor, [question.resident_id], AuditAction.ANSWER, now, ref_id=question_id
        )
        await uow.commit()
    return question


def register(dispatcher: OutboxDispatcher, renderer: Renderer, zone: ZoneInfo) -> None:
    """Plugs doctors' answers and new-question alerts into the dispatcher."""

    def alert(d: Delivery) -> OutgoingMessage:
        p = QuestionAlert.from_json(d.payload)
        locale = staff_locale(d, renderer.default_locale)
        asked_at = p.asked_at.astimezone(zone)
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=locale,
            kind=d.kind,
            text=renderer.render(
                "question_new",
                locale,
                name=p.name,
                asked_at=asked_at,
                body=p.body,
            ),
            ref_id=p.question_id,
            payload=p,
        )

    dispatcher.register_renderer(QUESTION_ALERT, alert)

    def answer(d: Delivery) -> OutgoingMessage:
        p = Answer.from_json(d.payload)
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=d.locale,
            kind=d.kind,
            text=renderer.render(
                "question_answer", d.locale, doctor=p.doctor, question=p.question, text=p.text
            ),
            payload=p,
        )

    dispatcher.register_renderer(ANSWER, answer, despite_pause=True)
