"""After sending: /broadcasts, a broadcast's status message with its refresh and cancel
buttons, and the job-side notifier of progress and the final report."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from jiayi.bot.callbacks import BroadcastAction, BroadcastCD
from jiayi.bot.doctor import console_keyboards as kb
from jiayi.bot.doctor.broadcast.screens import local, status_screen
from jiayi.bot.replies import edit, send
from jiayi.content.render import Renderer
from jiayi.services import broadcasts
from jiayi.services.broadcasts import BroadcastReport
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.settings import Settings

log = logging.getLogger(__name__)


async def cmd_broadcasts(
    message: Message, uow: UnitOfWork, renderer: Renderer, locale: str, settings: Settings
) -> None:
    assert message.from_user is not None
    reports = await broadcasts.list_broadcasts(uow, settings, message.from_user.id)
    rows = [
        {
            "id": r.broadcast.id,
            "created": local(r.broadcast.created_at, settings),
            "status": kb.status_label(r.broadcast.status),
            "delivered": r.delivered,
            "size": r.broadcast.audience_size,
        }
        for r in reports
    ]
    text = renderer.render("broadcasts", locale, rows=rows)
    await message.answer(text, reply_markup=kb.broadcast_list(reports))


async def cb_broadcast(
    callback: CallbackQuery,
    callback_data: BroadcastCD,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    user_id = callback.from_user.id
    if callback_data.action is BroadcastAction.CANCEL:
        await broadcasts.cancel_broadcast(
            uow, clock, settings, user_id, callback_data.broadcast_id
        )
    report = await broadcasts.report(uow, settings, user_id, callback_data.broadcast_id)
    text, markup = status_screen(renderer, locale, report, settings)
    if callback_data.action is BroadcastAction.OPEN:
        await send(callback, text, markup)
    else:
        await edit(callback, text, markup)


class BroadcastNotifier:
    """For the scheduler: shows progress in the doctor's status message, and sends the final
    report once. Runs outside any transaction; a failed edit only loses one refresh."""

    def __init__(self, bot: Bot, renderer: Renderer, i18n: I18n, settings: Settings) -> None:
        self._bot = bot
        self._renderer = renderer
        self._i18n = i18n
        self._settings = settings

    async def __call__(self, report: BroadcastReport) -> None:
        b = report.broadcast
        with self._i18n.context(), self._i18n.use_locale(b.owner_locale):
            text, markup = status_screen(self._renderer, b.owner_locale, report, self._settings)
            final = _("Broadcast #{id} has finished.").format(id=b.id)
        try:
            if b.status_message_id is not None:
                try:
                    await self._bot.edit_message_text(
                        text,
                        chat_id=b.owner_user_id,
                        message_id=b.status_message_id,
                        reply_markup=markup,
                    )
                except TelegramBadRequest as error:
                    if "not modified" not in error.message:
                        raise
            if b.status == broadcasts.BroadcastStatus.DONE.value:
                await self._bot.send_message(b.owner_user_id, final + "\n\n" + text)
        except TelegramAPIError as error:
            log.warning("broadcast %s: status update failed: %s", b.id, type(error).__name__)
