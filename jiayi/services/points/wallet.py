"""A resident's points: balance and history, the centre's rewards, redeeming and cancelling
vouchers."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from jiayi.services.clock import Clock
from jiayi.services.errors import InvalidInput, NotAllowed, NotFound, NotRegistered
from jiayi.services.points.ledger import (
    EXPIRING_SOON,
    HISTORY_LENGTH,
    VOUCHER_ALPHABET,
    VOUCHER_CODE_ATTEMPTS,
    VOUCHER_CODE_LENGTH,
    end_of_day,
    expire_lapsed,
    refund,
    spend,
)
from jiayi.storage.records import (
    PointsEntryRecord,
    ResidentRecord,
    RewardRecord,
    VoucherRecord,
    VoucherStatus,
)
from jiayi.storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class PointsSummary:
    balance: int
    # (expiry instant, points) of points expiring within EXPIRING_SOON, soonest first.
    expiring: list[tuple[datetime, int]]
    history: list[PointsEntryRecord]
    vouchers: list[VoucherRecord]
    # Reward code → (zh-CN, en) names, for the history's spending lines.
    reward_names: dict[str, tuple[str, str]]


async def _resident(uow: UnitOfWork, telegram_user_id: int) -> ResidentRecord:
    resident = await uow.residents.by_telegram_user(telegram_user_id)
    if resident is None:
        raise NotRegistered()
    return resident


async def account_for_resident(
    uow: UnitOfWork, clock: Clock, resident_id: int, *, history: int = HISTORY_LENGTH
) -> PointsSummary:
    """A resident's points by resident id, for the doctor's resident card: balance, points
    expiring soon, the latest `history` entries and active vouchers. Authorisation is the
    caller's. Opens its own transaction."""
    now = clock.now()
    async with uow:
        return await _summary(uow, now, resident_id, history)


@dataclass(frozen=True, slots=True)
class PointsRecords:
    entries: list[PointsEntryRecord]  # every ledger entry, newest first
    vouchers: list[VoucherRecord]  # every voucher, newest first


async def records_for_resident(uow: UnitOfWork, resident_id: int) -> PointsRecords:
    """Everything stored about a resident's points, for the privacy export. Authorisation is
    the caller's. Opens its own transaction."""
    async with uow:
        return PointsRecords(
            entries=await uow.points.history(resident_id),
            vouchers=await uow.points.vouchers_for(resident_id),
        )


async def _summary(uow: UnitOfWork, now: datetime, resident_id: int, limit: int) -> PointsSummary:
    lots = await uow.points.live_lots(resident_id, now)
    by_expiry: dict[datetime, int] = {}
    for lot in lots:
        by_expiry[lot.expires_at] = by_expiry.get(lot.expires_at, 0) + lot.remaining
    vouchers = await uow.points.vouchers_for(resident_id)
    return PointsSummary(
        # Lapsed lots not yet swept are not spendable, so they don't count.
        balance=sum(lot.remaining for lot in lots),
        expiring=sorted((at, n) for at, n in by_expiry.items() if at - now <= EXPIRING_SOON),
        history=await uow.points.history(resident_id, limit),
        vouchers=[v for v in vouchers if v.status is VoucherStatus.ACTIVE],
        reward_names={v.reward_code: (v.reward_name_zh, v.reward_name_en) for v in vouchers},
    )


async def my_points(uow: UnitOfWork, clock: Clock, telegram_user_id: int) -> PointsSummary:
    """Balance, points expiring soon, the latest entries and active vouchers."""
    now = clock.now()
    async with uow:
        resident = await _resident(uow, telegram_user_id)
        return await _summary(uow, now, resident.id, HISTORY_LENGTH)


async def my_vouchers(uow: UnitOfWork, telegram_user_id: int) -> list[VoucherRecord]:
    """All of the resident's vouchers, newest first."""
    async with uow:
        resident = await _resident(uow, telegram_user_id)
        return await uow.points.vouchers_for(resident.id)


async def _centre_of(uow: UnitOfWork, resident_id: int) -> int:
    contract = await uow.contracts.open_for(resident_id)
    doctor = await uow.doctors.get(contract.doctor_id) if contract else None
    if doctor is None:
        raise InvalidInput("points_no_centre")
    return doctor.centre_id


