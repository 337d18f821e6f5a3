"""What a page handler needs per request: who is signed in, their locale, the CSRF token, and
the app-wide objects (settings, unit of work, clock); plus rendering a page in the layout."""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from jiayi.services.clock import Clock
from jiayi.services.console import Actor
from jiayi.services.database import UnitOfWork, UnitOfWorkFactory
from jiayi.services.settings import LOCALES, Locale, Settings
from jiayi.services.webconsole import audit_view as _audit_view

TEMPLATES_DIR = Path(__file__).parent / "templates"
LANG_COOKIE = "jiayi_console_lang"

SETTINGS = web.AppKey("settings", Settings)
UOW_FACTORY = web.AppKey("uow_factory", UnitOfWorkFactory)
CLOCK = web.AppKey("clock", Clock)
ENVIRONMENTS = web.AppKey("environments", dict[str, Environment])

__all__ = [
    "Console",
    "audit_view",
    "clock",
    "current",
    "gettext_for",
    "render",
    "require_admin",
    "see_other",
    "settings",
    "uow",
    "uow_factory",
]


@dataclass(frozen=True, slots=True)
class Console:
    """The signed-in person on this request."""

    actor: Actor
    locale: Locale
    csrf: str


CONSOLE_KEY = web.RequestKey("console", Console)


def settings(request: web.Request) -> Settings:
    return request.app[SETTINGS]


def uow_factory(request: web.Request) -> UnitOfWorkFactory:
    return request.app[UOW_FACTORY]


def uow(request: web.Request) -> UnitOfWork:
    """A fresh unit of work (services enter and commit it)."""
    return request.app[UOW_FACTORY]()


def clock(request: web.Request) -> Clock:
    return request.app[CLOCK]


def current(request: web.Request) -> Console:
    """The signed-in person. Every route but sign-in and static files has one (the session
    middleware answers 401 before a handler runs otherwise)."""
    found = request.get(CONSOLE_KEY)
    if not isinstance(found, Console):
        raise web.HTTPUnauthorized()
    return found


def require_admin(request: web.Request) -> Console:
    """The signed-in operator; 403 for a doctor on an operator-only page."""
    console = current(request)
    if not console.actor.is_admin:
        raise web.HTTPForbidden()
    return console


def request_locale(request: web.Request) -> Locale:
    chosen = request.cookies.get(LANG_COOKIE, "")
    for locale in LOCALES:
        if chosen == locale:
            return locale
    return settings(request).default_locale


def gettext_for(request: web.Request) -> gettext.NullTranslations:
    """The request's translations, for text built in Python (`gettext_for(r).gettext(...)`)."""
    env = request.app[ENVIRONMENTS][request_locale(request)]
    translations = env.globals["translations"]
    assert isinstance(translations, gettext.NullTranslations)
    return translations


def build_environments(
    translations: dict[str, gettext.GNUTranslations],
) -> dict[str, Environment]:
    """One Jinja environment per locale, built once: `_` is that locale's gettext, so a
    template (and the macros it imports) translate without per-request state."""
    envs: dict[str, Environment] = {}
    for locale in LOCALES:
        env = Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=StrictUndefined,
        )
        chosen = translations[locale]
        env.globals.update(
            _=chosen.gettext,
            ngettext=chosen.ngettext,
            translations=chosen,
            locale=locale,
            other_locales=[other for other in LOCALES if other != locale],
        )
        envs[locale] = env
    return envs


async def render(
    request: web.Request, template: str, /, *, status: int = 200, **context: Any
) -> web.Response:
    """Renders templates/<template> (which extends base.html) in the request's locale."""
    env = request.app[ENVIRONMENTS][request_locale(request)]
    console = request.get(CONSOLE_KEY)
    html = env.get_template(template).render(
        console=console if isinstance(console, Console) else None,
        csrf=console.csrf if isinstance(console, Console) else "",
        path=request.path,
        **context,
    )
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def see_other(location: str) -> web.Response:
    """The answer to a POST that worked: the browser loads `location` with GET."""
    return web.Response(status=303, headers={"Location": location})


async def audit_view(
    request: web.Request,
    resident_ids: list[int] | set[int] | tuple[int, ...],
    action: str,
    ref_id: int | None = None,
) -> None:
    """Writes that this page showed these residents to the signed-in person (the audit log
    residents see in /mydata). Call it on every page that shows a resident, unless the
    service that read them audits already."""
    await _audit_view(
        uow(request), clock(request), current(request).actor, resident_ids, action, ref_id
    )
