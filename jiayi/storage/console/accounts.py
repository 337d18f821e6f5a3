"""Doctors' accounts, as the operator's commands change them: invites, deactivation,
residents moved between doctors, and the record of those changes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage import models as m


@dataclass(frozen=True, slots=True)
class InviteState:
    """What accepting or revoking an invite needs to know about it (never the token)."""

    id: int
    doctor_id: int
    expires_at: datetime
    used_at: datetime | None
    revoked_at: datetime | None
    rebind: bool


@dataclass(frozen=True, slots=True)
class DoctorAccountEventRecord:
    doctor_id: int | None
    action: str
    other_doctor_id: int | None
    count: int | None
    at: datetime


@dataclass(frozen=True, slots=True)
class OrphanedPractice:
    """A deactivated doctor whose residents still hold an open contract with them."""

    doctor_id: int
    display_name: str
    link_code: str
    centre_id: int
    resident_ids: list[int]


class ConsoleAccounts:
    """Doctors' accounts: invites, deactivation, moving contracts, account events."""

    _s: AsyncSession

    async def resident_count(self, doctor_id: int) -> int:
        """Residents with an open contract with the doctor."""
        c = m.Contract
        stmt = select(func.count()).where(c.doctor_id == doctor_id, c.ended_at.is_(None))
        return int(await self._s.scalar(stmt) or 0)

    async def doctors_named(self, centre_id: int, display_name: str) -> list[tuple[int, str, int]]:
        """(id, link code, open contracts) of the centre's active doctors with this name."""
        d, c = m.Doctor, m.Contract
        count = (
            select(func.count())
            .where(c.doctor_id == d.id, c.ended_at.is_(None))
            .correlate(d)
            .scalar_subquery()
        )
        rows = await self._s.execute(
            select(d.id, d.link_code, count)
            .where(d.centre_id == centre_id, d.display_name == display_name, d.active.is_(True))
            .order_by(d.id)
        )
        return [(i, code, int(n)) for i, code, n in rows]

    async def add_invite(
        self,
        *,
        doctor_id: int,
        token_hash: str,
        expires_at: datetime,
        rebind: bool,
        now: datetime,
    ) -> int:
        row = m.DoctorInvite(
            doctor_id=doctor_id,
            token_hash=token_hash,
            expires_at=expires_at,
            rebind=rebind,
            created_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        return row.id

    async def invite(self, token_hash: str) -> InviteState | None:
        row = await self._s.scalar(
            select(m.DoctorInvite).where(m.DoctorInvite.token_hash == token_hash)
        )
        if row is None:
            return None
        return InviteState(
            id=row.id,
            doctor_id=row.doctor_id,
            expires_at=row.expires_at,
            used_at=row.used_at,
            revoked_at=row.revoked_at,
            rebind=row.rebind,
        )

    async def use_invite(self, invite_id: int, now: datetime) -> bool:
        """Marks the invite used, only if it is still open (neither used nor revoked)."""
        i = m.DoctorInvite
        result = await self._s.execute(
            update(i)
            .where(i.id == invite_id, i.used_at.is_(None), i.revoked_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def revoke_invites(
        self, now: datetime, *, doctor_id: int | None = None, token_hash: str | None = None
    ) -> list[int]:
        """Revokes open invites (of a doctor, or the one with this hash); returns their ids."""
        i = m.DoctorInvite
        query = update(i).where(i.used_at.is_(None), i.revoked_at.is_(None), i.expires_at > now)
        if doctor_id is not None:
            query = query.where(i.doctor_id == doctor_id)
        if token_hash is not None:
            query = query.where(i.token_hash == token_hash)
        rows = await self._s.scalars(
            query.values(revoked_at=now)
            .returning(i.id)
            .execution_options(synchronize_session=False)
        )
        return sorted(rows)

    async def deactivate_doctor(self, doctor_id: int, now: datetime) -> bool:
        """Ends the doctor's console at once: inactive, and the Telegram account unbound (so it
        can be invited again, as someone else or as a new doctor)."""
        d = m.Doctor
        result = await self._s.execute(
            update(d)
            .where(d.id == doctor_id, d.active.is_(True))
            .values(active=False, deactivated_at=now, telegram_user_id=None)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def orphaned_practices(self) -> list[OrphanedPractice]:
        d, c = m.Doctor, m.Contract
        rows = await self._s.execute(
            select(d.id, d.display_name, d.link_code, d.centre_id, c.resident_id)
            .join(c, c.doctor_id == d.id)
            .where(d.active.is_(False), c.ended_at.is_(None))
            .order_by(d.id, c.resident_id)
        )
        grouped: dict[tuple[int, str, str, int], list[int]] = defaultdict(list)
        for doctor_id, name, code, centre_id, resident_id in rows:
            grouped[(doctor_id, name, code, centre_id)].append(resident_id)
        return [
            OrphanedPractice(
                doctor_id=k[0], display_name=k[1], link_code=k[2], centre_id=k[3], resident_ids=v
            )
            for k, v in grouped.items()
        ]

    async def move_contracts(self, from_doctor: int, to_doctor: int, now: datetime) -> int:
        """Ends each open contract with `from_doctor` and opens the same one with `to_doctor`
        (same end date), so the history says who cared for whom when. Returns contracts moved."""
        c = m.Contract
        open_ = list(
            await self._s.scalars(
                select(c).where(c.doctor_id == from_doctor, c.ended_at.is_(None)).order_by(c.id)
            )
        )
        for row in open_:
            row.ended_at = now
        await self._s.flush()
        for row in open_:
            self._s.add(
                m.Contract(
                    resident_id=row.resident_id,
                    doctor_id=to_doctor,
                    starts_on=max(row.starts_on, now.date()),
                    ends_on=row.ends_on,
                    created_at=now,
                )
            )
        await self._s.flush()
        return len(open_)

    async def add_account_event(
        self,
        *,
        doctor_id: int | None,
        action: str,
        at: datetime,
        other_doctor_id: int | None = None,
        count: int | None = None,
    ) -> None:
        self._s.add(
            m.DoctorAccountEvent(
                doctor_id=doctor_id,
                action=action,
                other_doctor_id=other_doctor_id,
                count=count,
                at=at,
            )
        )
        await self._s.flush()

    async def account_events(self, doctor_id: int) -> list[DoctorAccountEventRecord]:
        e = m.DoctorAccountEvent
        rows = await self._s.scalars(
            select(e)
            .where(or_(e.doctor_id == doctor_id, e.other_doctor_id == doctor_id))
            .order_by(e.at, e.id)
        )
        return [
            DoctorAccountEventRecord(
                doctor_id=r.doctor_id,
                action=r.action,
                other_doctor_id=r.other_doctor_id,
                count=r.count,
                at=r.at,
            )
            for r in rows
        ]