async def catalogue(uow: UnitOfWork, telegram_user_id: int) -> list[RewardRecord]:
    """The rewards of the resident's centre (their family doctor's), cheapest first."""
    async with uow:
        resident = await _resident(uow, telegram_user_id)
        return await uow.points.rewards(await _centre_of(uow, resident.id))


async def get_reward(uow: UnitOfWork, telegram_user_id: int, reward_id: int) -> RewardRecord:
    async with uow:
        resident = await _resident(uow, telegram_user_id)
        return await _offered(uow, resident.id, reward_id)


async def _offered(uow: UnitOfWork, resident_id: int, reward_id: int) -> RewardRecord:
    reward = await uow.points.reward(reward_id)
    if reward is None or not reward.active:
        raise NotFound("reward_not_found")
    if reward.centre_id != await _centre_of(uow, resident_id):
        raise NotFound("reward_not_found")
    return reward


def _voucher_code() -> str:
    return "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(VOUCHER_CODE_LENGTH))


def normalise_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


async def redeem(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int, reward_id: int, zone: ZoneInfo
) -> VoucherRecord:
    """Spends the reward's cost (soonest-expiring points first), takes one from stock and
    issues a voucher valid for the reward's days (to the end of the last local day)."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        resident = await _resident(uow, telegram_user_id)
        reward = await _offered(uow, resident.id, reward_id)
        await uow.points.lock_account(resident.id, now)
        await expire_lapsed(uow, now, resident.id)
        if not await uow.points.take_stock(reward.id):
            raise InvalidInput("reward_out_of_stock")
        for _ in range(VOUCHER_CODE_ATTEMPTS):
            code = _voucher_code()
            if await uow.points.voucher_by_code(code) is None:
                break
        else:
            raise RuntimeError("no free voucher code")
        entry_id = await spend(uow, now, resident.id, reward.cost, reward.code, f"voucher:{code}")
        if entry_id is None:
            raise InvalidInput(
                "points_not_enough",
                cost=reward.cost,
                balance=await uow.points.balance(resident.id),
            )
        voucher_id = await uow.points.add_voucher(
            resident_id=resident.id,
            reward_id=reward.id,
            code=code,
            cost=reward.cost,
            spend_entry_id=entry_id,
            valid_until=end_of_day(
                now.astimezone(zone).date() + timedelta(days=reward.valid_days), zone
            ),
            now=now,
        )
        if voucher_id is None:
            raise RuntimeError("voucher code taken meanwhile")
        voucher = await uow.points.voucher(voucher_id)
        await uow.commit()
    assert voucher is not None
    return voucher


async def get_voucher(uow: UnitOfWork, telegram_user_id: int, voucher_id: int) -> VoucherRecord:
    async with uow:
        resident = await _resident(uow, telegram_user_id)
        voucher = await uow.points.voucher(voucher_id)
        if voucher is None:
            raise NotFound("voucher_not_found")
        if voucher.resident_id != resident.id:
            raise NotAllowed("not_allowed")
        return voucher


async def cancel_voucher(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int, voucher_id: int
) -> VoucherRecord:
    """The resident gives an unused voucher back: points and stock are refunded."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        resident = await _resident(uow, telegram_user_id)
        voucher = await uow.points.voucher(voucher_id)
        if voucher is None:
            raise NotFound("voucher_not_found")
        if voucher.resident_id != resident.id:
            raise NotAllowed("not_allowed")
        await uow.points.lock_account(resident.id, now)
        if not await uow.points.close_voucher(voucher.id, VoucherStatus.CANCELLED, now):
            raise await _closed(uow, await uow.points.voucher(voucher.id) or voucher, now)
        await refund(uow, now, voucher)
        closed = await uow.points.voucher(voucher.id)
        await uow.commit()
    assert closed is not None
    return closed


async def _closed(uow: UnitOfWork, voucher: VoucherRecord, now: datetime) -> InvalidInput:
    """Why a voucher can't be used, cancelled or redeemed any more. `at` is the centre's local
    time of the redemption and `today` its current day, for the date in words."""
    if voucher.status is VoucherStatus.REDEEMED:
        assert voucher.closed_at is not None
        zone = ZoneInfo(await uow.booking.centre_timezone(voucher.centre_id) or "UTC")
        return InvalidInput(
            "voucher_already_redeemed",
            at=voucher.closed_at.astimezone(zone),
            today=now.astimezone(zone).date(),
        )
    if voucher.status is VoucherStatus.CANCELLED:
        return InvalidInput("voucher_cancelled")
    return InvalidInput("voucher_expired")
