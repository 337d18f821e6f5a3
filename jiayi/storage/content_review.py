"""Clinicians' sign-offs of tips given in the console. Append-only; never commits."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage import models as m


@dataclass(frozen=True, slots=True)
class TipSignoffRecord:
    tip_id: str
    content_hash: str
    clinician: str
    signed_by_user_id: int
    doctor_id: int | None
    sections: tuple[str, ...]
    signed_at: datetime


class ContentReviewRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add_signoff(
        self,
        *,
        tip_id: str,
        content_hash: str,
        clinician: str,
        signed_by_user_id: int,
        doctor_id: int | None,
        sections: tuple[str, ...],
        now: datetime,
    ) -> None:
        self._s.add(
            m.TipSignoff(
                tip_id=tip_id,
                content_hash=content_hash,
                clinician=clinician,
                signed_by_user_id=signed_by_user_id,
                doctor_id=doctor_id,
                sections=json.dumps(list(sections), ensure_ascii=False),
                signed_at=now,
            )
        )
        await self._s.flush()

    async def latest_signoffs(self) -> dict[str, TipSignoffRecord]:
        """Each tip's most recent console sign-off."""
        t = m.TipSignoff
        rows = await self._s.scalars(select(t).order_by(t.tip_id, t.signed_at, t.id))
        found: dict[str, TipSignoffRecord] = {}
        for row in rows:
            found[row.tip_id] = TipSignoffRecord(
                tip_id=row.tip_id,
                content_hash=row.content_hash,
                clinician=row.clinician,
                signed_by_user_id=row.signed_by_user_id,
                doctor_id=row.doctor_id,
                sections=tuple(json.loads(row.sections)),
                signed_at=row.signed_at,
            )
        return found
