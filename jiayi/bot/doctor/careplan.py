"""Doctor side of care plans: a resident's care record (record an item done today, or a
prescription's length), the digest choice (/digest), and the digest's nudge buttons.

The record is opened through `CareRecordCD` (the resident card's button). Every call goes
through services.careplans, which checks the doctor holds the resident's contract.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from jiayi.bot import care_keyboards as kb
from jiayi.bot.callbacks import (
    CareDoneCD,
    CareNudgeCD,
    CareRecordCD,
    CareRxCD,
    CareUndoCD,
    DigestCD,
)
from jiayi.bot.replies import edit, send
from jiayi.content.careplans import default_rules
from jiayi.content.render import Renderer, html_format
from jiayi.services import careplans
from jiayi.services.careplans import DigestFrequency, Outcome
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.settings import Settings
from jiayi.services.undo import UNDO_MINUTES, UNDO_WINDOW

_OUTCOMES = {o.value for o in Outcome}


async def _record_screen(
    callback: CallbackQuery,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
    resident_id: int,
    member_id: int,
) -> None:
    view = await careplans.doctor_view(
        uow, clock, callback.from_user.id, resident_id, member_id or None, settings.zone
    )
    names = {r.id: r.name(locale) for r in default_rules()}
    text = renderer.render(
        "care_doctor",
        locale,
        person=view.person_name,
        prescription_weeks=view.prescription_weeks,
        prescribed_on=view.prescribed_on,
        entries=[
            {
                "name": e.name(locale),
                "due": e.due,
                "dose": e.dose,
                "state": e.state.value,
            }
            for e in view.entries
        ],
    )
    with_outcome = frozenset(r.id for r in default_rules() if r.uncontrolled_days)
    await edit(callback, text, kb.doctor_record(view, names, with_outcome))


async def cb_record(
    callback: CallbackQuery,
    callback_data: CareRecordCD,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    await _record_screen(
        callback,
        uow,
        clock,
        renderer,
        locale,
        settings,
        callback_data.resident_id,
        callback_data.member_id,
    )


async def cb_done(
    callback: CallbackQuery,
    callback_data: CareDoneCD,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    entry = await careplans.record_done(
        uow,
        clock,
        callback.from_user.id,
        callback_data.resident_id,
        callback_data.member_id or None,
        callback_data.rule,
        settings.zone,
        outcome=Outcome(callback_data.outcome) if callback_data.outcome in _OUTCOMES else None,
    )
    if callback_data.outcome == Outcome.UNCONTROLLED.value:
        done = _("Recorded: {item}, not controlled: the next follow-up is due in 2 weeks.")
    else:
        done = _("Recorded: {item}, done today.")
    undo = _("You can undo this for {minutes} minutes.").format(minutes=UNDO_MINUTES)
    await send(
        callback,
        html_format(done, item=entry.name(locale)) + "\n" + undo,
        kb.care_undo(callback_data.resident_id, callback_data.member_id, callback_data.rule),
    )
    await _record_screen(
        callback,
        uow,
        clock,
        renderer,
        locale,
        settings,
        callback_data.resident_id,
        callback_data.member_id,
    )


async def cb_undo(
    callback: CallbackQuery,
    callback_data: CareUndoCD,
    uow: UnitOfWork,
    clock: Clock,
    locale: str,
    settings: Settings,
) -> None:
    rule = await careplans.undo_done(
        uow,
        clock,
        callback.from_user.id,
        callback_data.resident_id,
        callback_data.member_id or None,
        callback_data.rule,
        settings.zone,
        window=UNDO_WINDOW,
    )
    await edit(
        callback,
        html_format(
            _("Undone: {item} is no longer recorded as done today."), item=rule.name(locale)
        ),
        kb.care_record_button(callback_data.resident_id, callback_data.member_id),
    )


async def cb_prescription(
    callback: CallbackQuery,
    callback_data: CareRxCD,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    runs_out = await careplans.record_prescription(
        uow,
        clock,
        callback.from_user.id,
        callback_data.resident_id,
        callback_data.member_id or None,
        callback_data.weeks,
        settings.zone,
    )
    await send(
        callback,
        _("Prescription recorded: {weeks} weeks, runs out on {day}.").format(
            weeks=callback_data.weeks, day=renderer.day_text(runs_out, locale)
        ),
    )
    await _record_screen(
        callback,
        uow,
        clock,
        renderer,
        locale,
        settings,
        callback_data.resident_id,
        callback_data.member_id,
    )


async def cmd_digest(message: Message, uow: UnitOfWork) -> None:
    assert message.from_user is not None
    current = await careplans.digest_frequency(uow, message.from_user.id)
    await message.answer(
        _("How often would you like the digest of your residents' overdue items?"),
        reply_markup=kb.digest_choice(current.value),
    )


async def cb_digest(
    callback: CallbackQuery,
    callback_data: DigestCD,
    uow: UnitOfWork,
    clock: Clock,
    locale: str,
) -> None:
    chosen = DigestFrequency(callback_data.frequency.value)
    await careplans.set_digest_frequency(uow, clock, callback.from_user.id, chosen, locale)
    texts = {
        DigestFrequency.DAILY: _("You'll get the digest every morning."),
        DigestFrequency.WEEKLY: _("You'll get the digest on Monday mornings."),
        DigestFrequency.OFF: _("The digest is off. Send /digest to turn it on again."),
    }
    await edit(callback, texts[chosen], kb.digest_choice(chosen.value))


async def cb_nudge(
    callback: CallbackQuery,
    callback_data: CareNudgeCD,
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
) -> None:
    sent = await careplans.nudge(
        uow, clock, callback.from_user.id, callback_data.resident_id, settings.zone
    )
    await send(
        callback,
        _("Reminder queued.")
        if sent
        else _("Nothing to send: already reminded today, or nothing is overdue any more."),
    )


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(cmd_digest, Command("digest"))
    router.callback_query.register(cb_record, CareRecordCD.filter())
    router.callback_query.register(cb_done, CareDoneCD.filter())
    router.callback_query.register(cb_undo, CareUndoCD.filter())
    router.callback_query.register(cb_prescription, CareRxCD.filter())
    router.callback_query.register(cb_digest, DigestCD.filter())
    router.callback_query.register(cb_nudge, CareNudgeCD.filter())
    return router
