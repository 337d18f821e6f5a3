"""Seasonal and catch-up tips (planned by services.pushes, rendered by services.delivery).

The payload names the tip's variants: `audience`, the main part, and `household`, a carer
section under it. Dedupe keys: `tip:<tip>:<occurrence>:<resident>` and
`catchup:<day>:<slot>:<resident>`; the storage layer appends the resident id to the prefix
in one INSERT … SELECT, so builders here give prefixes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from jiayi.content.tips import Audience
from jiayi.services.push.base import day, dump, load, optional_str, version_of
from jiayi.services.push.kinds import PushKind


def tip_prefix(tip_id: str, occurrence: date) -> str:
    return f"tip:{tip_id}:{occurrence.isoformat()}:"


def catchup_prefix(on: date, slot: int) -> str:
    return f"catchup:{on.isoformat()}:{slot}:"


@dataclass(frozen=True, slots=True)
class TipPayload:
    KIND: ClassVar[PushKind] = PushKind.TIP

    tip: str | None  # the tip's id (also in the row's tip_id; absent in the oldest rows)
    audience: Audience
    occurrence: date | None = None  # None for catch-up tips
    household: Audience | None = None
    version: int = 1

    def to_json(self) -> str:
        fields: dict[str, str | None] = {
            "tip": self.tip,
            "audience": self.audience.value,
            "occurrence": self.occurrence.isoformat() if self.occurrence else None,
        }
        if self.household is not None:
            fields["household"] = self.household.value
        return dump(fields, sort_keys=True, ensure_ascii=True)

    @classmethod
    def from_json(cls, text: str) -> TipPayload:
        raw = load(text)
        occurrence, household = raw.get("occurrence"), raw.get("household")
        return cls(
            tip=optional_str(raw.get("tip")),
            audience=Audience(raw["audience"]),
            occurrence=day(occurrence) if occurrence else None,
            household=Audience(household) if household else None,
            version=version_of(raw),
        )
