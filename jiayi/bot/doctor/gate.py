"""Which updates are a doctor's own work, for the consent gate: a doctor who is also a
resident and has withdrawn (or not renewed) consent as a resident keeps the console, since
their work is about their residents' data, not their own."""

from __future__ import annotations

from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message, TelegramObject

from jiayi.bot.callbacks import (
    AttendanceCD,
    AttendanceFixCD,
    AttendanceUndoCD,
    BcSegmentCD,
    BcStepCD,
    BroadcastCD,
    CareDoneCD,
    CareNudgeCD,
    CareRecordCD,
    CareRxCD,
    CareUndoCD,
    DayPageCD,
    DigestCD,
    DoctorAlertsCD,
    DoctorMenuCD,
    DoctorReadingsCD,
    LectureCD,
    LectureConfirmCD,
    QuestionReplyCD,
    QuestionsPageCD,
    ResidentCardCD,
    ResidentMessageCD,
    ResidentsCD,
)
from jiayi.bot.doctor.states import (
    BroadcastCompose,
    CheckInCode,
    PersonalMessage,
    QuestionAnswer,
    ResidentSearch,
)
from jiayi.bot.states import RedeemVoucher
from jiayi.services import console
from jiayi.services.database import UnitOfWork
from jiayi.services.settings import Settings

# The doctor-only entries of bot.commands.doctor_commands (a test keeps them in step).
DOCTOR_COMMANDS = frozenset(
    {
        "today",
        "tomorrow",
        "checkin",
        "digest",
        "alerts",
        "redeem",
        "residents",
        "questions",
        "broadcast",
        "broadcasts",
        "console",
    }
)
DOCTOR_CALLBACKS: tuple[type[CallbackData], ...] = (
    AttendanceCD,
    AttendanceFixCD,
    AttendanceUndoCD,
    DayPageCD,
    CareRecordCD,
    CareDoneCD,
    CareRxCD,
    CareUndoCD,
    CareNudgeCD,
    DigestCD,
    DoctorAlertsCD,
    DoctorMenuCD,
    DoctorReadingsCD,
    LectureCD,
    LectureConfirmCD,
    ResidentsCD,
    ResidentCardCD,
    ResidentMessageCD,
    QuestionReplyCD,
    QuestionsPageCD,
    BcStepCD,
    BcSegmentCD,
    BroadcastCD,
)
DOCTOR_CALLBACK_PREFIXES = tuple(f"{cd.__prefix__}{cd.__separator__}" for cd in DOCTOR_CALLBACKS)
DOCTOR_STATES = frozenset(
    state.state
    for group in (
        BroadcastCompose,
        ResidentSearch,
        PersonalMessage,
        QuestionAnswer,
        RedeemVoucher,
        CheckInCode,
    )
    for state in group.__states__
)


def command_of(text: str | None) -> str | None:
    """ "/Today@jiayi_bot now" -> "today"; None when the text is not a command."""
    text = (text or "").strip()
    if not text.startswith("/"):
        return None
    return text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""


def looks_like_doctor_work(event: TelegramObject, raw_state: str | None) -> bool:
    """A doctor command, a doctor button, or text typed in a doctor's conversation (a
    command typed there counts by its own name)."""
    if isinstance(event, Message):
        command = command_of(event.text)
        if command is not None:
            return command in DOCTOR_COMMANDS
        return raw_state in DOCTOR_STATES
    if isinstance(event, CallbackQuery):
        return (event.data or "").startswith(DOCTOR_CALLBACK_PREFIXES)
    return False


async def doctor_at_work(event: TelegramObject, data: dict[str, Any]) -> bool:
    """True for a doctor's or admin's own work; reads the role only for updates that look
    like it, so residents' updates cost no query."""
    if not looks_like_doctor_work(event, data.get("raw_state")):
        return False
    user = data.get("event_from_user")
    uow: UnitOfWork | None = data.get("uow")
    settings: Settings | None = data.get("settings")
    if user is None or uow is None or settings is None:
        return False
    return await console.is_doctor_or_admin(uow, settings, user.id)
