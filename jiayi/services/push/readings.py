"""Home-readings pushes: an urgent reading alerted to the resident's doctor, and the reminder
to measure at the hour the resident chose.

Dedupe keys: `reading_alert:<resident>:<member or 0>:<local day>` (one alert per person and
day; erasure deletes everything under `alert_prefix`), `reading_reminder:<resident>:<day>:<hour>`
(turning reminders off withdraws everything under `reminder_prefix`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from jiayi.services.push.base import VERSION_KEY, at, dump, load, optional_str, version_of
from jiayi.services.push.kinds import PushKind


def alert_prefix(resident_id: int) -> str:
    """The dedupe-key prefix of every urgent-reading alert about the resident's household."""
    return f"reading_alert:{resident_id}:"


def alert_key(resident_id: int, member_id: int | None, day: str) -> str:
    """`day` "" gives the prefix of every alert about that person."""
    return f"{alert_prefix(resident_id)}{member_id or 0}:{day}"


def reminder_prefix(resident_id: int) -> str:
    return f"reading_reminder:{resident_id}:"


def reminder_key(resident_id: int, day: date, hour: int) -> str:
    return f"{reminder_prefix(resident_id)}{day}:{hour}"


@dataclass(frozen=True, slots=True)
class ReadingAlert:
    KIND: ClassVar[PushKind] = PushKind.READING_ALERT

    resident_id: int
    name: str  # who measured (the resident or a family member)
    resident_name: str
    kind: str  # "bp" or "glucose"
    value: str
    context: str | None  # glucose: fasting, post_meal or random
    measured_at: datetime
    version: int = 1

    def to_json(self) -> str:
        return dump(
            {
                VERSION_KEY: self.version,
                "resident_id": self.resident_id,
                "name": self.name,
                "resident_name": self.resident_name,
                "kind": self.kind,
                "value": self.value,
                "context": self.context,
                "measured_at": self.measured_at.isoformat(),
            },
            sort_keys=False,
        )

    @classmethod
    def from_json(cls, text: str) -> ReadingAlert:
        raw = load(text)
        measured_at = at(raw["measured_at"])
        return cls(
            resident_id=int(raw["resident_id"]),
            name=str(raw["name"]),
            resident_name=str(raw["resident_name"]),
            kind=str(raw["kind"]),
            value=str(raw["value"]),
            context=optional_str(raw.get("context")),
            measured_at=measured_at,
            version=version_of(raw),
        )


@dataclass(frozen=True, slots=True)
class ReadingReminder:
    KIND: ClassVar[PushKind] = PushKind.READING_REMINDER

    hour: int
    version: int = 1

    def to_json(self) -> str:
        return dump({VERSION_KEY: self.version, "hour": self.hour}, sort_keys=False)

    @classmethod
    def from_json(cls, text: str) -> ReadingReminder:
        raw = load(text)
        return cls(hour=int(raw.get("hour", 0)), version=version_of(raw))
