"""/forget: deleting everything about the resident and their family, after asking."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, ReplyKeyboardRemove, Update
from aiogram.utils.i18n import gettext as _

from jiayi.bot import keyboards
from jiayi.bot.aiogram_shim import InlineKeyboardBuilder
from jiayi.bot.callbacks import PrivacyAction
from jiayi.bot.errors import log_refusal
from jiayi.bot.labels import error_text
from jiayi.bot.replies import drop_buttons, edit
from jiayi.bot.resident.privacy.overview import privacy_cd
from jiayi.services import privacy
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.errors import DomainError, NotRegistered
from jiayi.services.residents import ResidentRecord


def _forget_question(*, from_privacy: bool) -> tuple[str, InlineKeyboardMarkup]:
    """`from_privacy`: asked from the privacy screen, so "No" goes back there; after /forget
    typed, "No" says nothing was deleted, with the way to the main menu."""
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Yes, delete everything"), callback_data=privacy_cd(PrivacyAction.FORGET_YES))
    back = PrivacyAction.OPEN if from_privacy else PrivacyAction.KEEP
    kb.button(text=_("No, keep my data"), callback_data=privacy_cd(back))
    text = _(
        "Delete all your data?\n\n"
        "Your profile, your family members, your appointments (upcoming ones are cancelled), "
        "waiting-list places and all messages will be deleted for good. "
        "The centre keeps only anonymous counts. This can't be undone.\n\n"
        "Tip: send /mydata first to keep a copy."
    )
    return text, kb.adjust(1).as_markup()


async def cmd_forget(message: Message, state: FSMContext, resident: ResidentRecord | None) -> None:
    await state.clear()
    if resident is None:
        raise NotRegistered()
    text, markup = _forget_question(from_privacy=False)
    await message.answer(text, reply_markup=markup)


async def cb_privacy_forget(callback: CallbackQuery) -> None:
    text, markup = _forget_question(from_privacy=True)
    await edit(callback, text, markup)


async def cb_privacy_keep(callback: CallbackQuery) -> None:
    await edit(callback, _("Nothing was deleted. Your data is kept."), keyboards.back_to_menu())


async def cb_privacy_forget_yes(
    callback: CallbackQuery, state: FSMContext, uow: UnitOfWork, clock: Clock, event_update: Update
) -> None:
    try:
        await privacy.erase_my_data(uow, clock, callback.from_user.id)
    except DomainError as error:
        log_refusal(event_update, error)
        await edit(callback, error_text(error), None)
        return
    await state.clear()
    await drop_buttons(callback)
    # A new message, not an edit: only a sent message can take the reply keyboard away.
    assert callback.bot is not None
    await callback.bot.send_message(
        callback.from_user.id,
        _(
            "All your data and your family members' data has been deleted. "
            "Goodbye — if you ever want to come back, send /start."
        ),
        reply_markup=ReplyKeyboardRemove(),
    )
