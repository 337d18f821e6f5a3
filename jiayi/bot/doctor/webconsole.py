"""/console: a one-time sign-in link to the centre's web console, for the operator and
doctors (the service refuses anyone else, residents included)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import LinkPreviewOptions, Message

from jiayi.content.render import Renderer
from jiayi.services import webconsole
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.settings import Settings


async def cmd_console(
    message: Message,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    assert message.from_user is not None
    link = await webconsole.create_login(uow, clock, settings, message.from_user.id, locale)
    minutes = int(webconsole.LOGIN_TTL.total_seconds() // 60)
    text = renderer.render("console_link", locale, url=link.url, minutes=minutes)
    # No preview: a preview fetch must not be the first to open a sign-in link.
    await message.answer(text, link_preview_options=LinkPreviewOptions(is_disabled=True))


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(cmd_console, Command("console"))
    return router
