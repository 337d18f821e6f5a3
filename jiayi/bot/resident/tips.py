"""/tips: what residents receive and when — topics, pause, quiet hours; and tip buttons."""

from __future__ import annotations

from datetime import time

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from jiayi.bot import booking_keyboards as booking_kb
from jiayi.bot import keyboards
from jiayi.bot.callbacks import (
    QuietHoursCD,
    TipActionCD,
    TipFeedbackCD,
    TipMoreCD,
    TipsAction,
    TipsCD,
    TopicToggleCD,
)
from jiayi.bot.labels import topic_label
from jiayi.bot.replies import edit, send
from jiayi.bot.views import Screen, doctor_name
from jiayi.content.render import Renderer
from jiayi.services import booking, pushes, residents
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.pushes import Action, PushSchedule, Topic
from jiayi.services.residents import ResidentRecord


async def _overview(
    uow: UnitOfWork,
    renderer: Renderer,
    locale: str,
    clock: Clock,
    library: pushes.Library,
    schedule: PushSchedule,
    user_id: int,
) -> Screen:
    overview = await pushes.tips_overview(uow, library, schedule, clock, user_id)
    prefs = overview.preferences
    next_at = overview.next_at.astimezone(schedule.zone) if overview.next_at else None
    occasion = (
        pushes.occasion_name(library, overview.next_tip_id, locale)
        if overview.next_tip_id
        else None
    )
    text = renderer.render(
        "tips",
        locale,
        paused=prefs.paused,
        next_at=next_at,
        occasion=occasion,
        quiet_start=time(prefs.quiet_start),
        quiet_end=time(prefs.quiet_end),
        opted_out=[topic_label(t) for t in Topic if t.value in prefs.opted_out_topics],
    )
    return text, keyboards.tips(prefs.paused, prefs.quiet_start, prefs.quiet_end, locale)


def _on_a_tip(callback: CallbackQuery) -> bool:
    """A button of a tip (its 👍/👎 are there): tips sent before "More tips" had its own
    action opened the settings with OPEN."""
    message = callback.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return False
    return any(
        (button.callback_data or "").startswith(TipFeedbackCD.__prefix__ + ":")
        for row in message.reply_markup.inline_keyboard
        for button in row
    )


async def cmd_tips(
    message: Message,
    state: FSMContext,
    uow: UnitOfWork,
    renderer: Renderer,
    locale: str,
    clock: Clock,
    library: pushes.Library,
    schedule: PushSchedule,
) -> None:
    assert message.from_user is not None
    await state.clear()
    text, markup = await _overview(
        uow, renderer, locale, clock, library, schedule, message.from_user.id
    )
    await message.answer(text, reply_markup=markup)


async def cb_tips(
    callback: CallbackQuery,
    callback_data: TipsCD,
    state: FSMContext,
    uow: UnitOfWork,
    renderer: Renderer,
    locale: str,
    clock: Clock,
    library: pushes.Library,
    schedule: PushSchedule,
) -> None:
    await state.clear()
    user_id = callback.from_user.id
    action = callback_data.action
    if action is TipsAction.MORE or (action is TipsAction.OPEN and _on_a_tip(callback)):
        # Below its own message: the tip being read stays as it is.
        text, markup = await _overview(uow, renderer, locale, clock, library, schedule, user_id)
        await send(callback, text, markup)
        return
    if action is TipsAction.TOPICS:
        overview = await pushes.tips_overview(uow, library, schedule, clock, user_id)
        await edit(
            callback,
            _("Tap a topic to stop or start tips about it. ✅ means you receive it."),
            keyboards.topics(overview.preferences.opted_out_topics),
        )
        return
    if action is TipsAction.QUIET:
        overview = await pushes.tips_overview(uow, library, schedule, clock, user_id)
        prefs = overview.preferences
        await edit(
            callback,
            _("When should we stay quiet? Tips due in these hours wait until they end."),
            keyboards.quiet_hours(
                pushes.QUIET_HOUR_PRESETS, (prefs.quiet_start, prefs.quiet_end), locale
            ),
        )
        return
    if action in (TipsAction.PAUSE, TipsAction.RESUME):
        await pushes.set_paused(uow, clock, user_id, paused=action is TipsAction.PAUSE)
    text, markup = await _overview(uow, renderer, locale, clock, library, schedule, user_id)
    await edit(callback, text, markup)


