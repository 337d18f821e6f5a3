"""Inline keyboards of the health-points screens (resident and doctor)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from jiayi.bot.aiogram_shim import InlineKeyboardBuilder
from jiayi.bot.callbacks import (
    CancelCD,
    LectureConfirmCD,
    MenuCD,
    MenuItem,
    PointsAction,
    PointsCD,
    QuizAnswerCD,
    RewardCD,
    VoucherAction,
    VoucherCD,
)
from jiayi.content.localized import localized
from jiayi.content.tips import Quiz
from jiayi.services.points import RewardRecord, VoucherRecord


def reward_name(reward: RewardRecord | VoucherRecord, locale: str) -> str:
    if isinstance(reward, VoucherRecord):
        return localized(reward, "reward_name", locale)
    return localized(reward, "name", locale)


def home(vouchers: list[VoucherRecord], locale: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Redeem points"), callback_data=PointsCD(action=PointsAction.CATALOGUE))
    for voucher in vouchers:
        kb.button(
            text=_("Voucher: {name}").format(name=reward_name(voucher, locale)),
            callback_data=VoucherCD(action=VoucherAction.OPEN, voucher_id=voucher.id),
        )
    kb.button(text=_("Main menu"), callback_data=MenuCD(item=MenuItem.MENU))
    return kb.adjust(1).as_markup()


def catalogue(rewards: list[RewardRecord], balance: int, locale: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for reward in rewards:
        if reward.stock > 0 and reward.cost <= balance:
            kb.button(
                text=f"{reward_name(reward, locale)} · {reward.cost}",
                callback_data=RewardCD(reward_id=reward.id),
            )
    kb.button(text=_("Back"), callback_data=PointsCD(action=PointsAction.OPEN))
    return kb.adjust(1).as_markup()


def confirm_reward(reward_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Yes, redeem"), callback_data=RewardCD(reward_id=reward_id, confirm=True))
    kb.button(text=_("Back"), callback_data=PointsCD(action=PointsAction.CATALOGUE))
    kb.button(text=_("Cancel"), callback_data=CancelCD())
    return kb.adjust(1, 2).as_markup()


def voucher(voucher_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=_("Cancel voucher"),
        callback_data=VoucherCD(action=VoucherAction.CANCEL, voucher_id=voucher_id),
    )
    kb.button(text=_("My points"), callback_data=PointsCD(action=PointsAction.OPEN))
    return kb.adjust(1).as_markup()


def confirm_cancel(voucher_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(
        text=_("Yes, cancel it"),
        callback_data=VoucherCD(action=VoucherAction.CANCEL_YES, voucher_id=voucher_id),
    )
    kb.button(
        text=_("No, keep the voucher"),
        callback_data=VoucherCD(action=VoucherAction.OPEN, voucher_id=voucher_id),
    )
    return kb.adjust(1).as_markup()


def to_points() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("My points"), callback_data=PointsCD(action=PointsAction.OPEN))
    return kb.as_markup()


def quiz(outbox_id: int, question: Quiz, locale: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for index, option in enumerate(question.options):
        kb.button(
            text=option.get(locale) or option["en"],
            callback_data=QuizAnswerCD(outbox_id=outbox_id, option=index),
        )
    return kb.adjust(1).as_markup()


def confirm_lecture(resident_id: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Yes, record it"), callback_data=LectureConfirmCD(resident_id=resident_id))
    return kb.as_markup()
