"""Push payloads: what a producer queues in the outbox and its renderer, the sender's buttons
and erasure read back. One module per push family, each with its payload dataclasses
(frozen, versioned, `to_json`/`from_json`) and its dedupe-key builders; `PushKind` names
every kind of outbox row.

Nobody reads a payload by string key: `decode(kind, text)` (or the family's `from_json`)
gives the dataclass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from jiayi.services.push.appointments import AppointmentReminder, BookingClosed, WaitlistOffer
from jiayi.services.push.base import PushPayload
from jiayi.services.push.care import CareDigest, CareNudge, care_reminder_from_json
from jiayi.services.push.kinds import PushKind
from jiayi.services.push.messages import Answer, Broadcast, PersonalMessage, QuestionAlert
from jiayi.services.push.points import PointsExpiry
from jiayi.services.push.readings import ReadingAlert, ReadingReminder
from jiayi.services.push.tip import TipPayload

__all__ = ["DECODERS", "PushKind", "PushPayload", "decode"]

DECODERS: Mapping[PushKind, Callable[[str], PushPayload]] = MappingProxyType(
    {
        PushKind.TIP: TipPayload.from_json,
        PushKind.REMINDER: AppointmentReminder.from_json,
        PushKind.WAITLIST_OFFER: WaitlistOffer.from_json,
        PushKind.BOOKING_CLOSED: BookingClosed.from_json,
        PushKind.CARE_REMINDER: care_reminder_from_json,
        PushKind.CARE_NUDGE: CareNudge.from_json,
        PushKind.CARE_DIGEST: CareDigest.from_json,
        PushKind.READING_ALERT: ReadingAlert.from_json,
        PushKind.READING_REMINDER: ReadingReminder.from_json,
        PushKind.POINTS_EXPIRY: PointsExpiry.from_json,
        PushKind.BROADCAST: Broadcast.from_json,
        PushKind.PERSONAL: PersonalMessage.from_json,
        PushKind.ANSWER: Answer.from_json,
        PushKind.QUESTION_ALERT: QuestionAlert.from_json,
    }
)


def decode(kind: str, text: str) -> PushPayload:
    """The payload of an outbox row of this kind (ValueError for a kind nobody knows)."""
    return DECODERS[PushKind(kind)](text)