async def cb_topic_toggle(
    callback: CallbackQuery,
    callback_data: TopicToggleCD,
    uow: UnitOfWork,
    clock: Clock,
    library: pushes.Library,
    schedule: PushSchedule,
) -> None:
    await pushes.toggle_topic(uow, callback.from_user.id, callback_data.topic)
    overview = await pushes.tips_overview(uow, library, schedule, clock, callback.from_user.id)
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(
            reply_markup=keyboards.topics(overview.preferences.opted_out_topics)
        )


async def cb_quiet_hours(
    callback: CallbackQuery,
    callback_data: QuietHoursCD,
    uow: UnitOfWork,
    renderer: Renderer,
    locale: str,
    clock: Clock,
    library: pushes.Library,
    schedule: PushSchedule,
) -> None:
    await pushes.set_quiet_hours(
        uow, callback.from_user.id, callback_data.start, callback_data.end
    )
    text, markup = await _overview(
        uow, renderer, locale, clock, library, schedule, callback.from_user.id
    )
    await edit(callback, text, markup)


async def cb_tip_feedback(
    callback: CallbackQuery, callback_data: TipFeedbackCD, uow: UnitOfWork, clock: Clock
) -> None:
    await pushes.record_feedback(
        uow, clock, callback.from_user.id, callback_data.outbox_id, callback_data.helpful
    )
    if isinstance(callback.message, Message) and callback.message.reply_markup:
        # Show the vote on the tip itself: the chosen thumb gets a tick.
        await callback.message.edit_reply_markup(
            reply_markup=keyboards.with_vote(callback.message.reply_markup, callback_data.helpful)
        )


async def cb_tip_action(
    callback: CallbackQuery,
    callback_data: TipActionCD,
    state: FSMContext,
    uow: UnitOfWork,
    renderer: Renderer,
    locale: str,
    resident: ResidentRecord | None,
) -> None:
    """ "Book" on a tip opens booking at the services of the kind the tip is about."""
    await state.clear()
    offered = await booking.list_services(uow, callback.from_user.id)
    matching = [s for s in offered if s.kind.value == callback_data.service] or offered
    if matching:
        await send(
            callback, _("What would you like to book?"), booking_kb.services(matching, locale)
        )
        return
    profile = await residents.get_profile(uow, callback.from_user.id)
    text = renderer.render(
        "tip_action",
        locale,
        action=callback_data.action.value,
        doctor=doctor_name(profile.doctor, locale),
    )
    await send(callback, text, keyboards.back_to_menu())


async def cb_tip_more(
    callback: CallbackQuery,
    callback_data: TipMoreCD,
    uow: UnitOfWork,
    clock: Clock,
    library: pushes.Library,
    schedule: PushSchedule,
) -> None:
    text = await pushes.tip_more(
        uow, library, schedule, clock, callback.from_user.id, callback_data.outbox_id
    )
    await send(callback, text)


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(cmd_tips, Command("tips"))
    router.callback_query.register(cb_tips, TipsCD.filter())
    router.callback_query.register(cb_topic_toggle, TopicToggleCD.filter())
    router.callback_query.register(cb_quiet_hours, QuietHoursCD.filter())
    router.callback_query.register(cb_tip_feedback, TipFeedbackCD.filter())
    router.callback_query.register(cb_tip_action, TipActionCD.filter(F.action == Action.BOOK))
    router.callback_query.register(cb_tip_more, TipMoreCD.filter())
    return router
