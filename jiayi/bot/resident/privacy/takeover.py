"""A family member takes over their own account: the link, the deep link, the consent."""

from __future__ import annotations

from aiogram.filters import CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from jiayi.bot.aiogram_shim import InlineKeyboardBuilder
from jiayi.bot.callbacks import TakeoverConsentCD, TakeoverLinkCD
from jiayi.bot.middlewares import LOCALE_KEY
from jiayi.bot.replies import drop_buttons, send
from jiayi.bot.resident.menu import home_screen
from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.content.render import Renderer, html_format
from jiayi.services import family, privacy
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.errors import DomainError, ErrorCode
from jiayi.services.residents import ResidentRecord
from jiayi.services.settings import Settings

TOKEN_KEY = "takeover_token"


class Takeover(StatesGroup):
    consent = State()


async def cb_takeover_link(
    callback: CallbackQuery, callback_data: TakeoverLinkCD, uow: UnitOfWork, clock: Clock
) -> None:
    member = await family.get_member(uow, callback.from_user.id, callback_data.member_id)
    token = await privacy.create_takeover(
        uow, clock, callback.from_user.id, callback_data.member_id
    )
    assert callback.bot is not None
    me = await callback.bot.me()
    link = f"https://t.me/{me.username}?start={privacy.TAKEOVER_PREFIX}{token}"
    await send(
        callback,
        html_format(
            _(
                "Send this link to {name}. When they open it in their own Telegram and agree to "
                "the privacy notice, they get their own account with their appointments, and "
                "leave your family list. The link works once, for {days} days:\n{link}"
            ),
            name=member.display_name,
            days=privacy.TAKEOVER_TTL.days,
            link=link,
        ),
    )


async def cmd_start_takeover(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    resident: ResidentRecord | None,
) -> None:
    await state.clear()
    token = (command.args or "").removeprefix(privacy.TAKEOVER_PREFIX)
    if resident is not None:
        raise DomainError(ErrorCode.TAKEOVER_ALREADY_RESIDENT)
    member = await privacy.takeover_member(uow, clock, token)
    await state.set_state(Takeover.consent)
    await state.update_data({TOKEN_KEY: token, LOCALE_KEY: locale})
    kb = InlineKeyboardBuilder()
    kb.button(text=_("I agree"), callback_data=TakeoverConsentCD(agree=True))
    kb.button(text=_("I don't agree"), callback_data=TakeoverConsentCD(agree=False))
    greeting = html_format(
        _(
            "Hello {name}! A family member has been managing your health reminders in jiayi. "
            "You can now have your own account."
        ),
        name=member.display_name,
    )
    notice = renderer.render("consent", locale, version=CONSENT_NOTICE_VERSION)
    await message.answer(greeting + "\n\n" + notice, reply_markup=kb.adjust(1).as_markup())


async def cb_takeover_consent(
    callback: CallbackQuery,
    callback_data: TakeoverConsentCD,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
    renderer: Renderer,
    locale: str,
) -> None:
    data = await state.get_data()
    await state.clear()
    await drop_buttons(callback)
    if not callback_data.agree:
        await send(callback, _("Nothing has changed. Your family member still manages your care."))
        return
    resident = await privacy.accept_takeover(
        uow,
        clock,
        token=str(data.get(TOKEN_KEY, "")),
        telegram_user_id=callback.from_user.id,
        locale=locale,
        notice_version=CONSENT_NOTICE_VERSION,
    )
    text, markup = await home_screen(
        uow, settings, renderer, locale, resident, callback.from_user.id
    )
    welcome = _("Welcome! This is now your own account, with your appointments.")
    assert callback.bot is not None
    await callback.bot.send_message(
        callback.from_user.id, welcome + "\n\n" + text, reply_markup=markup
    )
