"""The columns the points queries select and the records they map them to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, Select, select

from jiayi.storage import models as m
from jiayi.storage.records import (
    EntryKind,
    PointsEntryRecord,
    PointsLotRecord,
    RewardRecord,
    VoucherRecord,
    VoucherStatus,
)


def entry_record(row: Row[Any]) -> PointsEntryRecord:
    return PointsEntryRecord(
        id=row.id,
        resident_id=row.resident_id,
        kind=EntryKind(row.kind),
        delta=row.delta,
        reason=row.reason,
        source=row.source,
        created_at=row.created_at,
    )


ENTRY_COLUMNS = (
    m.PointsEntry.id,
    m.PointsEntry.resident_id,
    m.PointsEntry.kind,
    m.PointsEntry.delta,
    m.PointsEntry.reason,
    m.PointsEntry.source,
    m.PointsEntry.created_at,
)
LOT_COLUMNS = (
    m.PointsLot.id,
    m.PointsLot.resident_id,
    m.PointsLot.entry_id,
    m.PointsLot.amount,
    m.PointsLot.remaining,
    m.PointsLot.expires_at,
)


def lot_record(row: Row[Any]) -> PointsLotRecord:
    return PointsLotRecord(
        id=row.id,
        resident_id=row.resident_id,
        entry_id=row.entry_id,
        amount=row.amount,
        remaining=row.remaining,
        expires_at=row.expires_at,
    )


REWARD_COLUMNS = (
    m.PointsReward.id,
    m.PointsReward.centre_id,
    m.PointsReward.code,
    m.PointsReward.name_zh,
    m.PointsReward.name_en,
    m.PointsReward.cost,
    m.PointsReward.stock,
    m.PointsReward.valid_days,
    m.PointsReward.active,
)


def reward_record(row: Row[Any]) -> RewardRecord:
    return RewardRecord(
        id=row.id,
        centre_id=row.centre_id,
        code=row.code,
        name_zh=row.name_zh,
        name_en=row.name_en,
        cost=row.cost,
        stock=row.stock,
        valid_days=row.valid_days,
        active=row.active,
    )


def vouchers_query() -> Select[Any]:
    v, r = m.PointsVoucher, m.PointsReward
    return (
        select(
            v.id,
            v.resident_id,
            v.reward_id,
            r.centre_id,
            r.code.label("reward_code"),
            r.name_zh,
            r.name_en,
            v.code,
            v.cost,
            v.spend_entry_id,
            v.status,
            v.valid_until,
            v.created_at,
            v.closed_at,
            m.Resident.display_name.label("resident_name"),
        )
        .join(r, r.id == v.reward_id)
        .join(m.Resident, m.Resident.id == v.resident_id)
    )


def voucher_record(row: Row[Any]) -> VoucherRecord:
    return VoucherRecord(
        id=row.id,
        resident_id=row.resident_id,
        reward_id=row.reward_id,
        centre_id=row.centre_id,
        reward_code=row.reward_code,
        reward_name_zh=row.name_zh,
        reward_name_en=row.name_en,
        code=row.code,
        cost=row.cost,
        spend_entry_id=row.spend_entry_id,
        status=VoucherStatus(row.status),
        valid_until=row.valid_until,
        created_at=row.created_at,
        closed_at=row.closed_at,
        resident_name=row.resident_name,
    )


def changed(result: Any) -> bool:
    return bool(result.rowcount)
