"""The dispatcher's Sender port, implemented with aiogram: buttons per push kind, and
Telegram's errors translated into outcomes the dispatcher understands."""

from __future__ import annotations

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
from jiayi.services.delivery import Outcome, OutgoingMessage, SendResult
from jiayi.services.push.appointments import AppointmentReminder, BookingClosed, WaitlistOffer
from jiayi.services.push.care import CareCard, CareDigest, CareNudge, CareReminder
from jiayi.services.push.messages import Answer, Broadcast, PersonalMessage, QuestionAlert
from jiayi.services.push.points import PointsExpiry
from jiayi.services.push.readings import ReadingAlert, ReadingReminder
from jiayi.services.push.tip import TipPayload


def _markup(message: OutgoingMessage) -> InlineKeyboardMarkup | None:
    """The buttons of a push, chosen by its payload."""
    match message.payload:
        case TipPayload():
            extra = message.data or {}
            return keyboards.tip(
                message.outbox_id,
                message.action,
                quiz=message.quiz,
                more=bool(extra.get("more")),
                service=extra.get("service"),
            )
        case CareCard() as card:
            return care_keyboards.household(card.shown(), message.locale)
        case CareReminder() as item:
            return care_keyboards.reminder(item.service_id, item.member_id, item.rule, item.due)
        case CareDigest() as digest:
            return care_keyboards.digest(digest.nudgeable())
        case CareNudge():
            return care_keyboards.nudge()
        case PointsExpiry():
            return points_keyboards.to_points()
        case ReadingReminder():
            return keyboards.reading_reminder()
        case ReadingAlert() as alert:
            return console_keyboards.open_card(alert.resident_id)
        case QuestionAlert() as question:
            return console_keyboards.question_reply(question.question_id)
        case Broadcast() | PersonalMessage() | Answer():
            # Residents can answer their doctor straight from the message.
            return console_keyboards.ask_doctor()
        case AppointmentReminder() as reminder:
            # The renderer decided, at its clock, whether cancel/reschedule are still open.
            can_change = bool((message.data or {}).get("can_change", True))
            return booking_keyboards.reminder(reminder.appointment_id, can_change=can_change)
        case WaitlistOffer() as offer:
            return booking_keyboards.offer(offer.waitlist_id)
        case BookingClosed() as closed:
            return booking_keyboards.rebook(closed.service_id, closed.member_id)
    return None


class AiogramSender:
    def __init__(self, bot: Bot, i18n: I18n) -> None:
        self._bot = bot
        self._i18n = i18n

    def _markup(self, message: OutgoingMessage) -> InlineKeyboardMarkup | None:
        # Scheduler jobs render in the recipient's locale, not the current update's.
        with self._i18n.context(), self._i18n.use_locale(message.locale):
            return _markup(message)

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
