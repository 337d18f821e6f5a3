"""Who a sandbox visitor can be: the demo personas seeded by services.demo."""

from __future__ import annotations

from dataclasses import dataclass

from jiayi.sandbox.botapi import TgUser
from jiayi.services.demo import (
    DEMO_DOCTOR_USER_ID,
    DEMO_ELDERLY_USER_ID,
    DEMO_NEW_PHONE,
    DEMO_NEW_USER_ID,
    DEMO_OPERATOR_USER_ID,
    DEMO_PARENT_USER_ID,
)


@dataclass(frozen=True)
class Persona:
    key: str
    user: TgUser
    role: str
    about: str
    # What Telegram's "share my phone number" button sends for this account.
    phone: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "id": self.user.id,
            "name": self.user.first_name,
            "language": self.user.language_code,
            "role": self.role,
            "about": self.about,
        }


PERSONAS = (
    Persona(
        "new",
        TgUser(DEMO_NEW_USER_ID, "Lin", language_code="en"),
        "New resident",
        "Has just opened the bot: send /start to sign up.",
        phone=DEMO_NEW_PHONE,
    ),
    Persona(
        "elderly",
        TgUser(DEMO_ELDERLY_USER_ID, "张阿姨", language_code="zh-hans"),
        "Elderly resident",
        "Born 1955, hypertension; Dr Wang is her family doctor. Chats in Chinese.",
    ),
    Persona(
        "parent",
        TgUser(DEMO_PARENT_USER_ID, "Chen Ming", language_code="en"),
        "Parent of a toddler",
        "Looks after Xiaobao (born 2024-03-15); Dr Li is his family doctor.",
    ),
    Persona(
        "doctor",
        TgUser(DEMO_DOCTOR_USER_ID, "王医生", language_code="zh-hans"),
        "Family doctor",
        "Dr Wang: /today, /tomorrow, /checkin for his residents' appointments.",
    ),
    Persona(
        "operator",
        TgUser(DEMO_OPERATOR_USER_ID, "Operator", language_code="en"),
        "Operator",
        "Runs the centre's service (listed in JIAYI_ADMIN_IDS).",
    ),
)


def persona_by_id(user_id: int) -> Persona | None:
    return next((p for p in PERSONAS if p.user.id == user_id), None)
