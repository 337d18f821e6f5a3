"""The scheduler's daily points sweep: lapsed points expire, expiring balances are reminded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from jiayi.content.points import (
    load_rules,
)
from jiayi.services.clock import Clock
from jiayi.services.points.ledger import KIND_EXPIRY_REMINDER, expire_lapsed, refund
from jiayi.services.push.points import PointsExpiry, expiry_key
from jiayi.storage.records import (
    VoucherStatus,
)
from jiayi.storage.uow import UnitOfWork


@dataclass(frozen=True)
class HousekeepingReport:
    vouchers_expired: int
    points_expired: int
    reminders: int


async def housekeeping(
    uow_factory: Callable[[], UnitOfWork], clock: Clock, zone: ZoneInfo
) -> HousekeepingReport:
    """Expires lapsed vouchers (refunding points and stock), writes off lapsed points, and
    queues a reminder (through the outbox) for points expiring within the rule book's
    reminder window. Each item is its own short transaction; running twice does no harm."""
    now = clock.now()
    vouchers = 0
    async with uow_factory() as uow:
        lapsed = await uow.points.lapsed_vouchers(now)
    for voucher_id in lapsed:
        async with uow_factory() as uow:
            await uow.begin_write()
            voucher = await uow.points.voucher(voucher_id)
            if voucher is None:
                continue
            await uow.points.lock_account(voucher.resident_id, now)
            if await uow.points.close_voucher(voucher.id, VoucherStatus.EXPIRED, now):
                await refund(uow, now, voucher)
                vouchers += 1
            await uow.commit()
    points = 0
    async with uow_factory() as uow:
        residents = sorted({lot.resident_id for lot in await uow.points.lapsed_lots(now)})
    for resident_id in residents:
        async with uow_factory() as uow:
            await uow.begin_write()
            await uow.points.lock_account(resident_id, now)
            points += await expire_lapsed(uow, now, resident_id)
            await uow.commit()
    reminders = 0
    window = timedelta(days=load_rules().reminder_days_before)
    async with uow_factory() as uow:
        await uow.begin_write()
        for resident_id, at, amount in await uow.points.expiring_between(now, now + window):
            if await uow.outbox.enqueue(
                resident_id=resident_id,
                kind=KIND_EXPIRY_REMINDER,
                dedupe_key=expiry_key(resident_id, at.date()),
                payload=PointsExpiry(amount, at).to_json(),
                not_before=now,
                now=now,
            ):
                reminders += 1
        await uow.commit()
    return HousekeepingReport(vouchers, points, reminders)
