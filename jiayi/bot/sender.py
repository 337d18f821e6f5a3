"""The dispatcher's Sender port, implemented with aiogram: buttons per push kind, and
Telegram's errors translated into outcomes the dispatcher understands."""

from __future__ import annotations

from datetime import date

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n

from jiayi.bot import booking_keyboards, care_keyboards, keyboards, points_keyboards
from jiayi.bot.doctor import console_keyboards
from jiayi.services import broadcasts, careplans, console, notices, points, questions, readings
from jiayi.services.delivery import Outcome, OutgoingMessage, SendResult

CARE_KINDS = (careplans.KIND_CARE_REMINDER, careplans.KIND_CARE_NUDGE, careplans.KIND_CARE_DIGEST)
DOCTOR_KINDS = frozenset({broadcasts.BROADCAST_KIND, console.PERSONAL, questions.ANSWER})


def _care_markup(message: OutgoingMessage) -> InlineKeyboardMarkup | None:
    data = message.data or {}
    if message.kind == careplans.KIND_CARE_REMINDER and "items" in data:
        return care_keyboards.household(data["items"])
    if message.kind == careplans.KIND_CARE_REMINDER:
        return care_keyboards.reminder(
            message.ref_id, message.member_id, str(data["rule"]), date.fromisoformat(data["due"])
        )
    if message.kind == careplans.KIND_CARE_DIGEST:
        return care_keyboards.digest(data.get("residents", ()))
    return care_keyboards.nudge()


class AiogramSender:
    def __init__(self, bot: Bot, i18n: I18n) -> None:
        self._bot = bot
        self._i18n = i18n

    def _markup(self, message: OutgoingMessage) -> InlineKeyboardMarkup | None:
        # Scheduler jobs render in the recipient's locale, not the current update's.
        with self._i18n.context(), self._i18n.use_locale(message.locale):
            if message.kind == "tip":
                extra = message.data or {}
                return keyboards.tip(
                    message.outbox_id,
                    message.action,
                    quiz=message.quiz,
                    more=bool(extra.get("more")),
                    service=extra.get("service"),
                )
            if message.kind in CARE_KINDS:
                return _care_markup(message)
            if message.kind == points.KIND_EXPIRY_REMINDER:
                return points_keyboards.to_points()
            if message.kind == readings.KIND_READING_REMINDER:
                return keyboards.reading_reminder()
            if message.kind == readings.KIND_READING_ALERT and message.ref_id is not None:
                return console_keyboards.open_card(message.ref_id)
            if message.kind == questions.QUESTION_ALERT and message.ref_id is not None:
                return console_keyboards.question_reply(message.ref_id)
            if message.kind in DOCTOR_KINDS:
                # Residents can answer their doctor straight from the message.
                return console_keyboards.ask_doctor()
            if message.ref_id is None:
                return None
            if message.kind == notices.REMINDER:
                can_change = bool((message.data or {}).get("can_change", True))
                return booking_keyboards.reminder(message.ref_id, can_change=can_change)
            if message.kind == notices.WAITLIST_OFFER:
                return booking_keyboards.offer(message.ref_id)
            if message.kind == notices.BOOKING_CLOSED:
                return booking_keyboards.rebook(message.ref_id, message.member_id)
        return None

    async def send(self, message: OutgoingMessage) -> SendResult:
        try:
            if message.photo:
                sent = await self._bot.send_photo(
                    message.chat_id,
                    message.photo,
                    caption=message.text,
                    reply_markup=self._markup(message),
                )
            else:
                sent = await self._bot.send_message(
                    message.chat_id, message.text, reply_markup=self._markup(message)
                )
        except TelegramRetryAfter as error:
            return SendResult(Outcome.RETRY_AFTER, retry_after=float(error.retry_after))
        except TelegramForbiddenError as error:
            return SendResult(Outcome.BLOCKED, error=error.message)
        except TelegramBadRequest as error:
            return SendResult(Outcome.PERMANENT, error=error.message)
        except (TelegramNetworkError, TelegramServerError) as error:
            return SendResult(Outcome.TRANSIENT, error=f"{type(error).__name__}: {error.message}")
        except TelegramAPIError as error:
            return SendResult(Outcome.PERMANENT, error=f"{type(error).__name__}: {error.message}")
        except Exception as error:
            # Anything else (aiogram's ClientDecodeError on a proxy's HTML 502 page, a dropped
            # connection, a timeout): Telegram did not say it took the message. Transient.
            return SendResult(Outcome.TRANSIENT, error=f"{type(error).__name__}")
        return SendResult(Outcome.SENT, message_id=sent.message_id)
