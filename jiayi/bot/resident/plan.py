"""/plan: the resident's and their family's care items; the buttons of care reminders."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from jiayi.bot import care_keyboards as kb
from jiayi.bot.callbacks import CareAction, CareItemCD, MenuCD, MenuItem
from jiayi.bot.replies import drop_buttons, edit, send
from jiayi.content.render import Renderer
from jiayi.services import care_notices, careplans
from jiayi.services.careplans import PlanEntry
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.errors import DomainError
from jiayi.services.settings import Settings


def plan_text(renderer: Renderer, locale: str, entries: list[PlanEntry]) -> str:
    return renderer.render(
        "care_plan",
        locale,
        entries=[
            {
                "name": e.name(locale),
                "person": e.person_name,
                "own": e.member_id is None,
                "due": e.due,
                "dose": e.dose,
                "state": e.state.value,
                "booked": e.booked,
            }
            for e in entries
        ],
    )


async def cmd_plan(
    message: Message,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    assert message.from_user is not None
    entries = await careplans.plan(uow, clock, message.from_user.id, settings.zone)
    await message.answer(plan_text(renderer, locale, entries), reply_markup=kb.plan())


async def cb_plan(
    callback: CallbackQuery,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    entries = await careplans.plan(uow, clock, callback.from_user.id, settings.zone)
    await edit(callback, plan_text(renderer, locale, entries), kb.plan())


async def cb_item(
    callback: CallbackQuery,
    callback_data: CareItemCD,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    due = kb.from_yyyymmdd(callback_data.due)
    if due is None:
        raise DomainError("care_item_gone")
    member = callback_data.member_id or None
    user = callback.from_user.id
    if callback_data.action is CareAction.OPEN:
        payload = await careplans.reminder_card(
            uow, clock, user, settings.zone, callback_data.rule, member, due
        )
        await send(
            callback,
            care_notices.reminder_text(renderer, locale, payload),
            kb.reminder(payload.service_id, member, callback_data.rule, due),
        )
        return
    if callback_data.action is CareAction.SNOOZE:
        at = await careplans.snooze(
            uow, clock, user, settings.zone, callback_data.rule, member, due
        )
        await drop_buttons(callback)
        when = renderer.day_text(at.astimezone(settings.zone), locale)
        await send(callback, _("OK, I'll remind you again on {day}.").format(day=when))
        return
    following = await careplans.done_elsewhere(
        uow, clock, user, settings.zone, callback_data.rule, member, due
    )
    await drop_buttons(callback)
    text = _("Noted as done. Thank you!")
    if following is not None:
        text += "\n" + _("Next: {item}, due {day}.").format(
            item=following.name(locale), day=renderer.day_text(following.due, locale)
        )
    await send(callback, text)


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(cmd_plan, Command("plan"))
    router.callback_query.register(cb_plan, MenuCD.filter(F.item == MenuItem.PLAN))
    router.callback_query.register(cb_item, CareItemCD.filter())
    return router
