"""The web console's sign-in links and sessions. Tokens arrive hashed; never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import models as m


@dataclass(frozen=True, slots=True)
class ConsoleSessionRecord:
    id: int
    telegram_user_id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ended_at: datetime | None


class WebConsoleRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add_login(
        self, *, telegram_user_id: int, token_hash: str, now: datetime, expires_at: datetime
    ) -> None:
        await self._s.execute(
            insert(m.ConsoleLogin).values(
                telegram_user_id=telegram_user_id,
                token_hash=token_hash,
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

    async def consume_login(self, token_hash: str, now: datetime) -> int | None:
        """Marks the link used if it still can be, in one conditional statement (two
        browsers posting the same link: one wins); the Telegram account it was for."""
        return await self._s.scalar(
            update(m.ConsoleLogin)
            .where(
                m.ConsoleLogin.token_hash == token_hash,
                m.ConsoleLogin.used_at.is_(None),
                m.ConsoleLogin.expires_at > now,
            )
            .values(used_at=now)
            .returning(m.ConsoleLogin.telegram_user_id)
        )

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
