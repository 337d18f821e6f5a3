"""Tip quizzes: the question for a delivered tip and points for the right answer, once."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from jiayi.content.points import (
    Rule,
)
from jiayi.content.tips import Library, Quiz
from jiayi.services.clock import Clock
from jiayi.services.errors import InvalidInput, NotFound
from jiayi.services.people import require_resident
from jiayi.services.points.ledger import award
from jiayi.services.pushes.controls import delivered_tip_id
from jiayi.storage.records import (
    ResidentRecord,
)
from jiayi.storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class QuizResult:
    correct: bool
    points: int  # 0 when wrong, answered before, or over the monthly cap
    already: bool
    correct_option: int


async def _quiz_tip(
    uow: UnitOfWork, library: Library, telegram_user_id: int, outbox_id: int
) -> tuple[ResidentRecord, str, Quiz]:
    resident = await require_resident(uow, telegram_user_id)
    tip = library.tips.get(await delivered_tip_id(uow, resident.id, outbox_id))
    if tip is None or tip.quiz is None:
        raise NotFound("tip_not_found")
    return resident, tip.id, tip.quiz


async def quiz_for(
    uow: UnitOfWork, library: Library, telegram_user_id: int, outbox_id: int
) -> Quiz:
    """The quiz of a tip the resident received."""
    async with uow:
        _, _, quiz = await _quiz_tip(uow, library, telegram_user_id, outbox_id)
    return quiz


async def answer_quiz(
    uow: UnitOfWork,
    clock: Clock,
    library: Library,
    telegram_user_id: int,
    outbox_id: int,
    option: int,
    zone: ZoneInfo,
) -> QuizResult:
    """A right answer earns the quiz reward once per tip (capped per month); a wrong one
    earns nothing and may be tried again."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        resident, tip_id, quiz = await _quiz_tip(uow, library, telegram_user_id, outbox_id)
        if not 0 <= option < len(quiz.options):
            raise InvalidInput("quiz_option")
        source = f"quiz:{tip_id}"
        already = bool(await uow.points.entries_for_source(resident.id, source))
        points = 0
        if option == quiz.answer:
            points = await award(uow, now, zone, resident.id, Rule.TIP_QUIZ, source)
        await uow.commit()
    return QuizResult(option == quiz.answer, points, already, quiz.answer)
