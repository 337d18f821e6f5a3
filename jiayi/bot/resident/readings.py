"""Home readings: /reading records blood pressure or glucose; /readings shows 30 days.

Flow: whose reading (when the resident manages family) → what was measured → type it
("135/85" or "7.2"), now or at an hour earlier today. The advice is general and fixed by
templates; an urgent value answers with the seek-care message first.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from jiayi.bot.aiogram_shim import InlineKeyboardBuilder
from jiayi.bot.callbacks import (
    AskDoctorCD,
    CancelCD,
    MenuCD,
    MenuItem,
    ReadingCD,
    ReadingKindChoice,
    ReadingReminderCD,
    ReadingStep,
    ReminderChoice,
)
from jiayi.bot.replies import edit, send
from jiayi.bot.states import ReadingEntry
from jiayi.content.dates import hour_words
from jiayi.content.render import Renderer
from jiayi.services import booking, readings
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.readings import (
    BloodPressure,
    GlucoseContext,
    Level,
    ReadingKind,
    ReminderRecord,
)
from jiayi.services.readings_chart import render_chart
from jiayi.services.settings import Settings

# Quick picks for "measured earlier today": the usual home-monitoring hours.
EARLIER_HOURS = (6, 7, 8, 9, 12, 14, 17, 18, 19, 20, 21)


def _kinds(member_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    labels = {
        ReadingKindChoice.BP: _("Blood pressure"),
        ReadingKindChoice.FASTING: _("Glucose: fasting"),
        ReadingKindChoice.POST_MEAL: _("Glucose: 2 h after a meal"),
        ReadingKindChoice.RANDOM: _("Glucose: other time"),
    }
    for kind, label in labels.items():
        kb.button(
            text=label,
            callback_data=ReadingCD(step=ReadingStep.KIND, member_id=member_id, kind=kind),
        )
    kb.button(text=_("Cancel"), callback_data=CancelCD())
    return kb.adjust(1).as_markup()


def _prompt_markup(member_id: int, kind: ReadingKindChoice) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=_("I measured earlier today"),
        callback_data=ReadingCD(step=ReadingStep.EARLIER, member_id=member_id, kind=kind),
    )
    kb.button(text=_("Cancel"), callback_data=CancelCD())
    return kb.adjust(1).as_markup()


def _after_markup(level: Level, repeated: bool) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    if level is Level.URGENT or repeated:
        kb.button(text=_("Ask my doctor"), callback_data=AskDoctorCD())
    if repeated and level is not Level.URGENT:
        kb.button(text=_("Book a follow-up"), callback_data=MenuCD(item=MenuItem.BOOK))
    kb.button(text=_("Record another reading"), callback_data=ReadingCD(step=ReadingStep.START))
    kb.button(text=_("My readings"), callback_data=ReadingCD(step=ReadingStep.LIST))
    kb.button(text=_("Main menu"), callback_data=MenuCD(item=MenuItem.MENU))
    return kb.adjust(1).as_markup()


def _prompt(kind: ReadingKindChoice, at: int | None, locale: str) -> str:
    when = (
        _("measured at {time} today").format(time=hour_words(at, locale))
        if at is not None
        else _("measured now")
    )
    if kind is ReadingKindChoice.BP:
        return _(
            "Type the blood pressure ({when}) as two numbers, upper/lower, for example 135/85. "
            "You can add the pulse after a space: 135/85 72."
        ).format(when=when)
    return _("Type the blood glucose ({when}) in mmol/L, for example 7.2.").format(when=when)


async def _people(uow: UnitOfWork, user_id: int, step: ReadingStep) -> InlineKeyboardMarkup | None:
    """Buttons to choose whose reading, or None when the resident manages nobody else."""
    choices = await booking.people(uow, user_id)
    if len(choices) == 1:
        return None
    kb = InlineKeyboardBuilder()
    target = ReadingStep.PERSON if step is ReadingStep.START else ReadingStep.SHOW
    for choice in choices:
        kb.button(
            text=choice.name,
            callback_data=ReadingCD(step=target, member_id=choice.member_id or 0),
        )
    kb.button(text=_("Cancel"), callback_data=CancelCD())
    return kb.adjust(1).as_markup()


async def cmd_reading(message: Message, state: FSMContext, uow: UnitOfWork) -> None:
    assert message.from_user is not None
    await state.clear()
    people = await _people(uow, message.from_user.id, ReadingStep.START)
    if people is None:
        await message.answer(_("What did you measure?"), reply_markup=_kinds(0))
    else:
        await message.answer(_("Whose reading is it?"), reply_markup=people)


async def cb_reading(
    callback: CallbackQuery,
    callback_data: ReadingCD,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
    renderer: Renderer,
    locale: str,
) -> None:
    step, member_id = callback_data.step, callback_data.member_id
    zone = settings.zone
    if step is ReadingStep.START:
        # A new message: the confirmation of the last reading stays readable above it.
        await state.clear()
        people = await _people(uow, callback.from_user.id, step)
        if people is None:
            await send(callback, _("What did you measure?"), _kinds(0))
        else:
            await send(callback, _("Whose reading is it?"), people)
    elif step is ReadingStep.PERSON:
        await edit(callback, _("What did you measure?"), _kinds(member_id))
    elif step in (ReadingStep.KIND, ReadingStep.AT) and callback_data.kind is not None:
        at = (
            callback_data.hour
            if step is ReadingStep.AT and 0 <= callback_data.hour <= 23
            else None
        )
        await edit(
            callback,
            _prompt(callback_data.kind, at, locale),
            _prompt_markup(member_id, callback_data.kind),
        )
        await state.set_state(ReadingEntry.value)
        await state.update_data(member_id=member_id, kind=callback_data.kind.value, hour=at)
    elif step is ReadingStep.EARLIER and callback_data.kind is not None:
        now_hour = clock.now().astimezone(zone).hour
        kb = InlineKeyboardBuilder()
        for hour in EARLIER_HOURS:
            if hour <= now_hour:
                kb.button(
                    text=hour_words(hour, locale),
                    callback_data=ReadingCD(
                        step=ReadingStep.AT,
                        member_id=member_id,
                        kind=callback_data.kind,
                        hour=hour,
                    ),
                )
        kb.button(text=_("Cancel"), callback_data=CancelCD())
        await edit(callback, _("About what time did you measure?"), kb.adjust(4).as_markup())
    elif step is ReadingStep.LIST:
        people = await _people(uow, callback.from_user.id, ReadingStep.LIST)
        if people is not None:
            await edit(callback, _("Whose readings?"), people)
        else:
            await _show(
                callback.from_user.id, None, uow, clock, settings, renderer, locale, callback
            )
    elif step is ReadingStep.REMIND:
        current = await readings.reminder_of(uow, callback.from_user.id)
        await send(callback, _reminder_text(current, renderer, locale), _reminder_choices(locale))
    elif step is ReadingStep.SHOW:
        await _show(
            callback.from_user.id,
            member_id or None,
            uow,
            clock,
            settings,
            renderer,
            locale,
            callback,
        )
    else:
        await edit(callback, _("That button has expired. Send /reading to start again."), None)


def _hours(choice: ReminderChoice) -> tuple[int, ...]:
    return () if choice is ReminderChoice.OFF else tuple(int(h) for h in choice.value.split(","))


def _hours_text(hours: tuple[int, ...], locale: str) -> str:
    return _(" and ").join(hour_words(h, locale) for h in hours)


def _reminder_text(current: ReminderRecord | None, renderer: Renderer, locale: str) -> str:
    if current is None:
        state = _("Reminders to measure are off.")
    else:
        state = _(
            "You are reminded at {hours}: every day until {until}, then once a week."
        ).format(
            hours=_hours_text(current.hours, locale),
            until=renderer.day_text(current.daily_until, locale),
        )
    return (
        state
        + "\n"
        + _(
            "Before a follow-up, doctors ask for a week of readings, morning and evening. "
            "When should we remind you?"
        )
    )


def _reminder_choices(locale: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for choice in ReminderChoice:
        if choice is ReminderChoice.OFF:
            label = _("No reminders")
        elif choice is ReminderChoice.MORNING_EVENING:
            label = _hours_text(_hours(choice), locale)
        else:
            label = _("{time} only").format(time=_hours_text(_hours(choice), locale))
        kb.button(text=label, callback_data=ReadingReminderCD(choice=choice))
    return kb.adjust(1).as_markup()


async def cb_reminder(
    callback: CallbackQuery,
    callback_data: ReadingReminderCD,
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
    renderer: Renderer,
    locale: str,
) -> None:
    hours = _hours(callback_data.choice)
    current = await readings.set_reminder(uow, clock, settings.zone, callback.from_user.id, hours)
    if current is None:
        text = _("Reminders to measure are off. You can turn them on again from /readings.")
    else:
        text = _(
            "Done: we'll remind you at {hours} every day until {until}, then once a week."
        ).format(
            hours=_hours_text(current.hours, locale),
            until=renderer.day_text(current.daily_until, locale),
        )
    await edit(callback, text, None)


async def on_value(
    message: Message,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
    renderer: Renderer,
    locale: str,
) -> None:
    assert message.from_user is not None
    zone = settings.zone
    data = await state.get_data()
    kind = ReadingKindChoice(data.get("kind", ReadingKindChoice.BP.value))
    member_id = int(data.get("member_id") or 0) or None
    hour = data.get("hour")
    value: readings.Value
    # A bad value raises InvalidInput: the error router answers and the step stays open.
    if kind is ReadingKindChoice.BP:
        value = readings.parse_blood_pressure(message.text)
    else:
        value = readings.parse_glucose(message.text, GlucoseContext(kind.value))
    recorded = await readings.record_reading(
        uow,
        clock,
        zone,
        message.from_user.id,
        member_id,
        value,
        at=time(int(hour)) if hour is not None else None,
    )
    await state.clear()
    text = renderer.render(
        "reading_result",
        locale,
        name=recorded.person_name,
        kind=value.kind.value,
        value=value.text(),
        level=recorded.level.value,
        repeated=recorded.repeated_above,
        low=recorded.low,
        measured_at=recorded.measured_at.astimezone(zone),
    )
    await message.answer(text, reply_markup=_after_markup(recorded.level, recorded.repeated_above))


async def on_not_text(message: Message) -> None:
    await message.answer(_("Please type the reading as numbers, or press Cancel."))


async def cmd_readings(
    message: Message,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
    renderer: Renderer,
    locale: str,
) -> None:
    assert message.from_user is not None
    await state.clear()
    people = await _people(uow, message.from_user.id, ReadingStep.LIST)
    if people is not None:
        await message.answer(_("Whose readings?"), reply_markup=people)
        return
    await _show(message.from_user.id, None, uow, clock, settings, renderer, locale, message)


async def _show(
    user_id: int,
    member_id: int | None,
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
    renderer: Renderer,
    locale: str,
    origin: Message | CallbackQuery,
) -> None:
    zone = settings.zone
    s = await readings.summary(uow, clock, zone, user_id, member_id)
    text = summary_text(renderer, locale, s)
    kb = InlineKeyboardBuilder()
    kb.button(
        text=_("Record a reading"),
        callback_data=ReadingCD(step=ReadingStep.PERSON, member_id=member_id or 0),
    )
    if member_id is None:
        kb.button(text=_("Reminders to measure"), callback_data=ReadingCD(step=ReadingStep.REMIND))
    kb.button(text=_("Main menu"), callback_data=MenuCD(item=MenuItem.MENU))
    markup = kb.adjust(1).as_markup()
    bot = origin.bot
    assert bot is not None
    if not await send_charts(
        bot, user_id, s, text, markup, now=clock.now(), zone=zone, locale=locale
    ):
        await bot.send_message(user_id, text, reply_markup=markup)


def summary_text(renderer: Renderer, locale: str, s: readings.Summary) -> str:
    """The 30-day summary, as the resident, their /mydata and their doctor read it."""
    return renderer.render("readings_summary", locale, s=s, target_bp=readings.bp_target_text())


async def send_charts(
    bot: Bot,
    chat_id: int,
    s: readings.Summary,
    caption: str,
    markup: InlineKeyboardMarkup | None,
    *,
    now: datetime,
    zone: ZoneInfo,
    locale: str,
) -> bool:
    """One chart per kind of reading the person has, the caption and buttons on the last;
    False when there is nothing to draw."""
    kinds = [
        kind
        for kind, count in (
            (ReadingKind.BLOOD_PRESSURE, s.bp_count),
            (ReadingKind.GLUCOSE, s.glucose_count),
        )
        if count
    ]
    for i, kind in enumerate(kinds):
        png = render_chart(
            list(s.readings),
            name=s.person_name,
            kind=kind.value,
            locale=locale,
            now=now,
            zone=zone,
        )
        last = i == len(kinds) - 1
        await bot.send_photo(
            chat_id,
            BufferedInputFile(png, filename=f"readings-{kind.value}.png"),
            caption=caption if last else None,
            reply_markup=markup if last else None,
        )
    return bool(kinds)


async def send_household_charts(
    bot: Bot,
    uow: UnitOfWork,
    clock: Clock,
    zone: ZoneInfo,
    renderer: Renderer,
    locale: str,
    user_id: int,
) -> None:
    """The charts of everyone in the household who has readings (for /mydata)."""
    for person in await booking.people(uow, user_id):
        s = await readings.summary(uow, clock, zone, user_id, person.member_id)
        text = summary_text(renderer, locale, s)
        await send_charts(bot, user_id, s, text, None, now=clock.now(), zone=zone, locale=locale)


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(cmd_reading, Command("reading"))
    router.message.register(cmd_readings, Command("readings"))
    router.callback_query.register(cb_reading, ReadingCD.filter())
    router.callback_query.register(cb_reminder, ReadingReminderCD.filter())
    router.message.register(on_value, ReadingEntry.value, F.text, ~F.text.startswith("/"))
    router.message.register(on_not_text, ReadingEntry.value, ~F.text)
    return router


__all__ = ["BloodPressure", "build_router"]
