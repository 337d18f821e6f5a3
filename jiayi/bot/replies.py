"""Answering a button press: edit the message it belongs to, or send a new one."""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _


async def edit(callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Replaces the pressed message; falls back to a new message if it can't be edited
    (too old, deleted, or inaccessible)."""
    if isinstance(callback.message, Message):
        try:
            await callback.message.edit_text(text, reply_markup=markup)
        except TelegramBadRequest as error:
            if "not modified" in error.message:
                return
        else:
            return
    await send(callback, text, markup)


async def drop_buttons(callback: CallbackQuery) -> None:
    """Removes the keyboard of an answered question so it can't be pressed twice."""
    if isinstance(callback.message, Message) and callback.message.reply_markup:
        try:
            await callback.message.edit_reply_markup(reply_markup=None)
        except TelegramBadRequest:
            # Already gone or unchanged: the question is answered either way.
            return


async def send(
    callback: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    assert callback.bot is not None
    await callback.bot.send_message(callback.from_user.id, text, reply_markup=markup)


async def answer(
    target: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Replies to a typed answer, or to a pressed button (whose question loses its buttons)."""
    if isinstance(target, CallbackQuery):
        await drop_buttons(target)
        await send(target, text, markup)
    else:
        await target.answer(text, reply_markup=markup)


async def answer_saved(
    target: Message | CallbackQuery, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """After an edit: the changed screen again, under "Saved."."""
    await answer(target, _("Saved.") + "\n\n" + text, markup)
