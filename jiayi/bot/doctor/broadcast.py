"""/broadcast (compose, choose the audience, preview, send or schedule), /broadcasts, the
status message with its refresh button, and the job-side notifier of progress and reports.

Every step calls a service that checks the doctor role first, so a forged button from a
resident is refused before anything is read.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from jiayi.bot import keyboards
from jiayi.bot.booking_keyboards import day_label
from jiayi.bot.callbacks import BcAction, BcSegmentCD, BcStepCD, BroadcastAction, BroadcastCD
from jiayi.bot.doctor import console_keyboards as kb
from jiayi.bot.doctor.states import BroadcastCompose
from jiayi.bot.labels import language_label
from jiayi.bot.replies import edit, send
from jiayi.content.render import Renderer
from jiayi.services import broadcasts, console, when
from jiayi.services.broadcasts import BroadcastReport, Draft
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.settings import LOCALES, Settings

log = logging.getLogger(__name__)

DRAFT = "broadcast"


def _other(locale: str) -> str:
    return next(loc for loc in LOCALES if loc != locale)


async def _draft(state: FSMContext) -> dict[str, Any] | None:
    data = (await state.get_data()).get(DRAFT)
    return dict(data) if isinstance(data, dict) else None


async def _save(state: FSMContext, draft: dict[str, Any]) -> None:
    await state.update_data({DRAFT: draft})


def status_screen(
    renderer: Renderer, locale: str, report: BroadcastReport, settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    b = report.broadcast
    text = renderer.render(
        "broadcast_status",
        locale,
        id=b.id,
        status=kb.status_label(b.status),
        segments=kb.segments_text(b.segments),
        size=b.audience_size,
        starts=_local(b.starts_at, settings) if b.status == "scheduled" else None,
        delivered=report.delivered,
        waiting=report.waiting,
        blocked=report.blocked,
        failed=report.failed,
        skipped=report.skipped,
        cancelled=report.cancelled,
    )
    return text, kb.broadcast_status(report)


def _local(at: datetime, settings: Settings) -> datetime:
    """In the centre's zone; templates say it in words (`|when`)."""
    return at.astimezone(settings.zone)


