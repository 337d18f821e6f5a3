"""The audit log: who read or changed which resident's data, and when."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage import models as m
from jiayi.storage.records import AuditRecord


class ConsoleAudit:
    """Appends to the audit log and reads a resident's entries back."""

    _s: AsyncSession

    async def audit(
        self,
        *,
        actor_doctor_id: int | None,
        actor_user_id: int,
        resident_ids: Iterable[int],
        action: str,
        at: datetime,
        ref_id: int | None = None,
    ) -> None:
        rows = [
            {
                "actor_doctor_id": actor_doctor_id,
                "actor_user_id": actor_user_id,
                "resident_id": rid,
                "action": action,
                "ref_id": ref_id,
                "at": at,
            }
            for rid in resident_ids
        ]
        if rows:
            await self._s.execute(insert(m.AuditEntry), rows)

    async def audit_for_resident(self, resident_id: int) -> list[AuditRecord]:
        a = m.AuditEntry
        rows = await self._s.execute(
            select(a, m.Doctor.display_name)
            .outerjoin(m.Doctor, m.Doctor.id == a.actor_doctor_id)
            .where(a.resident_id == resident_id)
            .order_by(a.at, a.id)
        )
        return [
            AuditRecord(
                id=row.id,
                actor_doctor_id=row.actor_doctor_id,
                actor_doctor_name=name,
                resident_id=row.resident_id,
                action=row.action,
                ref_id=row.ref_id,
                at=row.at,
            )
            for row, name in rows
        ]
