"""A doctor's typed reply about one thing (a question, a resident): ask, then read it back."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery

from jiayi.bot import keyboards
from jiayi.bot.replies import send


async def ask_for_text(
    callback: CallbackQuery, state: FSMContext, prompt: str, waiting: State, key: str, about: int
) -> None:
    # The prompt first: if it can't be sent, the doctor's next text must not become a reply.
    await send(callback, prompt, keyboards.cancel())
    await state.set_state(waiting)
    await state.update_data({key: about})


async def asked_about(state: FSMContext, key: str) -> int | None:
    """The id the prompt was about; without one (stale state) the state is cleared."""
    about = (await state.get_data()).get(key)
    if not isinstance(about, int):
        await state.clear()
        return None
    return about
