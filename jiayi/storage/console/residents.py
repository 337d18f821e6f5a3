"""The residents in a doctor's care, and the filters doctors list and address them by."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from jiayi.storage import models as m
from jiayi.storage.audience import has_child_under
from jiayi.storage.consent import may_receive_pushes
from jiayi.storage.records import AudienceMember, Condition, ResidentFilter, ResidentListItem


def _in_scope(doctor_id: int | None) -> ColumnElement[bool]:
    """Residents with an open contract with the doctor; None (an admin): every resident."""
    r = m.Resident
    if doctor_id is None:
        return and_(True)
    return (
        select(m.Contract.id)
        .where(
            m.Contract.resident_id == r.id,
            m.Contract.doctor_id == doctor_id,
            m.Contract.ended_at.is_(None),
        )
        .exists()
    )


def _matches(f: ResidentFilter, on_day: date) -> ColumnElement[bool]:
    r = m.Resident
    clauses: list[ColumnElement[bool]] = []
    if f.conditions:
        clauses.append(
            select(m.ResidentCondition.resident_id)
            .where(
                m.ResidentCondition.resident_id == r.id,
                m.ResidentCondition.condition.in_([c.value for c in f.conditions]),
            )
            .exists()
        )
    if f.age_bands:
        bands = []
        for low, high in f.age_bands:
            band = [r.birth_year <= on_day.year - low]
            if high is not None:
                band.append(r.birth_year >= on_day.year - high)
            bands.append(and_(*band))
        clauses.append(or_(*bands))
    if f.child_under_years is not None:
        clauses.append(has_child_under(f.child_under_years, on_day))
    if f.name_contains:
        clauses.append(r.display_name.contains(f.name_contains, autoescape=True))
    if f.resident_ids is not None:
        clauses.append(r.id.in_(sorted(f.resident_ids)))
    return and_(True, *clauses)


class ConsoleResidents:
    """Residents in a doctor's care: scope checks, lists, audiences."""

    _s: AsyncSession

    async def in_scope(self, doctor_id: int | None, resident_id: int) -> bool:
        r = m.Resident
        found = await self._s.scalar(
            select(r.id).where(
                r.id == resident_id, r.onboarded_at.is_not(None), _in_scope(doctor_id)
            )
        )
        return found is not None

    def _list_query(self, doctor_id: int | None, f: ResidentFilter, on_day: date) -> Select[Any]:
        r = m.Resident
        return select(r).where(
            r.onboarded_at.is_not(None), _in_scope(doctor_id), _matches(f, on_day)
        )

    async def count_residents(self, doctor_id: int | None, f: ResidentFilter, on_day: date) -> int:
        query = self._list_query(doctor_id, f, on_day).with_only_columns(func.count())
        return int(await self._s.scalar(query) or 0)

    async def list_residents(
        self, doctor_id: int | None, f: ResidentFilter, on_day: date, *, limit: int, offset: int
    ) -> list[ResidentListItem]:
        rows = list(
            await self._s.scalars(
                self._list_query(doctor_id, f, on_day)
                .order_by(m.Resident.display_name, m.Resident.id)
                .limit(limit)
                .offset(offset)
            )
        )
        conditions = await self._conditions([row.id for row in rows])
        return [
            ResidentListItem(
                id=row.id,
                display_name=row.display_name,
                birth_year=row.birth_year,
                locale=row.locale,
                conditions=conditions.get(row.id, frozenset()),
            )
            for row in rows
        ]

    async def _conditions(self, ids: Sequence[int]) -> dict[int, frozenset[Condition]]:
        found: dict[int, set[Condition]] = {}
        if ids:
            rc = m.ResidentCondition
            for rid, value in await self._s.execute(
                select(rc.resident_id, rc.condition).where(rc.resident_id.in_(ids))
            ):
                found.setdefault(rid, set()).add(Condition(value))
        return {rid: frozenset(values) for rid, values in found.items()}

    async def audience(
        self, doctor_id: int | None, f: ResidentFilter, on_day: date, consent_version: str
    ) -> list[AudienceMember]:
        """Residents in scope who match and may receive a push now (consent in force to the
        notice `consent_version`), by id."""
        r = m.Resident
        rows = await self._s.execute(
            select(r.id, r.locale)
            .where(may_receive_pushes(consent_version), _in_scope(doctor_id), _matches(f, on_day))
            .order_by(r.id)
        )
        return [AudienceMember(resident_id=rid, locale=locale) for rid, locale in rows]

    async def in_scope_ids(self, doctor_id: int | None) -> set[int]:
        r = m.Resident
        return set(await self._s.scalars(select(r.id).where(_in_scope(doctor_id))))
