"""The web console's sign-in links and sessions. Tokens arrive hashed; never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage import models as m


@dataclass(frozen=True, slots=True)
class ConsoleSessionRecord:
    id: int
    telegram_user_id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class DoctorRosterRow:
    """One doctor as the operator's doctors page lists them."""

    id: int
    centre_code: str
    centre_name: str
    centre_name_en: str
    display_name: str
    link_code: str
    bound: bool  # a Telegram account accepted an invite
    active: bool
    residents: int  # open contracts: the doctor's panel
    open_invites: int  # neither used, revoked nor expired


@dataclass(frozen=True, slots=True)
class CentreChoice:
    code: str
    name: str
    name_en: str


class WebConsoleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add_login(
        self,
        *,
        telegram_user_id: int,
        token_hash: str,
        locale: str | None,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        await self._s.execute(
            insert(m.ConsoleLogin).values(
                telegram_user_id=telegram_user_id,
                token_hash=token_hash,
                locale=locale,
                created_at=now,
                expires_at=expires_at,
            )
        )

    async def login_usable(self, token_hash: str, now: datetime) -> bool:
        found = await self._s.scalar(
            select(m.ConsoleLogin.id).where(
                m.ConsoleLogin.token_hash == token_hash,
                m.ConsoleLogin.used_at.is_(None),
                m.ConsoleLogin.expires_at > now,
            )
        )
        return found is not None

    async def consume_login(self, token_hash: str, now: datetime) -> tuple[int, str | None] | None:
        """Marks the link used if it still can be, in one conditional statement (two
        browsers posting the same link: one wins); the Telegram account it was for and the
        chat's language."""
        row = (
            await self._s.execute(
                update(m.ConsoleLogin)
                .where(
                    m.ConsoleLogin.token_hash == token_hash,
                    m.ConsoleLogin.used_at.is_(None),
                    m.ConsoleLogin.expires_at > now,
                )
                .values(used_at=now)
                .returning(m.ConsoleLogin.telegram_user_id, m.ConsoleLogin.locale)
            )
        ).first()
        return (int(row[0]), row[1]) if row else None

    async def add_session(
        self, *, telegram_user_id: int, token_hash: str, now: datetime, expires_at: datetime
    ) -> None:
        await self._s.execute(
            insert(m.ConsoleSession).values(
                telegram_user_id=telegram_user_id,
                token_hash=token_hash,
                created_at=now,
                last_seen_at=now,
                expires_at=expires_at,
            )
        )

    async def session_by_hash(self, token_hash: str) -> ConsoleSessionRecord | None:
        row = await self._s.scalar(
            select(m.ConsoleSession).where(m.ConsoleSession.token_hash == token_hash)
        )
        if row is None:
            return None
        return ConsoleSessionRecord(
            id=row.id,
            telegram_user_id=row.telegram_user_id,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
            ended_at=row.ended_at,
        )

    async def touch_session(self, session_id: int, now: datetime) -> None:
        await self._s.execute(
            update(m.ConsoleSession)
            .where(m.ConsoleSession.id == session_id)
            .values(last_seen_at=now)
        )

    async def end_session(self, token_hash: str, now: datetime) -> None:
        await self._s.execute(
            update(m.ConsoleSession)
            .where(m.ConsoleSession.token_hash == token_hash, m.ConsoleSession.ended_at.is_(None))
            .values(ended_at=now)
        )

    async def end_sessions_of(self, telegram_user_id: int, now: datetime) -> int:
        result = await self._s.execute(
            update(m.ConsoleSession)
            .where(
                m.ConsoleSession.telegram_user_id == telegram_user_id,
                m.ConsoleSession.ended_at.is_(None),
            )
            .values(ended_at=now)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def delete_stale(self, before: datetime) -> None:
        """Links and sessions that can no longer be used, once old enough to be of no interest."""
        await self._s.execute(delete(m.ConsoleLogin).where(m.ConsoleLogin.expires_at < before))
        await self._s.execute(
            delete(m.ConsoleSession).where(
                or_(m.ConsoleSession.expires_at < before, m.ConsoleSession.ended_at < before)
            )
        )

    async def doctor_roster(self, now: datetime) -> list[DoctorRosterRow]:
        d, c, i = m.Doctor, m.Contract, m.DoctorInvite
        panel = (
            select(func.count())
            .where(c.doctor_id == d.id, c.ended_at.is_(None))
            .correlate(d)
            .scalar_subquery()
        )
        invites = (
            select(func.count())
            .where(
                i.doctor_id == d.id,
                i.used_at.is_(None),
                i.revoked_at.is_(None),
                i.expires_at > now,
            )
            .correlate(d)
            .scalar_subquery()
        )
        rows = await self._s.execute(
            select(d, m.Centre, panel, invites)
            .join(m.Centre, m.Centre.id == d.centre_id)
            .order_by(d.active.desc(), m.Centre.code, d.display_name, d.id)
        )
        return [
            DoctorRosterRow(
                id=doctor.id,
                centre_code=centre.code,
                centre_name=centre.name,
                centre_name_en=centre.name_en,
                display_name=doctor.display_name,
                link_code=doctor.link_code,
                bound=doctor.telegram_user_id is not None,
                active=doctor.active,
                residents=int(count or 0),
                open_invites=int(open_invites or 0),
            )
            for doctor, centre, count, open_invites in rows.all()
        ]

    async def centres(self) -> list[CentreChoice]:
        rows = await self._s.scalars(select(m.Centre).order_by(m.Centre.code))
        return [CentreChoice(code=r.code, name=r.name, name_en=r.name_en) for r in rows]
