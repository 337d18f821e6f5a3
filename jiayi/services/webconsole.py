"""Signing in to the centre's web console without a password, and its sessions.

`/console` in the bot mints a one-time link (10 minutes) for an operator (JIAYI_ADMIN_IDS) or an
active doctor; opening it and pressing "Sign in" consumes it and starts a server-side session.
Only hashes of link and session tokens are stored: a leaked database signs nobody in. Every
request rechecks the account through `console.require_doctor`, so deactivating a doctor (or
removing an admin id) ends their console at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from jiayi.services.clock import Clock
from jiayi.services.console import Actor, audit, require_doctor
from jiayi.services.errors import NotAllowed
from jiayi.services.settings import LOCALES, Settings
from jiayi.storage.uow import UnitOfWork

LOGIN_TTL = timedelta(minutes=10)
SESSION_IDLE = timedelta(hours=8)
SESSION_ABSOLUTE = timedelta(hours=12)
# last_seen_at is written at most this often: a page with images is several requests.
TOUCH_EVERY = timedelta(minutes=1)
LOGIN_PATH = "/login/"
STALE_AFTER = timedelta(days=1)

__all__ = [
    "LOGIN_TTL",
    "SESSION_ABSOLUTE",
    "SESSION_IDLE",
    "ConsoleSession",
    "LoginLink",
    "audit_view",
    "create_login",
    "csrf_token",
    "csrf_valid",
    "login_usable",
    "resolve_session",
    "sign_in",
    "sign_out",
]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class LoginLink:
    url: str
    token: str


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    """A signed-in browser: who it is (checked now) and the session token (the cookie)."""

    token: str
    actor: Actor
    # At sign-in: the language of the chat the link was asked for in, if known.
    locale: str | None = None


async def create_login(
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
    telegram_user_id: int,
    locale: str | None = None,
) -> LoginLink:
    """A one-time sign-in link for an operator or an active doctor; NotAllowed for anyone else
    (residents included). `locale`: the chat's language, which the console starts in."""
    token = secrets.token_urlsafe(32)
    async with uow:
        await uow.begin_write()
        try:
            await require_doctor(uow, telegram_user_id, settings)
        except NotAllowed:
            raise NotAllowed("console_not_allowed") from None
        now = clock.now()
        await uow.webconsole.add_login(
            telegram_user_id=telegram_user_id,
            token_hash=_hash(token),
            locale=locale if locale in LOCALES else None,
            now=now,
            expires_at=now + LOGIN_TTL,
        )
        await uow.commit()
    return LoginLink(url=f"{settings.console_base_url}{LOGIN_PATH}{token}", token=token)


async def login_usable(uow: UnitOfWork, clock: Clock, token: str) -> bool:
    """Whether the link can still sign someone in (read only: a link-preview fetcher that
    opens it consumes nothing)."""
    async with uow:
        return await uow.webconsole.login_usable(_hash(token), clock.now())


async def sign_in(uow: UnitOfWork, clock: Clock, settings: Settings, token: str) -> ConsoleSession:
    """Consumes the link (once: a second use, or one after 10 minutes, is NotAllowed) and
    starts a session for its account, if that account may still use the console."""
    session_token = secrets.token_urlsafe(32)
    async with uow:
        await uow.begin_write()
        now = clock.now()
        consumed = await uow.webconsole.consume_login(_hash(token), now)
        if consumed is None:
            raise NotAllowed("console_link_invalid")
        user_id, locale = consumed
        actor = await require_doctor(uow, user_id, settings)
        await uow.webconsole.add_session(
            telegram_user_id=user_id,
            token_hash=_hash(session_token),
            now=now,
            expires_at=now + SESSION_ABSOLUTE,
        )
        # Links and sessions that can no longer be used are of no interest after a day.
        await uow.webconsole.delete_stale(now - STALE_AFTER)
        await uow.commit()
    return ConsoleSession(token=session_token, actor=actor, locale=locale)


async def resolve_session(
    uow: UnitOfWork, clock: Clock, settings: Settings, token: str
) -> ConsoleSession | None:
    """The session behind a cookie, or None: unknown, signed out, idle for 8 hours, 12 hours
    old, or its account no longer an operator or active doctor."""
    if not token:
        return None
    async with uow:
        now = clock.now()
        found = await uow.webconsole.session_by_hash(_hash(token))
        if (
            found is None
            or found.ended_at is not None
            or now >= found.expires_at
            or now >= found.last_seen_at + SESSION_IDLE
        ):
            return None
        try:
            actor = await require_doctor(uow, found.telegram_user_id, settings)
        except NotAllowed:
            return None
        if now >= found.last_seen_at + TOUCH_EVERY:
            await uow.webconsole.touch_session(found.id, now)
            await uow.commit()
    return ConsoleSession(token=token, actor=actor)


async def sign_out(uow: UnitOfWork, clock: Clock, token: str) -> None:
    async with uow:
        await uow.webconsole.end_session(_hash(token), clock.now())
        await uow.commit()


def csrf_token(session_token: str) -> str:
    """The session's CSRF token: derived from the session token, so nothing more is stored,
    and useless to anyone who cannot read the (HttpOnly) cookie."""
    return hmac.new(session_token.encode(), b"jiayi-console-csrf", hashlib.sha256).hexdigest()


def csrf_valid(session_token: str, submitted: str) -> bool:
    return bool(submitted) and hmac.compare_digest(csrf_token(session_token), submitted)


async def audit_view(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    resident_ids: list[int] | set[int] | tuple[int, ...],
    action: str,
    ref_id: int | None = None,
) -> None:
    """Writes that a console page showed these residents to `actor`, in its own short
    transaction. For pages whose service does not audit itself (services that read residents
    for a doctor, like console.list_residents, already do, in the same transaction)."""
    if not resident_ids:
        return
    async with uow:
        await uow.begin_write()
        await audit(uow, actor, resident_ids, action, clock.now(), ref_id)
        await uow.commit()
