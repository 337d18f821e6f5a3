"""Every kind of outbox row. The values are stored in `outbox.kind`: never rename one."""

from __future__ import annotations

from enum import StrEnum


class PushKind(StrEnum):
    TIP = "tip"
    # Appointments (push.appointments)
    REMINDER = "reminder"
    WAITLIST_OFFER = "waitlist_offer"
    BOOKING_CLOSED = "booking_closed"
    # Care plans (push.care)
    CARE_REMINDER = "care_reminder"
    CARE_NUDGE = "care_nudge"
    CARE_DIGEST = "care_digest"
    # Home readings (push.readings)
    READING_ALERT = "reading_alert"
    READING_REMINDER = "reading_reminder"
    # Health points (push.points)
    POINTS_EXPIRY = "points_expiry"
    # Doctors and residents writing to each other (push.messages)
    BROADCAST = "broadcast"
    PERSONAL = "personal"
    ANSWER = "answer"
    QUESTION_ALERT = "question_new"
