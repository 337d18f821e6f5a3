"""Per-update context: a fresh unit of work, the current resident, and the locale."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware

from jiayi.services import residents
from jiayi.services.database import UnitOfWorkFactory

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

LOCALE_KEY = "locale"


class UnitOfWorkMiddleware(BaseMiddleware):
    """Gives each update its own unit of work and the resident who sent it (or None)."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        data["uow"] = uow = self._uow_factory()
        user: User | None = data.get("event_from_user")
        # Read in the update's own unit of work, which keeps the record for the handler.
        data["resident"] = await residents.sender(uow, user.id) if user else None
        return await handler(event, data)


class LocaleMiddleware(I18nMiddleware):
    """The resident's saved language; before sign-up, the one they picked, then Telegram's."""

    def __init__(self, i18n: I18n) -> None:
        super().__init__(i18n=i18n)

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        locale = await self._pick(data)
        data[LOCALE_KEY] = locale
        return locale

    async def _pick(self, data: dict[str, Any]) -> str:
        resident = data.get("resident")
        if resident is not None:
            return str(resident.locale)
        state: FSMContext | None = data.get("state")
        if state is not None:
            chosen = (await state.get_data()).get(LOCALE_KEY)
            if chosen:
                return str(chosen)
        user: User | None = data.get("event_from_user")
        return residents.locale_from_telegram(
            user.language_code if user else None, self.i18n.default_locale
        )


class CommandLeavesStep(BaseMiddleware):
    """A command always wins over a pending text step: "/residents" typed while /redeem waits
    for a code starts /residents, instead of being taken as the code. The step is left (its
    data kept, so a language picked before sign-up stays). Two exceptions: /cancel, whose
    handler reports what it cancelled, and the `keep` states (a doctor writing to residents is
    told how to stop, bot/doctor/composing.py, so a stray command never discards a draft)."""

    def __init__(self, keep: frozenset[str]) -> None:
        self._keep = keep

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        state: FSMContext | None = data.get("state")
        raw_state = data.get("raw_state")
        if (
            isinstance(event, Message)
            and raw_state is not None
            and raw_state not in self._keep
            and state is not None
            and _command(event.text) not in (None, "cancel")
        ):
            await state.set_state(None)
            data["raw_state"] = None
        return await handler(event, data)


def _command(text: str | None) -> str | None:
    """ "/Today@jiayi_bot now" -> "today"; None when the text is not a command."""
    text = (text or "").strip()
    if not text.startswith("/") or len(text) < 2:
        return None
    return text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower()
