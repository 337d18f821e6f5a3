"""Records and vocabulary of health points."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class EntryKind(StrEnum):
    EARN = "earn"
    REVERSAL = "reversal"
    SPEND = "spend"
    REFUND = "refund"
    EXPIRY = "expiry"


class VoucherStatus(StrEnum):
    ACTIVE = "active"
    REDEEMED = "redeemed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class PointsEntryRecord:
    id: int
    resident_id: int
    kind: EntryKind
    delta: int
    reason: str
    source: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PointsLotRecord:
    id: int
    resident_id: int
    entry_id: int
    amount: int
    remaining: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class RewardRecord:
    id: int
    centre_id: int
    code: str
    name_zh: str
    name_en: str
    cost: int
    stock: int
    valid_days: int
    active: bool


@dataclass(frozen=True, slots=True)
class VoucherRecord:
    id: int
    resident_id: int
    reward_id: int
    centre_id: int
    reward_code: str
    reward_name_zh: str
    reward_name_en: str
    code: str
    cost: int
    spend_entry_id: int
    status: VoucherStatus
    valid_until: datetime
    created_at: datetime
    closed_at: datetime | None
    resident_name: str
