"""Health points for residents: /points (balance, expiring points, history, vouchers), the
centre's rewards, redeeming one for a voucher with a QR image, cancelling it, and the quiz
on delivered tips."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import segno
from aiogram import Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from jiayi.bot import points_keyboards as kb
from jiayi.bot.callbacks import (
    PointsAction,
    PointsCD,
    QuizAnswerCD,
    QuizCD,
    RewardCD,
    VoucherAction,
    VoucherCD,
)
from jiayi.bot.replies import drop_buttons, edit, send
from jiayi.bot.views import Screen
from jiayi.content.localized import pick
from jiayi.content.points import Rule, load_rules
from jiayi.content.render import Renderer
from jiayi.content.tips import Library
from jiayi.services import points
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.points import EntryKind, PointsEntryRecord, PointsSummary, VoucherRecord
from jiayi.services.settings import Settings

QR_SCALE = 8


def last_day(instant: datetime, zone: ZoneInfo) -> date:
    """The last local day before an exclusive end instant (expiry, validity)."""
    return (instant.astimezone(zone) - timedelta(microseconds=1)).date()


def entry_label(entry: PointsEntryRecord, summary: PointsSummary, locale: str) -> str:
    if entry.kind in (EntryKind.EARN, EntryKind.REVERSAL):
        try:
            what = load_rules().rules[Rule(entry.reason)].label(locale)
        except ValueError:
            what = entry.reason
        if entry.kind is EntryKind.EARN:
            return what
        return _("Correction: {what}").format(what=what)
    if entry.kind is EntryKind.EXPIRY:
        return _("Expired")
    names = summary.reward_names.get(entry.reason)
    what = pick(*names, locale) if names else entry.reason
    if entry.kind is EntryKind.SPEND:
        return _("Redeemed: {what}").format(what=what)
    return _("Returned: {what}").format(what=what)


async def _home(
    uow: UnitOfWork, clock: Clock, renderer: Renderer, locale: str, zone: ZoneInfo, user: int
) -> Screen:
    summary = await points.my_points(uow, clock, user)
    text = renderer.render(
        "points",
        locale,
        balance=summary.balance,
        expiring=[{"date": last_day(at, zone), "points": n} for at, n in summary.expiring],
        vouchers=[
            {
                "name": kb.reward_name(v, locale),
                "code": v.code,
                "until": last_day(v.valid_until, zone),
            }
            for v in summary.vouchers
        ],
        history=[
            {
                "date": e.created_at.astimezone(zone).date(),
                "delta": e.delta,
                "label": entry_label(e, summary, locale),
            }
            for e in summary.history
        ],
    )
    return text, kb.home(summary.vouchers, locale)


async def cmd_points(
    message: Message,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    assert message.from_user is not None
    text, markup = await _home(uow, clock, renderer, locale, settings.zone, message.from_user.id)
    await message.answer(text, reply_markup=markup)


async def cb_points(
    callback: CallbackQuery,
    callback_data: PointsCD,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    user = callback.from_user.id
    if callback_data.action is PointsAction.CATALOGUE:
        rewards = await points.catalogue(uow, user)
        balance = (await points.my_points(uow, clock, user)).balance
        text = renderer.render(
            "rewards",
            locale,
            balance=balance,
            rewards=[
                {"name": kb.reward_name(r, locale), "cost": r.cost, "stock": r.stock}
                for r in rewards
            ],
        )
        await edit(callback, text, kb.catalogue(rewards, balance, locale))
        return
    text, markup = await _home(uow, clock, renderer, locale, settings.zone, user)
    await edit(callback, text, markup)


def _voucher_text(renderer: Renderer, locale: str, voucher: VoucherRecord, zone: ZoneInfo) -> str:
    return renderer.render(
        "voucher",
        locale,
        name=kb.reward_name(voucher, locale),
        code=voucher.code,
        until=last_day(voucher.valid_until, zone),
        status=voucher.status.value,
        cost=voucher.cost,
    )


def qr_png(code: str) -> bytes:
    image = io.BytesIO()
    segno.make_qr(code, error="m").save(image, kind="png", scale=QR_SCALE, border=2)
    return image.getvalue()


async def _send_voucher(
    callback: CallbackQuery,
    renderer: Renderer,
    locale: str,
    voucher: VoucherRecord,
    zone: ZoneInfo,
) -> None:
    assert callback.bot is not None
    await callback.bot.send_photo(
        callback.from_user.id,
        BufferedInputFile(qr_png(voucher.code), filename=f"voucher-{voucher.code}.png"),
        caption=_voucher_text(renderer, locale, voucher, zone),
        reply_markup=kb.voucher(voucher.id),
    )


async def cb_reward(
    callback: CallbackQuery,
    callback_data: RewardCD,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    user = callback.from_user.id
    if not callback_data.confirm:
        reward = await points.get_reward(uow, user, callback_data.reward_id)
        text = _(
            "Redeem {name} for {cost} points? You'll get a voucher valid for {days} days."
        ).format(name=kb.reward_name(reward, locale), cost=reward.cost, days=reward.valid_days)
        await edit(callback, text, kb.confirm_reward(reward.id))
        return
    voucher = await points.redeem(uow, clock, user, callback_data.reward_id, settings.zone)
    await drop_buttons(callback)
    await _send_voucher(callback, renderer, locale, voucher, settings.zone)


async def cb_voucher(
    callback: CallbackQuery,
    callback_data: VoucherCD,
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
) -> None:
    user = callback.from_user.id
    if callback_data.action is VoucherAction.CANCEL_YES:
        voucher = await points.cancel_voucher(uow, clock, user, callback_data.voucher_id)
        await drop_buttons(callback)
        await send(
            callback, _voucher_text(renderer, locale, voucher, settings.zone), kb.to_points()
        )
        return
    voucher = await points.get_voucher(uow, user, callback_data.voucher_id)
    if voucher.status is not points.VoucherStatus.ACTIVE:
        await send(
            callback, _voucher_text(renderer, locale, voucher, settings.zone), kb.to_points()
        )
        return
    if callback_data.action is VoucherAction.CANCEL:
        await drop_buttons(callback)
        text = _("Cancel this voucher? Its {cost} points go back to your balance.").format(
            cost=voucher.cost
        )
        await send(callback, text, kb.confirm_cancel(voucher.id))
        return
    await _send_voucher(callback, renderer, locale, voucher, settings.zone)


async def cb_quiz(
    callback: CallbackQuery,
    callback_data: QuizCD,
    uow: UnitOfWork,
    library: Library,
    locale: str,
) -> None:
    quiz = await points.quiz_for(uow, library, callback.from_user.id, callback_data.outbox_id)
    question = quiz.question.get(locale) or quiz.question["en"]
    await send(callback, question, kb.quiz(callback_data.outbox_id, quiz, locale))


async def cb_quiz_answer(
    callback: CallbackQuery,
    callback_data: QuizAnswerCD,
    uow: UnitOfWork,
    clock: Clock,
    library: Library,
    settings: Settings,
) -> None:
    result = await points.answer_quiz(
        uow,
        clock,
        library,
        callback.from_user.id,
        callback_data.outbox_id,
        callback_data.option,
        settings.zone,
    )
    if not result.correct:
        await send(callback, _("Not quite. Have another look at the tip and try again."))
        return
    await drop_buttons(callback)
    if result.points:
        text = _("Correct! +{points} health points.").format(points=result.points)
    elif result.already:
        text = _("Correct! You've already earned points for this quiz.")
    else:
        text = _("Correct! You've reached this month's limit for quiz points.")
    await send(callback, text, kb.to_points())


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(cmd_points, Command("points"))
    router.callback_query.register(cb_points, PointsCD.filter())
    router.callback_query.register(cb_reward, RewardCD.filter())
    router.callback_query.register(cb_voucher, VoucherCD.filter())
    router.callback_query.register(cb_quiz, QuizCD.filter())
    router.callback_query.register(cb_quiz_answer, QuizAnswerCD.filter())
    return router
