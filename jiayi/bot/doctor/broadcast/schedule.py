"""Choosing when a broadcast goes out: a tapped time (tonight, tomorrow morning, a day and
an hour) or one typed in words; the confirm screen then shows it."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from jiayi.bot.booking_keyboards import day_label
from jiayi.bot.callbacks import BcAction, BcStepCD
from jiayi.bot.doctor import console_keyboards as kb
from jiayi.bot.doctor.broadcast.draft import BroadcastDraft, drafting, load, save
from jiayi.bot.doctor.broadcast.screens import confirm_screen
from jiayi.bot.doctor.states import BroadcastCompose
from jiayi.bot.replies import edit
from jiayi.content.render import Renderer
from jiayi.services import broadcasts, when
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.settings import Settings


async def cb_schedule(
    callback: CallbackQuery,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
) -> None:
    if await drafting(callback, state, uow, settings) is None:
        return
    now = clock.now()
    await edit(
        callback,
        _(
            "When should it go out? Tap a time, or type one like 明天早上9点, "
            "tomorrow 9am or 2026-11-24 09:00."
        ),
        kb.schedule_picks(tonight=when.tonight(settings.zone, now) is not None),
    )
    await state.set_state(BroadcastCompose.schedule_time)


async def _scheduled(
    target: CallbackQuery | Message,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
    draft: BroadcastDraft,
    starts: datetime,
) -> None:
    """The chosen start goes into the draft; the confirm screen shows it."""
    draft = draft.starting(starts)
    await save(state, draft)
    await state.set_state(BroadcastCompose.confirm)
    assert target.from_user is not None
    text, markup = await confirm_screen(
        uow, clock, renderer, locale, settings, target.from_user.id, draft
    )
    if isinstance(target, CallbackQuery):
        await edit(target, text, markup)
    else:
        await target.answer(text, reply_markup=markup)


async def cb_schedule_pick(
    callback: CallbackQuery,
    callback_data: BcStepCD,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    """今晚7点 · 明早9点, or a day and then an hour from 选择日期."""
    if (found := await drafting(callback, state, uow, settings)) is None:
        return
    draft = found[1]
    zone, now = settings.zone, clock.now()
    action = callback_data.action
    if action is BcAction.PICK_DATE:
        await edit(callback, _("Which day?"), kb.schedule_days(*_days(zone, now, locale)))
        return
    if action is BcAction.PICK_DAY:
        value = callback_data.value
        day = when.date_or_none(value // 10_000, value // 100 % 100, value % 100)
        hours = when.pick_hours(day, zone, now) if day else []
        if day is None or not hours:
            await edit(callback, _("Which day?"), kb.schedule_days(*_days(zone, now, locale)))
            return
        today = now.astimezone(zone).date()
        text = _("What time on {day}?").format(day=day_label(day, locale, today))
        await edit(callback, text, kb.schedule_hours(day, hours, locale))
        return
    if action is BcAction.TONIGHT:
        local = when.tonight(zone, now)
    elif action is BcAction.TOMORROW:
        local = when.tomorrow_morning(zone, now)
    else:
        value = callback_data.value
        day = when.date_or_none(value // 1_000_000, value // 10_000 % 100, value // 100 % 100)
        local = datetime.combine(day, time(value % 100 % 24), zone) if day else None
    if local is None:
        await edit(callback, _("That time has passed. Please send a later one."), None)
        return
    starts = broadcasts.check_start(local, now)
    await _scheduled(callback, state, uow, clock, renderer, locale, settings, draft, starts)


def _days(zone: ZoneInfo, now: datetime, locale: str) -> tuple[list[date], list[str]]:
    days = when.pick_days(zone, now)
    today = now.astimezone(zone).date()
    return days, [day_label(d, locale, today) for d in days]


async def on_schedule_time(
    message: Message,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    assert message.from_user is not None
    draft = await load(state)
    if draft is None:
        await state.clear()
        await message.answer(_("That draft is no longer here. Start again with /broadcast."))
        return
    starts = broadcasts.parse_start(message.text, settings.zone, clock.now())
    await _scheduled(message, state, uow, clock, renderer, locale, settings, draft, starts)