# --- composing -------------------------------------------------------------------------------


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
    await _save(state, {"texts": {locale: body}, "photo": photo, "segments": [], "spread": 0})
    other = _other(locale)
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
    await console.actor(uow, settings, callback.from_user.id)
    if await _draft(state) is None:
        await send(callback, _("That button is no longer active."))
        return
    await edit(
        callback,
        _("Send the {language} text.").format(language=language_label(_other(locale))),
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
    draft = await _draft(state)
    if draft is None:
        await state.clear()
        await message.answer(_("That draft is no longer here. Start again with /broadcast."))
        return
    body = broadcasts.parse_text(message.text, with_photo=draft["photo"] is not None)
    draft["texts"][_other(locale)] = body
    await _save(state, draft)
    text, markup = await _audience_screen(uow, clock, settings, message.from_user.id, draft)
    await state.set_state(BroadcastCompose.audience)
    await message.answer(text, reply_markup=markup)


async def cb_skip_second(
    callback: CallbackQuery,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
) -> None:
    draft = await _draft(state)
    await console.actor(uow, settings, callback.from_user.id)
    if draft is None:
        await send(callback, _("That button is no longer active."))
        return
    text, markup = await _audience_screen(uow, clock, settings, callback.from_user.id, draft)
    await state.set_state(BroadcastCompose.audience)
    await edit(callback, text, markup)


async def _audience_screen(
    uow: UnitOfWork, clock: Clock, settings: Settings, user_id: int, draft: dict[str, Any]
) -> tuple[str, InlineKeyboardMarkup]:
    chosen = list(draft["segments"])
    estimate = await broadcasts.audience_size(uow, clock, settings, user_id, chosen)
    text = _(
        "Who should receive it? Tap to choose. Choices of one kind are alternatives; "
        "different kinds combine (e.g. Hypertension and Age 65+).\n\n"
        "Audience: {segments}\nRecipients now: {size}"
    ).format(segments=kb.segments_text(chosen), size=estimate.size)
    return text, kb.audience(broadcasts.segment_codes(), set(chosen))


async def cb_segment(
    callback: CallbackQuery,
    callback_data: BcSegmentCD,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
) -> None:
    # The role is checked before the conversation's data is even looked at.
    await console.actor(uow, settings, callback.from_user.id)
    draft = await _draft(state)
    if draft is None or callback_data.code not in broadcasts.segment_codes():
        await send(callback, _("That button is no longer active."))
        return
    chosen = list(draft["segments"])
    if callback_data.code in chosen:
        chosen.remove(callback_data.code)
    else:
        chosen.append(callback_data.code)
    draft["segments"] = chosen
    await _save(state, draft)
    text, markup = await _audience_screen(uow, clock, settings, callback.from_user.id, draft)
    await edit(callback, text, markup)


async def _confirm_screen(
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
    user_id: int,
    draft: dict[str, Any],
) -> tuple[str, InlineKeyboardMarkup]:
    spread = timedelta(hours=int(draft["spread"]))
    estimate = await broadcasts.audience_size(
        uow, clock, settings, user_id, draft["segments"], spread
    )
    starts = draft.get("starts_at")
    text = renderer.render(
        "broadcast_confirm",
        locale,
        segments=kb.segments_text(draft["segments"]),
        size=estimate.size,
        spread=kb.duration_text(spread) if spread else None,
        duration=kb.duration_text(estimate.duration),
        rate=f"{settings.push_rate:g}",
        starts=_local(datetime.fromisoformat(starts), settings) if starts else None,
        languages=", ".join(language_label(loc) for loc in draft["texts"]),
        photo=draft["photo"] is not None,
    )
    return text, kb.confirm(int(draft["spread"]), scheduled=starts is not None)


async def _send_preview(
    callback: CallbackQuery, renderer: Renderer, doctor: str, draft: dict[str, Any]
) -> None:
    """Exactly what residents will receive, in each residents' language (the header is
    translated even when the doctor wrote one text)."""
    assert callback.bot is not None
    for language in LOCALES:
        body = broadcasts.text_for(draft["texts"], language)
        text = broadcasts.render_broadcast(renderer, language, doctor, body)
        header = _("Preview for residents using {language}:").format(
            language=language_label(language)
        )
        await callback.bot.send_message(callback.from_user.id, header)
        if draft["photo"]:
            await callback.bot.send_photo(callback.from_user.id, draft["photo"], caption=text)
        else:
            await callback.bot.send_message(callback.from_user.id, text)


async def cb_audience_done(
    callback: CallbackQuery,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    actor = await console.actor(uow, settings, callback.from_user.id)
    draft = await _draft(state)
    if draft is None:
        await send(callback, _("That button is no longer active."))
        return
    await state.set_state(BroadcastCompose.confirm)
    await _send_preview(callback, renderer, actor.doctor_name or "", draft)
    text, markup = await _confirm_screen(
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
    await console.actor(uow, settings, callback.from_user.id)
    draft = await _draft(state)
    if draft is None:
        await send(callback, _("That button is no longer active."))
        return
    draft["spread"] = max(0, min(callback_data.value, 24))
    await _save(state, draft)
    text, markup = await _confirm_screen(
        uow, clock, renderer, locale, settings, callback.from_user.id, draft
    )
    await edit(callback, text, markup)


async def cb_schedule(
    callback: CallbackQuery,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
) -> None:
    await console.actor(uow, settings, callback.from_user.id)
    if await _draft(state) is None:
        await send(callback, _("That button is no longer active."))
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
    draft: dict[str, Any],
    starts: datetime,
) -> None:
    """The chosen start goes into the draft; the confirm screen shows it."""
    draft["starts_at"] = starts.isoformat()
    await _save(state, draft)
    await state.set_state(BroadcastCompose.confirm)
    assert target.from_user is not None
    text, markup = await _confirm_screen(
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
    await console.actor(uow, settings, callback.from_user.id)
    draft = await _draft(state)
    if draft is None:
        await send(callback, _("That button is no longer active."))
        return
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
    draft = await _draft(state)
    if draft is None:
        await state.clear()
        await message.answer(_("That draft is no longer here. Start again with /broadcast."))
        return
    starts = broadcasts.parse_start(message.text, settings.zone, clock.now())
    await _scheduled(message, state, uow, clock, renderer, locale, settings, draft, starts)


async def cb_send(
    callback: CallbackQuery,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    user_id = callback.from_user.id
    await console.actor(uow, settings, user_id)
    draft = await _draft(state)
    if draft is None:
        await send(callback, _("That button is no longer active."))
        return
    starts = draft.get("starts_at")
    created = await broadcasts.create_broadcast(
        uow,
        clock,
        settings,
        user_id,
        Draft(
            texts=dict(draft["texts"]),
            segments=tuple(draft["segments"]),
            photo_file_id=draft["photo"],
            spread=timedelta(hours=int(draft["spread"])),
        ),
        owner_locale=locale,
        starts_at=datetime.fromisoformat(starts) if starts else None,
    )
    await state.clear()
    report = await broadcasts.report(uow, settings, user_id, created.id)
    text, markup = status_screen(renderer, locale, report, settings)
    await edit(callback, text, markup)
    if isinstance(callback.message, Message):
        await broadcasts.set_status_message(
            uow, settings, user_id, created.id, callback.message.message_id
        )


# --- after sending -----------------------------------------------------------------------------


async def cmd_broadcasts(
    message: Message, uow: UnitOfWork, renderer: Renderer, locale: str, settings: Settings
) -> None:
    assert message.from_user is not None
    reports = await broadcasts.list_broadcasts(uow, settings, message.from_user.id)
    rows = [
        {
            "id": r.broadcast.id,
            "created": _local(r.broadcast.created_at, settings),
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


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(cmd_broadcast, Command("broadcast"))
    router.message.register(cmd_broadcasts, Command("broadcasts"))
    # Commands never become broadcast text (bot.doctor.composing answers them).
    typed = F.text & ~F.text.startswith("/")
    router.message.register(on_text, BroadcastCompose.text, typed | F.photo)
    router.message.register(on_not_text, BroadcastCompose.text)
    router.message.register(on_second_text, BroadcastCompose.second_text, typed)
    router.message.register(on_not_text, BroadcastCompose.second_text)
    router.message.register(on_schedule_time, BroadcastCompose.schedule_time, typed)
    router.callback_query.register(cb_add_second, BcStepCD.filter(F.action == BcAction.ADD_SECOND))
    router.callback_query.register(
        cb_skip_second, BcStepCD.filter(F.action == BcAction.SKIP_SECOND)
    )
    router.callback_query.register(cb_segment, BcSegmentCD.filter())
    router.callback_query.register(
        cb_audience_done, BcStepCD.filter(F.action == BcAction.AUDIENCE_DONE)
    )
    router.callback_query.register(cb_spread, BcStepCD.filter(F.action == BcAction.SPREAD))
    router.callback_query.register(cb_schedule, BcStepCD.filter(F.action == BcAction.SCHEDULE))
    router.callback_query.register(
        cb_schedule_pick,
        BcStepCD.filter(
            F.action.in_(
                {
                    BcAction.TONIGHT,
                    BcAction.TOMORROW,
                    BcAction.PICK_DATE,
                    BcAction.PICK_DAY,
                    BcAction.AT,
                }
            )
        ),
    )
    router.callback_query.register(
        cb_send, BcStepCD.filter(F.action.in_({BcAction.SEND_NOW, BcAction.CONFIRM_SCHEDULE}))
    )
    router.callback_query.register(cb_broadcast, BroadcastCD.filter())
    return router
