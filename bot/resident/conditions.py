"""The multi-select of conditions, shared by sign-up, profile and family flows."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from services.residents import Condition

from bot import keyboards
from bot.callbacks import ConditionToggleCD
from bot.states import FamilyAdd, FamilyEdit, Onboarding, ProfileEdit

CONDITIONS = "conditions"
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
    chosen = {Condition(c) for c in (await state.get_data()).get(CONDITIONS, [])}
    chosen ^= {callback_data.condition}
    await state.update_data({CONDITIONS: sorted(chosen)})
    if isinstance(callback.message, Message):
        cancel = await state.get_state() in CANCELLABLE
        await callback.message.edit_reply_markup(
            reply_markup=keyboards.conditions(chosen, cancel=cancel)
        )


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.callback_query.register(
        cb_condition_toggle, CONDITION_STATES, ConditionToggleCD.filter()
    )
    return router
