"""Doctors and residents writing to each other through the outbox: a doctor's broadcast and
personal message, the answer to a resident's question, and the alert of a new question.

Dedupe keys: `broadcast:<broadcast>:<resident>`, `personal:<resident>:<nonce>` (every message
is new), `answer:<question>`, `question:<question>` (erasure deletes the alerts of the
resident's questions by these keys).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from jiayi.services.push.base import at, dump, load, optional_str, version_of
from jiayi.services.push.kinds import PushKind
from jiayi.storage.console import broadcast_dedupe_prefix


def broadcast_key(broadcast_id: int, resident_id: int) -> str:
    # The prefix is the storage layer's: it counts a broadcast's rows by it.
    return f"{broadcast_dedupe_prefix(broadcast_id)}{resident_id}"


def personal_key(resident_id: int, nonce: str) -> str:
    return f"personal:{resident_id}:{nonce}"


def answer_key(question_id: int) -> str:
    return f"answer:{question_id}"


def question_alert_key(question_id: int) -> str:
    return f"question:{question_id}"


@dataclass(frozen=True, slots=True)
class Broadcast:
    KIND: ClassVar[PushKind] = PushKind.BROADCAST

    broadcast_id: int
    doctor: str
    text: str
    photo: str | None = None  # a Telegram file id: sent as a photo with the text as caption
    version: int = 1

    def to_json(self) -> str:
        return dump(
            {
                "broadcast_id": self.broadcast_id,
                "doctor": self.doctor,
                "text": self.text,
                "photo": self.photo,
            },
            sort_keys=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Broadcast:
        raw = load(text)
        return cls(
            broadcast_id=int(raw["broadcast_id"]),
            doctor=str(raw["doctor"]),
            text=str(raw["text"]),
            photo=optional_str(raw.get("photo")),
            version=version_of(raw),
        )


@dataclass(frozen=True, slots=True)
class PersonalMessage:
    KIND: ClassVar[PushKind] = PushKind.PERSONAL

    doctor: str
    text: str
    version: int = 1

    def to_json(self) -> str:
        return dump({"doctor": self.doctor, "text": self.text}, sort_keys=False, ensure_ascii=True)

    @classmethod
    def from_json(cls, text: str) -> PersonalMessage:
        raw = load(text)
        return cls(doctor=str(raw["doctor"]), text=str(raw["text"]), version=version_of(raw))


@dataclass(frozen=True, slots=True)
class Answer:
    KIND: ClassVar[PushKind] = PushKind.ANSWER

    doctor: str
    question: str
    text: str
    version: int = 1

    def to_json(self) -> str:
        return dump(
            {"doctor": self.doctor, "question": self.question, "text": self.text},
            sort_keys=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Answer:
        raw = load(text)
        return cls(
            doctor=str(raw["doctor"]),
            question=str(raw["question"]),
            text=str(raw["text"]),
            version=version_of(raw),
        )


@dataclass(frozen=True, slots=True)
class QuestionAlert:
    KIND: ClassVar[PushKind] = PushKind.QUESTION_ALERT

    question_id: int
    resident_id: int
    name: str
    asked_at: datetime
    body: str
    version: int = 1

    def to_json(self) -> str:
        return dump(
            {
                "question_id": self.question_id,
                "resident_id": self.resident_id,
                "name": self.name,
                "asked_at": self.asked_at.isoformat(),
                "body": self.body,
            },
            sort_keys=False,
        )

    @classmethod
    def from_json(cls, text: str) -> QuestionAlert:
        raw = load(text)
        asked_at = at(raw["asked_at"])
        return cls(
            question_id=int(raw["question_id"]),
            resident_id=int(raw["resident_id"]),
            name=str(raw["name"]),
            asked_at=asked_at,
            body=str(raw["body"]),
            version=version_of(raw),
        )
