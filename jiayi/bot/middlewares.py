"""Per-update context (a fresh unit of work, the current resident, the locale), a command
leaving a pending step, and the consent gate."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware
from aiogram.utils.i18n import gettext as _

from jiayi.bot.aiogram_shim import InlineKeyboardBuilder
from jiayi.bot.callbacks import PrivacyAction, PrivacyCD
from jiayi.bot.doctor.gate import doctor_at_work
from jiayi.bot.replies import send
from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.content.render import Renderer
from jiayi.services import privacy, residents
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.privacy import ConsentStatus
from jiayi.services.residents import ResidentRecord

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]

LOCALE_KEY = "locale"

# What a resident whose consent is withdrawn or outdated can still do: read and manage their
# data rights and get help. Doctors' own work (not about their data) passes through
# bot.doctor.gate.doctor_at_work.
OPEN_COMMANDS = frozenset({"privacy", "mydata", "forget", "help", "cancel"})
OPEN_CALLBACK_PREFIXES = ("priv:", "tkoyes:", "cancel")


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


def _is_open(event: TelegramObject) -> bool:
    if isinstance(event, Message):
        command = _command(event.text)
        if command is None:
            return False
        if command == "start":
            # Only the takeover deep link: `/start tko_<token>`, the prefix opening the payload.
            parts = (event.text or "").strip().split(maxsplit=1)
            return len(parts) == 2 and parts[1].startswith(privacy.TAKEOVER_PREFIX)
        return command in OPEN_COMMANDS
    if isinstance(event, CallbackQuery):
        return (event.data or "").startswith(OPEN_CALLBACK_PREFIXES)
    return True


class ConsentGate(BaseMiddleware):
    """A signed-up resident whose consent is withdrawn or older than the notice in force is
    asked for consent before any feature uses their data; data-rights commands stay open."""

    def __init__(self, renderer: Renderer) -> None:
        self._renderer = renderer

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        resident: ResidentRecord | None = data.get("resident")
        if resident is None or resident.onboarded_at is None or _is_open(event):
            return await handler(event, data)
        status = privacy.consent_status(resident)
        if status is ConsentStatus.CURRENT or await doctor_at_work(event, data):
            return await handler(event, data)
        locale = str(data.get(LOCALE_KEY) or resident.locale)
        if status is ConsentStatus.WITHDRAWN:
            intro = _(
                "You have withdrawn your consent, so jiayi can't use your data for this. "
                "To continue, please agree to the privacy notice again."
            )
        else:
            intro = _("Our privacy notice has changed. Please read it and agree to continue.")
        notice = self._renderer.render("consent", locale, version=CONSENT_NOTICE_VERSION)
        kb = InlineKeyboardBuilder()
        kb.button(text=_("I agree"), callback_data=PrivacyCD(action=PrivacyAction.AGREE))
        kb.button(text=_("Privacy settings"), callback_data=PrivacyCD(action=PrivacyAction.OPEN))
        markup = kb.adjust(1).as_markup()
        if isinstance(event, CallbackQuery):
            await event.answer()
            await send(event, intro + "\n\n" + notice, markup)
        elif isinstance(event, Message):
            await event.answer(intro + "\n\n" + notice, reply_markup=markup)
        return None
