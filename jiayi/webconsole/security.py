"""The console's guards, as aiohttp middlewares: a signed-in session on every page, a CSRF
token on every POST, a rate limit on sign-in attempts, and security headers on every answer."""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable

from aiohttp import web

from jiayi.services import webconsole
from jiayi.services.webconsole import LOGIN_PATH
from jiayi.webconsole.context import (
    CONSOLE_KEY,
    Console,
    clock,
    render,
    request_locale,
    settings,
    uow,
)

SESSION_COOKIE = "jiayi_console"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
# Pages anyone may open: the sign-in link, the language switch, static files.
PUBLIC_PREFIXES = (LOGIN_PATH, "/lang/", "/static/", "/healthz")
# Inline <svg> charts (matplotlib) carry style attributes, hence 'unsafe-inline' for styles
# only; no script runs but our own files, and nothing may frame the console.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # The sign-in link's token is in the URL: no Referer may carry it to another site.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
LOGIN_ATTEMPTS = 10
LOGIN_WINDOW_SECONDS = 60.0

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_https(request: web.Request) -> bool:
    """Behind a TLS proxy the scheme arrives in X-Forwarded-Proto."""
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return request.secure or forwarded == "https"


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(webconsole.SESSION_ABSOLUTE.total_seconds()),
        path="/",
        httponly=True,
        secure=is_https(request),
        samesite="Lax",
    )


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(SESSION_COOKIE, path="/")


class SlidingWindow:
    """At most `limit` events per key in any `window` seconds (per client address). In memory:
    the console is one process; a restart forgets the counts, which only helps the honest."""

    def __init__(
        self,
        limit: int = LOGIN_ATTEMPTS,
        window: float = LOGIN_WINDOW_SECONDS,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._now = now
        self._events: defaultdict[str, deque[float]] = defaultdict(deque)

    def allow(self, key: str) -> bool:
        now = self._now()
        events = self._events[key]
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        if len(self._events) > 10_000:  # forget idle addresses
            for stale in [k for k, v in self._events.items() if not v]:
                del self._events[stale]
        return True


LOGIN_LIMITER = web.AppKey("login_limiter", SlidingWindow)


async def on_prepare(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)


def _public(path: str) -> bool:
    return path == "/favicon.ico" or path.startswith(PUBLIC_PREFIXES)


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refusals as a page in the person's language, not aiohttp's plain text."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status not in (400, 401, 403, 404, 405, 429):
            raise
        response = await render(request, "message.html", status=error.status, kind=error.status)
        if error.status == 401:
            clear_session_cookie(response)
        return response


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Finds the signed-in person (rechecked against the database on every request) and
    refuses a POST without the session's CSRF token."""
    if request.path.startswith(LOGIN_PATH):
        key = request.remote or "?"
        if not request.app[LOGIN_LIMITER].allow(key):
            raise web.HTTPTooManyRequests()
    if _public(request.path):
        return await handler(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    found = await webconsole.resolve_session(
        uow(request), clock(request), settings(request), token
    )
    if found is None:
        raise web.HTTPUnauthorized()
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        submitted = request.headers.get(CSRF_HEADER, "")
        if not submitted:
            form = await request.post()
            value = form.get(CSRF_FIELD, "")
            submitted = value if isinstance(value, str) else ""
        if not webconsole.csrf_valid(token, submitted):
            raise web.HTTPForbidden()
    request[CONSOLE_KEY] = Console(
        actor=found.actor, locale=request_locale(request), csrf=webconsole.csrf_token(token)
    )
    return await handler(request)
