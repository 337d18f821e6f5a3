"""Queries. Repositories read and stage writes; they never commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage import models as m
from jiayi.storage.records import (
    CentreRecord,
    Condition,
    ConsentBasis,
    ContractRecord,
    DoctorRecord,
    FamilyMemberRecord,
    Relation,
    ResidentRecord,
    Sex,
)


def _conditions(values: Iterable[str]) -> frozenset[Condition]:
    return frozenset(Condition(v) for v in values)


class CentreRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def by_code(self, code: str) -> CentreRecord | None:
        row = await self._s.scalar(select(m.Centre).where(m.Centre.code == code))
        return _centre(row) if row else None

    async def add(
        self, *, code: str, name: str, name_en: str, timezone: str, now: datetime
    ) -> CentreRecord:
        row = m.Centre(code=code, name=name, name_en=name_en, timezone=timezone, created_at=now)
        self._s.add(row)
        await self._s.flush()
        return _centre(row)

    async def set_contact(self, centre_id: int, *, phone: str | None, address: str | None) -> None:
        await self._s.execute(
            update(m.Centre).where(m.Centre.id == centre_id).values(phone=phone, address=address)
        )

    async def list(self) -> list[CentreRecord]:
        rows = await self._s.scalars(select(m.Centre).order_by(m.Centre.id))
        return [_centre(r) for r in rows]


def _centre(row: m.Centre) -> CentreRecord:
    return CentreRecord(
        id=row.id,
        code=row.code,
        name=row.name,
        name_en=row.name_en,
        timezone=row.timezone,
        phone=row.phone,
        address=row.address,
    )


class DoctorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    def _select(self) -> Select[tuple[m.Doctor, m.Centre]]:
        return select(m.Doctor, m.Centre).join(m.Centre, m.Centre.id == m.Doctor.centre_id)

    async def get(self, doctor_id: int) -> DoctorRecord | None:
        row = (await self._s.execute(self._select().where(m.Doctor.id == doctor_id))).first()
        return _doctor(*row) if row else None

    async def by_link_code(self, code: str) -> DoctorRecord | None:
        row = (await self._s.execute(self._select().where(m.Doctor.link_code == code))).first()
        return _doctor(*row) if row else None

    async def by_telegram_user(self, telegram_user_id: int) -> DoctorRecord | None:
        stmt = self._select().where(m.Doctor.telegram_user_id == telegram_user_id)
        row = (await self._s.execute(stmt)).first()
        return _doctor(*row) if row else None

    async def by_name(self, centre_id: int, display_name: str) -> DoctorRecord | None:
        stmt = self._select().where(
            m.Doctor.centre_id == centre_id, m.Doctor.display_name == display_name
        )
        row = (await self._s.execute(stmt)).first()
        return _doctor(*row) if row else None

    async def list_active(self, *, limit: int, offset: int = 0) -> list[DoctorRecord]:
        stmt = (
            self._select()
            .where(m.Doctor.active.is_(True))
            .order_by(m.Centre.id, m.Doctor.display_name, m.Doctor.id)
            .limit(limit)
            .offset(offset)
        )
        return [_doctor(d, c) for d, c in (await self._s.execute(stmt)).all()]

    async def count_active(self) -> int:
        stmt = select(func.count()).select_from(m.Doctor).where(m.Doctor.active.is_(True))
        return int(await self._s.scalar(stmt) or 0)

    async def add(
        self, *, centre_id: int, display_name: str, link_code: str, now: datetime
    ) -> DoctorRecord:
        row = m.Doctor(
            centre_id=centre_id,
            display_name=display_name,
            link_code=link_code,
            active=True,
            created_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        found = await self.get(row.id)
        assert found is not None
        return found

    async def set_urgent_alerts_all_hours(self, doctor_id: int, all_hours: bool) -> None:
        await self._s.execute(
            update(m.Doctor)
            .where(m.Doctor.id == doctor_id)
            .values(urgent_alerts_all_hours=all_hours)
        )

    async def urgent_alerts_all_hours(self, doctor_id: int) -> bool:
        value = await self._s.scalar(
            select(m.Doctor.urgent_alerts_all_hours).where(m.Doctor.id == doctor_id)
        )
        return bool(value)

    async def bind_telegram_user(self, doctor_id: int, telegram_user_id: int | None) -> None:
        await self._s.execute(
            update(m.Doctor)
            .where(m.Doctor.id == doctor_id)
            .values(telegram_user_id=telegram_user_id)
        )


def _doctor(row: m.Doctor, centre: m.Centre) -> DoctorRecord:
    return DoctorRecord(
        id=row.id,
        centre_id=row.centre_id,
        centre_name=centre.name,
        centre_name_en=centre.name_en,
        display_name=row.display_name,
        link_code=row.link_code,
        telegram_user_id=row.telegram_user_id,
        active=row.active,
    )


_RESIDENT_COLUMNS = (
    m.Resident.id,
    m.Resident.telegram_user_id,
    m.Resident.display_name,
    m.Resident.locale,
    m.Resident.birth_year,
    m.Resident.sex,
    m.Resident.consent_version,
    m.Resident.consented_at,
    m.Resident.onboarded_at,
    m.Resident.reachable,
    m.Resident.consent_withdrawn_at,
    m.Resident.pregnancy_due,
    m.ResidentCondition.condition,
)


class ResidentRepository:
    """`known`: records the unit of work already read in this update and still vouches for
    (see `UnitOfWork.remember_resident`); `by_telegram_user` answers from it."""

    def __init__(
        self, session: AsyncSession, known: dict[int, ResidentRecord] | None = None
    ) -> None:
        self._s = session
        self._known = known if known is not None else {}

    async def _one(self, where: ColumnElement[bool]) -> ResidentRecord | None:
        # One statement: the resident's row once per condition (or once, with NULL).
        rows = (
            await self._s.execute(
                select(*_RESIDENT_COLUMNS)
                .outerjoin(m.ResidentCondition, m.ResidentCondition.resident_id == m.Resident.id)
                .where(where)
            )
        ).all()
        if not rows:
            return None
        row = rows[0]
        return ResidentRecord(
            id=row.id,
            telegram_user_id=row.telegram_user_id,
            display_name=row.display_name,
            locale=row.locale,
            birth_year=row.birth_year,
            sex=Sex(row.sex) if row.sex else None,
            conditions=_conditions(r.condition for r in rows if r.condition is not None),
            consent_version=row.consent_version,
            consented_at=row.consented_at,
            onboarded_at=row.onboarded_at,
            reachable=row.reachable,
            consent_withdrawn_at=row.consent_withdrawn_at,
            pregnancy_due=row.pregnancy_due,
        )

    async def _record(self, row: m.Resident) -> ResidentRecord:
        conditions = await self._s.scalars(
            select(m.ResidentCondition.condition).where(m.ResidentCondition.resident_id == row.id)
        )
        return ResidentRecord(
            id=row.id,
            telegram_user_id=row.telegram_user_id,
            display_name=row.display_name,
            locale=row.locale,
            birth_year=row.birth_year,
            sex=Sex(row.sex) if row.sex else None,
            conditions=_conditions(conditions),
            consent_version=row.consent_version,
            consented_at=row.consented_at,
            onboarded_at=row.onboarded_at,
            reachable=row.reachable,
            consent_withdrawn_at=row.consent_withdrawn_at,
            pregnancy_due=row.pregnancy_due,
        )

    async def by_telegram_user(self, telegram_user_id: int) -> ResidentRecord | None:
        known = self._known.get(telegram_user_id)
        if known is not None:
            return known
        return await self._one(m.Resident.telegram_user_id == telegram_user_id)

    async def get(self, resident_id: int) -> ResidentRecord | None:
        return await self._one(m.Resident.id == resident_id)

    async def add(
        self,
        *,
        telegram_user_id: int,
        display_name: str,
        locale: str,
        consent_version: str,
        now: datetime,
    ) -> ResidentRecord:
        row = m.Resident(
            telegram_user_id=telegram_user_id,
            display_name=display_name,
            locale=locale,
            consent_version=consent_version,
            consented_at=now,
            reachable=True,
            created_at=now,
            updated_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        return await self._record(row)

    async def update(self, resident_id: int, now: datetime, **values: object) -> None:
        await self._s.execute(
            update(m.Resident).where(m.Resident.id == resident_id).values(updated_at=now, **values)
        )

    async def set_conditions(self, resident_id: int, conditions: Iterable[Condition]) -> None:
        await self._s.execute(
            delete(m.ResidentCondition).where(m.ResidentCondition.resident_id == resident_id)
        )
        self._s.add_all(
            m.ResidentCondition(resident_id=resident_id, condition=c.value)
            for c in sorted(set(conditions))
        )
        await self._s.flush()

    async def count(self) -> int:
        return int(await self._s.scalar(select(func.count()).select_from(m.Resident)) or 0)


class FamilyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def _records(self, rows: Sequence[m.FamilyMember]) -> list[FamilyMemberRecord]:
        ids = [r.id for r in rows]
        by_member: dict[int, set[str]] = {i: set() for i in ids}
        if ids:
            pairs = await self._s.execute(
                select(
                    m.FamilyMemberCondition.family_member_id, m.FamilyMemberCondition.condition
                ).where(m.FamilyMemberCondition.family_member_id.in_(ids))
            )
            for member_id, condition in pairs:
                by_member[member_id].add(condition)
        return [
            FamilyMemberRecord(
                id=r.id,
                resident_id=r.resident_id,
                display_name=r.display_name,
                relation=Relation(r.relation),
                birth_date=r.birth_date,
                sex=Sex(r.sex) if r.sex else None,
                conditions=_conditions(by_member[r.id]),
                consent_basis=ConsentBasis(r.consent_basis),
                consent_recorded_at=r.consent_recorded_at,
                consented_by_resident_id=r.consented_by_resident_id,
                consent_version=r.consent_version,
            )
            for r in rows
        ]

    async def list_for(self, resident_id: int) -> list[FamilyMemberRecord]:
        rows = (
            await self._s.scalars(
                select(m.FamilyMember)
                .where(m.FamilyMember.resident_id == resident_id)
                .order_by(m.FamilyMember.id)
            )
        ).all()
        return await self._records(rows)

    async def get(self, member_id: int) -> FamilyMemberRecord | None:
        row = await self._s.get(m.FamilyMember, member_id)
        return (await self._records([row]))[0] if row else None

    async def add(
        self,
        *,
        resident_id: int,
        display_name: str,
        relation: Relation,
        birth_date: date,
        sex: Sex | None,
        conditions: Iterable[Condition],
        consent_basis: ConsentBasis,
        now: datetime,
        consented_by_resident_id: int | None = None,
        consent_version: str | None = None,
    ) -> FamilyMemberRecord:
        row = m.FamilyMember(
            consented_by_resident_id=consented_by_resident_id,
            consent_version=consent_version,
            resident_id=resident_id,
            display_name=display_name,
            relation=relation.value,
            birth_date=birth_date,
            sex=sex.value if sex else None,
            consent_basis=consent_basis.value,
            consent_recorded_at=now,
            created_at=now,
            updated_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        await self.set_conditions(row.id, conditions)
        found = await self.get(row.id)
        assert found is not None
        return found

    async def update(self, member_id: int, now: datetime, **values: object) -> None:
        await self._s.execute(
            update(m.FamilyMember)
            .where(m.FamilyMember.id == member_id)
            .values(updated_at=now, **values)
        )

    async def set_conditions(self, member_id: int, conditions: Iterable[Condition]) -> None:
        await self._s.execute(
            delete(m.FamilyMemberCondition).where(
                m.FamilyMemberCondition.family_member_id == member_id
            )
        )
        self._s.add_all(
            m.FamilyMemberCondition(family_member_id=member_id, condition=c.value)
            for c in sorted(set(conditions))
        )
        await self._s.flush()

    async def remove(self, member_id: int) -> None:
        await self._s.execute(delete(m.FamilyMember).where(m.FamilyMember.id == member_id))


class ContractRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def open_for(self, resident_id: int) -> ContractRecord | None:
        row = await self._s.scalar(
            select(m.Contract).where(
                m.Contract.resident_id == resident_id, m.Contract.ended_at.is_(None)
            )
        )
        return _contract(row) if row else None

    async def end_open(self, resident_id: int, now: datetime) -> None:
        await self._s.execute(
            update(m.Contract)
            .where(m.Contract.resident_id == resident_id, m.Contract.ended_at.is_(None))
            .values(ended_at=now)
        )

    async def add(
        self, *, resident_id: int, doctor_id: int, starts_on: date, ends_on: date, now: datetime
    ) -> ContractRecord:
        row = m.Contract(
            resident_id=resident_id,
            doctor_id=doctor_id,
            starts_on=starts_on,
            ends_on=ends_on,
            created_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        return _contract(row)


def _contract(row: m.Contract) -> ContractRecord:
    return ContractRecord(
        id=row.id,
        resident_id=row.resident_id,
        doctor_id=row.doctor_id,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
    )


class ConsentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def record_refusal(self, *, notice_version: str, locale: str, on: date) -> None:
        self._s.add(m.ConsentRefusal(notice_version=notice_version, locale=locale, refused_on=on))
        await self._s.flush()

    async def refusal_count(self) -> int:
        return int(await self._s.scalar(select(func.count()).select_from(m.ConsentRefusal)) or 0)
