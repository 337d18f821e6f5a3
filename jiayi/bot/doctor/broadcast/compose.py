"""Writing a broadcast: the text (one or both languages), the audience, the spread, and
sending it (now, or at the time chosen in bot.doctor.broadcast.schedule).

Every step calls a service that checks the doctor role first, so a forged button from a
resident is refused before anything is read.
"""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from jiayi.bot import keyboards
from jiayi.bot.callbacks import BcSegmentCD, BcStepCD
from jiayi.bot.doctor import console_keyboards as kb
from jiayi.bot.doctor.broadcast.draft import BroadcastDraft, drafting, load, save, stale
from jiayi.bot.doctor.broadcast.screens import (
    audience_screen,
    confirm_screen,
    other_locale,
    send_preview,
    status_screen,
)
from jiayi.bot.doctor.states import BroadcastCompose
from jiayi.bot.labels import language_label
from jiayi.bot.replies import edit, send
from jiayi.content.render import Renderer
from jiayi.services import broadcasts, console
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.settings import Settings


def compose_prompt() -> str:
    return _("Send the text of the broadcast, or a photo with the text as its caption.")


async def cmd_broadcast(
    message: Message, state: FSMContext, uow: UnitOfWork, settings: Settings
) -> None:
    assert message.from_user is not None
    await console.actor(uow, settings, message.from_user.id)
    await state.clear()
    await message.answer(compose_prompt(), reply_markup=keyboards.cancel())
    await state.set_state(BroadcastCompose.text)


async def on_text(
    message: Message, state: FSMContext, uow: UnitOfWork, settings: Settings, locale: str
) -> None:
    assert message.from_user is not None
    await console.actor(uow, settings, message.from_user.id)
    photo = message.photo[-1].file_id if message.photo else None
    body = broadcasts.parse_text(message.text or message.caption, with_photo=photo is not None)
    await save(state, BroadcastDraft(texts={locale: body}, photo=photo))
    other = other_locale(locale)
    await message.answer(
        _("Add the same message in {language} for residents who use that language?").format(
            language=language_label(other)
        ),
        reply_markup=kb.second_language(other),
    )


async def on_not_text(message: Message) -> None:
    await message.answer(_("Please send text (or a photo with a caption), or send /cancel."))


async def cb_add_second(
    callback: CallbackQuery, state: FSMContext, locale: str, uow: UnitOfWork, settings: Settings
) -> None:
    if await drafting(callback, state, uow, settings) is None:
        return
    await edit(
        callback,
        _("Send the {language} text.").format(language=language_label(other_locale(locale))),
        keyboards.cancel(),
    )
    await state.set_state(BroadcastCompose.second_text)


async def on_second_text(
    message: Message,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
    locale: str,
) -> None:
    assert message.from_user is not None
    draft = await load(state)
    if draft is None:
        await state.clear()
        await message.answer(_("That draft is no longer here. Start again with /broadcast."))
        return
    body = broadcasts.parse_text(message.text, with_photo=draft.photo is not None)
    draft = draft.with_text(other_locale(locale), body)
    await save(state, draft)
    text, markup = await audience_screen(uow, clock, settings, message.from_user.id, draft)
    await state.set_state(BroadcastCompose.audience)
    await message.answer(text, reply_markup=markup)


async def cb_skip_second(
    callback: CallbackQuery,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
) -> None:
    if (found := await drafting(callback, state, uow, settings)) is None:
        return
    _actor, draft = found
    text, markup = await audience_screen(uow, clock, settings, callback.from_user.id, draft)
    await state.set_state(BroadcastCompose.audience)
    await edit(callback, text, markup)


async def cb_segment(
    callback: CallbackQuery,
    callback_data: BcSegmentCD,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
) -> None:
    if (found := await drafting(callback, state, uow, settings)) is None:
        return
    _actor, draft = found
    if callback_data.code not in broadcasts.segment_codes():
        await send(callback, stale())
        return
    draft = draft.toggled(callback_data.code)
    await save(state, draft)
    text, markup = await audience_screen(uow, clock, settings, callback.from_user.id, draft)
    await edit(callback, text, markup)


async def cb_audience_done(
    callback: CallbackQuery,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    if (found := await drafting(callback, state, uow, settings)) is None:
        return
    actor, draft = found
    await state.set_state(BroadcastCompose.confirm)
    await send_preview(callback, renderer, actor.doctor_name or "", draft)
    text, markup = await confirm_screen(
        uow, clock, renderer, locale, settings, callback.from_user.id, draft
    )
    await send(callback, text, markup)


async def cb_spread(
    callback: CallbackQuery,
    callback_data: BcStepCD,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    if (found := await drafting(callback, state, uow, settings)) is None:
        return
    draft = found[1].spread_over(callback_data.value)
    await save(state, draft)
    text, markup = await confirm_screen(
        uow, clock, renderer, locale, settings, callback.from_user.id, draft
    )
    await edit(callback, text, markup)


async def cb_send(
    callback: CallbackQuery,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    if (found := await drafting(callback, state, uow, settings)) is None:
        return
    draft = found[1]
    user_id = callback.from_user.id
    created = await broadcasts.create_broadcast(
        uow,
        clock,
        settings,
        user_id,
        draft.for_service(),
        owner_locale=locale,
        starts_at=draft.starts_at,
    )
    await state.clear()
    report = await broadcasts.report(uow, settings, user_id, created.id)
    text, markup = status_screen(renderer, locale, report, settings)
    await edit(callback, text, markup)
    if isinstance(callback.message, Message):
        await broadcasts.set_status_message(
            uow, settings, user_id, created.id, callback.message.message_id
        )
