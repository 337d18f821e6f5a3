"""Conversation states. Stored in aiogram's FSM storage (memory, or Redis when configured)."""

from aiogram.fsm.state import State, StatesGroup


class Onboarding(StatesGroup):
    language = State()
    consent = State()
    birth_year = State()
    sex = State()
    conditions = State()
    doctor = State()


class ProfileEdit(StatesGroup):
    name = State()
    birth_year = State()
    sex = State()
    conditions = State()
    doctor = State()
    language = State()
    pregnancy_due = State()


class FamilyAdd(StatesGroup):
    relation = State()
    name = State()
    birth_date = State()
    sex = State()
    conditions = State()
    consent = State()


class FamilyEdit(StatesGroup):
    name = State()
    birth_date = State()
    sex = State()
    conditions = State()
    remove = State()


class RedeemVoucher(StatesGroup):
    code = State()


class ReadingEntry(StatesGroup):
    value = State()
