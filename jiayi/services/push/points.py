"""Health-points pushes: the reminder that points are about to expire.

Dedupe key `points_expiry:<resident>:<UTC day of expiry>`: one reminder per expiry day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from jiayi.services.push.base import at, dump, load, version_of
from jiayi.services.push.kinds import PushKind


def expiry_key(resident_id: int, expiry_day: date) -> str:
    return f"points_expiry:{resident_id}:{expiry_day.isoformat()}"


@dataclass(frozen=True, slots=True)
class PointsExpiry:
    KIND: ClassVar[PushKind] = PushKind.POINTS_EXPIRY

    points: int
    expires_at: datetime  # the instant they lapse (the end of their last day)
    version: int = 1

    def to_json(self) -> str:
        return dump(
            {"points": self.points, "expires_at": self.expires_at.isoformat()},
            sort_keys=False,
            ensure_ascii=True,
        )

    @classmethod
    def from_json(cls, text: str) -> PointsExpiry:
        raw = load(text)
        expires_at = at(raw["expires_at"])
        return cls(points=int(raw["points"]), expires_at=expires_at, version=version_of(raw))
