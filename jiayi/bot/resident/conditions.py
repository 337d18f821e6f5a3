"""The multi-select of conditions, shared by sign-up, profile and family flows."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from jiayi.bot import keyboards
from jiayi.bot.callbacks import ConditionToggleCD
from jiayi.bot.states import FamilyAdd, FamilyEdit, Onboarding, ProfileEdit
from jiayi.services.residents import Condition

CONDITIONS = "conditions"
# The conditions asked about (a family member's fit their age and sex); absent = all.
OFFERED = "offered_conditions"
CONDITION_STATES = StateFilter(
    Onboarding.conditions, ProfileEdit.conditions, FamilyAdd.conditions, FamilyEdit.conditions
)
# Flows reached from a menu can be cancelled; sign-up can't be left half-way by a button.
CANCELLABLE = (
    ProfileEdit.conditions.state,
    FamilyAdd.conditions.state,
    FamilyEdit.conditions.state,
)


async def cb_condition_toggle(
    callback: CallbackQuery, callback_data: ConditionToggleCD, state: FSMContext
) -> None:
    data = await state.get_data()
    chosen = {Condition(c) for c in data.get(CONDITIONS, [])}
    chosen ^= {callback_data.condition}
    await state.update_data({CONDITIONS: sorted(chosen)})
    offered = data.get(OFFERED)
    if isinstance(callback.message, Message):
        cancel = await state.get_state() in CANCELLABLE
        await callback.message.edit_reply_markup(
            reply_markup=keyboards.conditions(
                chosen,
                cancel=cancel,
                offered=None if offered is None else [Condition(c) for c in offered],
            )
        )


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.callback_query.register(
        cb_condition_toggle, CONDITION_STATES, ConditionToggleCD.filter()
    )
    return router
