"""Residents' questions to their family doctor."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage import models as m
from jiayi.storage.records import QuestionRecord


class ConsoleQuestions:
    """Questions: asked, listed, answered."""

    _s: AsyncSession

    async def add_question(
        self, *, resident_id: int, doctor_id: int, body: str, now: datetime
    ) -> int:
        row = m.Question(resident_id=resident_id, doctor_id=doctor_id, body=body, asked_at=now)
        self._s.add(row)
        await self._s.flush()
        return row.id

    def _questions(self) -> Select[Any]:
        q, r = m.Question, m.Resident
        return select(q, r.display_name, r.locale).join(r, r.id == q.resident_id)

    @staticmethod
    def _question(row: m.Question, name: str, locale: str) -> QuestionRecord:
        return QuestionRecord(
            id=row.id,
            resident_id=row.resident_id,
            resident_name=name,
            resident_locale=locale,
            doctor_id=row.doctor_id,
            body=row.body,
            asked_at=row.asked_at,
            answered_at=row.answered_at,
        )

    async def question(self, question_id: int) -> QuestionRecord | None:
        row = (
            await self._s.execute(self._questions().where(m.Question.id == question_id))
        ).first()
        return self._question(*row) if row else None

    async def open_questions(self, doctor_id: int | None, *, limit: int) -> list[QuestionRecord]:
        q = m.Question
        query = self._questions().where(q.answered_at.is_(None))
        if doctor_id is not None:
            query = query.where(q.doctor_id == doctor_id)
        rows = await self._s.execute(query.order_by(q.asked_at, q.id).limit(limit))
        return [self._question(*row) for row in rows]

    async def count_open_questions(self, resident_id: int, doctor_id: int | None) -> int:
        q = m.Question
        query = select(func.count()).where(q.resident_id == resident_id, q.answered_at.is_(None))
        if doctor_id is not None:
            query = query.where(q.doctor_id == doctor_id)
        return int(await self._s.scalar(query) or 0)

    async def mark_answered(self, question_id: int, *, by_user_id: int, now: datetime) -> bool:
        q = m.Question
        result = await self._s.execute(
            update(q)
            .where(q.id == question_id, q.answered_at.is_(None))
            .values(answered_at=now, answered_by=by_user_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
