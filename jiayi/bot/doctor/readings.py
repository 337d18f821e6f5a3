"""The doctor's view of a resident's home readings (from the resident card, or an urgent
alert's button): the chart and summary, and "follow-up done: reviewed home readings"."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from jiayi.bot.aiogram_shim import InlineKeyboardBuilder
from jiayi.bot.callbacks import DoctorAlertsCD, DoctorReadingsCD, ResidentCardCD
from jiayi.bot.replies import edit, send
from jiayi.bot.resident.readings import send_charts, summary_text
from jiayi.content.careplans import default_rules
from jiayi.content.render import Renderer
from jiayi.services import careplans, readings
from jiayi.services.careplans import Source
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.readings import DoctorReadings
from jiayi.services.settings import Settings


def _markup(view: DoctorReadings, locale: str) -> InlineKeyboardMarkup:
    names = {r.id: r.name(locale) for r in default_rules()}
    kb = InlineKeyboardBuilder()
    for rule in view.follow_up_rules:
        kb.button(
            text=_("{item} done: reviewed home readings").format(item=names.get(rule, rule)),
            callback_data=DoctorReadingsCD(resident_id=view.resident_id, review=rule),
        )
    kb.button(
        text=_("Back to the card"), callback_data=ResidentCardCD(resident_id=view.resident_id)
    )
    return kb.adjust(1).as_markup()


async def cb_readings(
    callback: CallbackQuery,
    callback_data: DoctorReadingsCD,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    if callback_data.review:
        entry = await careplans.record_done(
            uow,
            clock,
            callback.from_user.id,
            callback_data.resident_id,
            None,
            callback_data.review,
            settings.zone,
            source=Source.HOME_READINGS,
        )
        await send(
            callback,
            _("Recorded: {item}, done today (home readings reviewed).").format(
                item=entry.name(locale)
            ),
        )
        return
    view = await readings.doctor_view(
        uow, clock, settings.zone, settings, callback.from_user.id, callback_data.resident_id
    )
    s = view.summary
    text = (
        summary_text(renderer, locale, s)
        + "\n"
        + renderer.render("readings_last_follow_up", locale, day=view.last_follow_up)
    )
    markup = _markup(view, locale)
    assert callback.bot is not None
    sent = await send_charts(
        callback.bot,
        callback.from_user.id,
        s,
        text,
        markup,
        now=clock.now(),
        zone=settings.zone,
        locale=locale,
    )
    if not sent:
        await send(callback, text, markup)


def _alerts_markup(all_hours: bool) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for value, label in (
        (False, _("Daytime only (08:00–21:00)")),
        (True, _("At any hour, also at night")),
    ):
        mark = "✓ " if value == all_hours else ""
        kb.button(text=f"{mark}{label}", callback_data=DoctorAlertsCD(all_hours=value))
    return kb.adjust(1).as_markup()


async def cmd_alerts(message: Message, uow: UnitOfWork, settings: Settings) -> None:
    assert message.from_user is not None
    current = await readings.alerts_all_hours(uow, settings, message.from_user.id)
    await message.answer(
        _(
            "When a resident of yours sends a home reading in the urgent range, you get an "
            "alert. When should it reach you?"
        ),
        reply_markup=_alerts_markup(current),
    )


async def cb_alerts(
    callback: CallbackQuery, callback_data: DoctorAlertsCD, uow: UnitOfWork, settings: Settings
) -> None:
    await readings.set_alerts_all_hours(
        uow, settings, callback.from_user.id, callback_data.all_hours
    )
    text = (
        _("Urgent-reading alerts now reach you at any hour.")
        if callback_data.all_hours
        else _(
            "Urgent-reading alerts reach you between 08:00 and 21:00; night ones wait until 08:00."
        )
    )
    await edit(callback, text, _alerts_markup(callback_data.all_hours))


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(cmd_alerts, Command("alerts"))
    router.callback_query.register(cb_alerts, DoctorAlertsCD.filter())
    router.callback_query.register(cb_readings, DoctorReadingsCD.filter())
    return router
