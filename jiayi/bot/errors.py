"""The last line of defence: a rule broken answers in words, a bug answers with an apology.

Handlers let a `DomainError` from a service propagate here: the answer is the same for every
handler (a new message with `error_text`), and refusals are logged in one place. A handler
catches it only when its answer differs (it edits the screen in place, adds a keyboard or a
next question), and then calls `log_refusal` itself.

Logs carry the update id and the exception, never the message text or who sent it.
"""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent, Update
from aiogram.utils.i18n import gettext as _

from jiayi.bot.labels import error_text
from jiayi.services.errors import DomainError, NotAllowed

log = logging.getLogger(__name__)


def _chat_id(event: ErrorEvent) -> int | None:
    update = event.update
    if update.message is not None:
        return update.message.chat.id
    if update.callback_query is not None:
        return update.callback_query.from_user.id
    return None


def log_refusal(update: Update, error: DomainError) -> None:
    """Logs a refusal worth an operator's look: someone reached for data that isn't theirs
    (a forged button, another person's id). Only the update id and the code: no text, no user.

    The error router calls it for every DomainError it answers; a handler that answers a
    DomainError itself (because its answer differs from the router's) calls it too."""
    if isinstance(error, NotAllowed):
        log.warning("refused update=%s code=%s", update.update_id, error.code)


async def on_domain_error(event: ErrorEvent) -> None:
    error = event.exception
    assert isinstance(error, DomainError)
    log_refusal(event.update, error)
    await _reply(event, error_text(error))


async def on_unexpected_error(event: ErrorEvent) -> None:
    log.error(
        "update %s failed: %s",
        event.update.update_id,
        type(event.exception).__name__,
        exc_info=event.exception,
    )
    await _reply(event, _("Sorry, something went wrong on our side. Please try again."))


async def _reply(event: ErrorEvent, text: str) -> None:
    chat_id = _chat_id(event)
    bot = event.update.bot
    if chat_id is None or bot is None:
        return
    try:
        await bot.send_message(chat_id, text)
    except Exception:  # the user may have blocked the bot; nothing more to do
        log.warning("could not deliver the error reply for update %s", event.update.update_id)


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.error.register(on_domain_error, ExceptionTypeFilter(DomainError))
    router.error.register(on_unexpected_error)
    return router
