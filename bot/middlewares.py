"""Per-update context: a fresh unit of work, the current resident, and the locale."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware
from services import residents
from services.database import UnitOfWorkFactory

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
