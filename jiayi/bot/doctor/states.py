"""Conversation states of the doctor console and of residents' questions."""

from aiogram.fsm.state import State, StatesGroup


class BroadcastCompose(StatesGroup):
    text = State()
    second_text = State()
    audience = State()
    confirm = State()
    schedule_time = State()


class ResidentSearch(StatesGroup):
    query = State()


class PersonalMessage(StatesGroup):
    text = State()


class QuestionAnswer(StatesGroup):
    text = State()


class QuestionAsk(StatesGroup):
    text = State()


class CheckInCode(StatesGroup):
    """/checkin without a code: the next message is the code."""

    code = State()
