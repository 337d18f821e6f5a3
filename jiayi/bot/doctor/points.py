"""Doctor side of health points: redeem a resident's voucher by its code (`/redeem CODE`, or
`/redeem` and then the code), and record a resident's attendance at a health lecture.

The lecture flow starts from `LectureCD(resident_id)`, a button other doctor screens (the
resident card) carry. Services check the doctor role, the centre and the contract.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from jiayi.bot import keyboards
from jiayi.bot import points_keyboards as kb
from jiayi.bot.callbacks import LectureCD, LectureConfirmCD
from jiayi.bot.replies import edit, send
from jiayi.bot.states import RedeemVoucher
from jiayi.content.render import html_format
from jiayi.services import console, doctors, points
from jiayi.services.clock import Clock
from jiayi.services.console import AuditAction
from jiayi.services.database import UnitOfWork
from jiayi.services.errors import ErrorCode, NotAllowed
from jiayi.services.points import VoucherRecord
from jiayi.services.settings import Settings


def _redeemed_text(voucher: VoucherRecord, locale: str) -> str:
    return html_format(
        _("Voucher {code} redeemed ✓\n{reward} for {person}."),
        code=voucher.code,
        reward=kb.reward_name(voucher, locale),
        person=voucher.resident_name,
    )


async def cmd_redeem(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    uow: UnitOfWork,
    clock: Clock,
    locale: str,
) -> None:
    assert message.from_user is not None
    code = (command.args or "").strip()
    if not code:
        if await doctors.doctor_for_user(uow, message.from_user.id) is None:
            raise NotAllowed(ErrorCode.NOT_A_DOCTOR)  # as `/redeem CODE` is refused
        await message.answer(_("Send the voucher code."), reply_markup=keyboards.cancel())
        await state.set_state(RedeemVoucher.code)
        return
    voucher = await points.redeem_voucher(uow, clock, message.from_user.id, code)
    await console.audit_desk_action(
        uow, clock, message.from_user.id, voucher.resident_id, AuditAction.VOUCHER_REDEEMED
    )
    await message.answer(_redeemed_text(voucher, locale))


async def on_voucher_code(
    message: Message, state: FSMContext, uow: UnitOfWork, clock: Clock, locale: str
) -> None:
    assert message.from_user is not None
    if not message.text or message.text.startswith("/"):
        await message.answer(_("Please send the voucher code as text, or /cancel."))
        return
    await state.clear()
    voucher = await points.redeem_voucher(uow, clock, message.from_user.id, message.text)
    await console.audit_desk_action(
        uow, clock, message.from_user.id, voucher.resident_id, AuditAction.VOUCHER_REDEEMED
    )
    await message.answer(_redeemed_text(voucher, locale))


async def cb_lecture(callback: CallbackQuery, callback_data: LectureCD, uow: UnitOfWork) -> None:
    check = await points.check_lecture(uow, callback.from_user.id, callback_data.resident_id)
    text = html_format(
        _("Record that {name} attended a health lecture today? (+{points} points)"),
        name=check.resident_name,
        points=check.points,
    )
    await send(callback, text, kb.confirm_lecture(check.resident_id))


async def cb_lecture_confirm(
    callback: CallbackQuery,
    callback_data: LectureConfirmCD,
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
) -> None:
    result = await points.mark_lecture(
        uow, clock, callback.from_user.id, callback_data.resident_id, settings.zone
    )
    if result.already:
        text = _("{name}'s lecture attendance today was already recorded.")
    elif result.points:
        text = _("Recorded: {name} attended a health lecture, +{points} points.")
    else:
        text = _("Recorded. {name} has reached this month's limit for lecture points.")
    await edit(callback, html_format(text, name=result.resident_name, points=result.points), None)


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(cmd_redeem, Command("redeem"))
    router.message.register(on_voucher_code, RedeemVoucher.code)
    router.callback_query.register(cb_lecture, LectureCD.filter())
    router.callback_query.register(cb_lecture_confirm, LectureConfirmCD.filter())
    return router
