"""Signing in with the bot's one-time link, signing out, the language switch."""

from __future__ import annotations

from aiohttp import web

from jiayi.services import webconsole
from jiayi.services.errors import NotAllowed
from jiayi.services.settings import LOCALES
from jiayi.webconsole.context import LANG_COOKIE, clock, render, see_other, settings, uow
from jiayi.webconsole.security import SESSION_COOKIE, clear_session_cookie, set_session_cookie

routes = web.RouteTableDef()


@routes.get("/login/{token}")
async def login_page(request: web.Request) -> web.Response:
    """A confirmation page, not the sign-in itself: link previews and scanners fetch the link
    with GET, and must not use it up."""
    usable = await webconsole.login_usable(
        uow(request), clock(request), request.match_info["token"]
    )
    return await render(request, "login.html", usable=usable, status=200 if usable else 403)


@routes.post("/login/{token}")
async def login(request: web.Request) -> web.StreamResponse:
    try:
        session = await webconsole.sign_in(
            uow(request), clock(request), settings(request), request.match_info["token"]
        )
    except NotAllowed:
        return await render(request, "login.html", usable=False, status=403)
    response = see_other("/")
    set_session_cookie(request, response, session.token)
    if session.locale and LANG_COOKIE not in request.cookies:
        set_lang_cookie(response, session.locale)
    return response


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    await webconsole.sign_out(
        uow(request), clock(request), request.cookies.get(SESSION_COOKIE, "")
    )
    response = await render(request, "message.html", kind="signed_out")
    clear_session_cookie(response)
    return response


@routes.get("/lang/{locale}")
async def switch_language(request: web.Request) -> web.StreamResponse:
    locale = request.match_info["locale"]
    target = request.query.get("next", "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    response = see_other(target)
    if locale in LOCALES:
        set_lang_cookie(response, locale)
    return response


def set_lang_cookie(response: web.StreamResponse, locale: str) -> None:
    response.set_cookie(LANG_COOKIE, locale, max_age=365 * 86400, path="/", samesite="Lax")


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok")
