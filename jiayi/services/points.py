"""Health points: residents earn them for healthy behaviour and redeem them for services.

The ledger is append-only and the cached balance is moved in the same transaction as each
entry. Every entry has an idempotency key, so one event earns once however often it is
reported (attendance marked twice, a retried job, two workers). Earned points form lots that
expire at the end of the following calendar year (centre time); spending takes from the
soonest-expiring lots first and records which lots it took, so a refund gives back exactly
those points.

Concurrency: every write for a resident first locks their account row (PostgreSQL; SQLite
writers are serialised by BEGIN IMMEDIATE). The balance, stock and voucher status then move
only by single conditional UPDATEs with CHECK constraints behind them: the balance never goes
below zero, stock never below zero, and a voucher is redeemed, cancelled or expired once.

Points belong to the resident account: a family member's attended check-up earns for the
resident who manages them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from jiayi.content.points import (
    Catalogue,
    EarnRule,
    Period,
    PointsDataError,
    Rule,
    RuleBook,
    load_rules,
    parse_catalogue,
)
from jiayi.content.tips import Library, Quiz
from jiayi.services.clock import Clock
from jiayi.services.errors import InvalidInput, NotAllowed, NotFound, NotRegistered
from jiayi.services.push import PushKind
from jiayi.services.push.points import PointsExpiry, expiry_key
from jiayi.storage.records import (
    AppointmentRecord,
    EntryKind,
    PointsEntryRecord,
    ResidentRecord,
    RewardRecord,
    ServiceKind,
    VoucherRecord,
    VoucherStatus,
)
from jiayi.storage.uow import UnitOfWork

__all__ = [
    "KIND_EXPIRY_REMINDER",
    "CatalogueReport",
    "EntryKind",
    "HousekeepingReport",
    "LectureCheck",
    "LectureResult",
    "PointsEntryRecord",
    "PointsRecords",
    "PointsSummary",
    "QuizResult",
    "RewardRecord",
    "Rule",
    "VoucherRecord",
    "VoucherStatus",
    "account_for_resident",
    "answer_quiz",
    "award",
    "cancel_voucher",
    "catalogue",
    "check_lecture",
    "expires_at",
    "get_reward",
    "get_voucher",
    "housekeeping",
    "load_catalogue",
    "load_catalogue_file",
    "mark_lecture",
    "my_points",
    "my_vouchers",
    "on_assessment_completed",
    "on_attendance",
    "quiz_for",
    "records_for_resident",
    "redeem",
    "redeem_voucher",
    "reverse",
]

KIND_EXPIRY_REMINDER = PushKind.POINTS_EXPIRY
# Letters and digits that can't be mistaken for each other when read out at the desk.
VOUCHER_ALPHABET = "ACDEFHJKMNPRTUVWXY3479"
VOUCHER_CODE_LENGTH = 8
VOUCHER_CODE_ATTEMPTS = 5
HISTORY_LENGTH = 10
# Points expiring within this window are shown as "expiring soon".
EXPIRING_SOON = timedelta(days=90)

_ATTENDANCE_RULES = {
    ServiceKind.CHECKUP: Rule.CHECKUP,
    ServiceKind.FOLLOW_UP: Rule.FOLLOW_UP,
    ServiceKind.VACCINATION: Rule.VACCINATION_ON_TIME,
}


# --- time ------------------------------------------------------------------------------------


def expires_at(earned: datetime, zone: ZoneInfo) -> datetime:
    """The end of the calendar year after the one the points were earned in (local time)."""
    year = earned.astimezone(zone).year
    return datetime(year + 2, 1, 1, tzinfo=zone).astimezone(UTC)


def _period(rule: EarnRule, now: datetime, zone: ZoneInfo) -> str:
    local = now.astimezone(zone)
    return f"{local.year}" if rule.period is Period.YEAR else f"{local.year}-{local.month:02d}"


def _end_of_day(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


# --- the ledger core (inside a caller's transaction) ----------------------------------------


async def award(
    uow: UnitOfWork,
    now: datetime,
    zone: ZoneInfo,
    resident_id: int,
    rule: Rule,
    source: str,
    *,
    rules: RuleBook | None = None,
) -> int:
    """Credits `rule`'s points for the event `source` (e.g. 'appointment:12'), within the
    rule's cap for the period. Runs inside the caller's write transaction; does not commit.

    The same `source` earns once: calling again returns 0 and changes nothing, unless the
    earlier award was reversed (`reverse`), in which case it may earn again. Returns the
    points credited (0 when already awarded or the cap is reached).
    """
    book = rules or load_rules()
    spec = book.rules[rule]
    await uow.points.lock_account(resident_id, now)
    history = await uow.points.entries_for_source(resident_id, source)
    earns = [e for e in history if e.kind is EntryKind.EARN and e.reason == rule.value]
    reversals = [e for e in history if e.kind is EntryKind.REVERSAL and e.reason == rule.value]
    if len(earns) > len(reversals):
        return 0
    period = _period(spec, now, zone)
    room = spec.cap - await uow.points.earned_in_period(resident_id, rule.value, period)
    amount = min(spec.points, room)
    if amount <= 0:
        return 0
    entry_id = await uow.points.add_entry(
        resident_id=resident_id,
        kind=EntryKind.EARN,
        delta=amount,
        reason=rule.value,
        source=source,
        # The generation (reversals so far) lets a corrected event earn again, once.
        key=f"earn:{resident_id}:{rule.value}:{source}:{len(reversals)}",
        now=now,
        period=period,
    )
    if entry_id is None:
        return 0
    await uow.points.add_lot(
        resident_id=resident_id,
        entry_id=entry_id,
        amount=amount,
        expires_at=expires_at(now, zone),
    )
    await uow.points.credit(resident_id, amount, now)
    return amount


async def reverse(
    uow: UnitOfWork, now: datetime, resident_id: int, rule: Rule, source: str
) -> int:
    """Takes back what `source` earned under `rule` (a correction, e.g. attended → no-show).
    Idempotent. Only points still unspent in that award's lot are taken back: a resident who
    already spent them keeps the voucher, and the balance never goes below zero. Returns the
    points taken back."""
    await uow.points.lock_account(resident_id, now)
    history = await uow.points.entries_for_source(resident_id, source)
    earns = [e for e in history if e.kind is EntryKind.EARN and e.reason == rule.value]
    reversals = [e for e in history if e.kind is EntryKind.REVERSAL and e.reason == rule.value]
    if len(earns) <= len(reversals):
        return 0
    earned = earns[-1]
    lot = await uow.points.lot_for_entry(earned.id)
    taken = min(lot.remaining, earned.delta) if lot else 0
    entry_id = await uow.points.add_entry(
        resident_id=resident_id,
        kind=EntryKind.REVERSAL,
        delta=-taken,
        reason=rule.value,
        source=source,
        key=f"reverse:{earned.id}",
        now=now,
        period=await _period_of(uow, earned),
    )
    if entry_id is None or taken == 0:
        return 0
    assert lot is not None
    if not await uow.points.take_from_lot(lot.id, taken) or not await uow.points.debit(
        resident_id, taken, now
    ):
        raise RuntimeError("points lot and balance disagree")
    await uow.points.add_allocation(entry_id, lot.id, taken)
    return taken


async def _period_of(uow: UnitOfWork, entry: PointsEntryRecord) -> str | None:
    # A reversal counts against the cap period of the award it reverses.
    return await uow.points.period_of(entry.id)


async def _spend(
    uow: UnitOfWork, now: datetime, resident_id: int, amount: int, reason: str, source: str
) -> int | None:
    """Debits `amount` taking the soonest-expiring points first; the ledger entry's id, or
    None if the balance is short. The account must be locked and lapsed lots expired."""
    if not await uow.points.debit(resident_id, amount, now):
        return None
    entry_id = await uow.points.add_entry(
        resident_id=resident_id,
        kind=EntryKind.SPEND,
        delta=-amount,
        reason=reason,
        source=source,
        key=f"spend:{source}",
        now=now,
    )
    if entry_id is None:
        raise RuntimeError(f"spending for {source} recorded twice")
    left = amount
    for lot in await uow.points.live_lots(resident_id, now):
        if left == 0:
            break
        take = min(lot.remaining, left)
        if not await uow.points.take_from_lot(lot.id, take):
            raise RuntimeError("points lot changed under the account lock")
        await uow.points.add_allocation(entry_id, lot.id, take)
        left -= take
    if left:
        # The balance said yes but the lots say no: refuse rather than spend unbacked points.
        raise RuntimeError("points balance is ahead of its lots")
    return entry_id


async def _refund(uow: UnitOfWork, now: datetime, voucher: VoucherRecord) -> None:
    """Gives a voucher's points back to the lots they came from, and its item to the shelf.
    Points whose lot has meanwhile lapsed come back and expire at the next sweep."""
    await uow.points.lock_account(voucher.resident_id, now)
    entry_id = await uow.points.add_entry(
        resident_id=voucher.resident_id,
        kind=EntryKind.REFUND,
        delta=voucher.cost,
        reason=voucher.reward_code,
        source=f"voucher:{voucher.code}",
        key=f"refund:{voucher.id}",
        now=now,
    )
    if entry_id is None:
        return
    for lot_id, amount in await uow.points.allocations(voucher.spend_entry_id):
        if not await uow.points.give_back_to_lot(lot_id, amount):
            raise RuntimeError("refund exceeds the lot it came from")
    await uow.points.credit(voucher.resident_id, voucher.cost, now)
    await uow.points.return_stock(voucher.reward_id)


async def _expire_lapsed(uow: UnitOfWork, now: datetime, resident_id: int) -> int:
    """Writes off lapsed lots of one resident (account locked). Returns the points."""
    total = 0
    for lot in await uow.points.lapsed_lots(now, resident_id=resident_id):
        entry_id = await uow.points.add_entry(
            resident_id=resident_id,
            kind=EntryKind.EXPIRY,
            delta=-lot.remaining,
            reason="expiry",
            source=f"lot:{lot.id}",
            # A refunded lot can lapse again; the account lock makes each write-off once.
            key=f"expire:{lot.id}:{secrets.token_hex(6)}",
            now=now,
        )
        assert entry_id is not None
        if not await uow.points.take_from_lot(lot.id, lot.remaining) or not (
            await uow.points.debit(resident_id, lot.remaining, now)
        ):
            raise RuntimeError("points lot and balance disagree")
        await uow.points.add_allocation(entry_id, lot.id, lot.remaining)
        total += lot.remaining
    return total


# --- hooks for other features ---------------------------------------------------------------


async def on_attendance(
    uow: UnitOfWork, now: datetime, appointment: AppointmentRecord, attended: bool
) -> int:
    """Called in the transaction that marks an appointment attended or no-show: awards the
    attendance rule for the service kind (check-up, follow-up, vaccination on time), or
    reverses it on a correction to no-show. Returns the points moved (0 if none)."""
    service = await uow.booking.service(appointment.service_id)
    if service is None:
        return 0
    rule = _ATTENDANCE_RULES.get(service.kind)
    if rule is None:
        return 0
    source = f"appointment:{appointment.id}"
    if attended:
        zone = ZoneInfo(await uow.booking.centre_timezone(service.centre_id) or "UTC")
        return await award(uow, now, zone, appointment.resident_id, rule, source)
    return await reverse(uow, now, appointment.resident_id, rule, source)


async def attendance_stake(uow: UnitOfWork, appointment: AppointmentRecord) -> int:
    """What changing this appointment's attendance would move, for the doctor's question
    before an override: the points its award still holds (taken back by a no-show), or, when
    nothing is held, the rule's points (earned by attended, within the period's cap).
    0 for a service that earns nothing."""
    service = await uow.booking.service(appointment.service_id)
    rule = _ATTENDANCE_RULES.get(service.kind) if service is not None else None
    if rule is None:
        return 0
    history = await uow.points.entries_for_source(
        appointment.resident_id, f"appointment:{appointment.id}"
    )
    earns = [e for e in history if e.kind is EntryKind.EARN and e.reason == rule.value]
    reversals = [e for e in history if e.kind is EntryKind.REVERSAL and e.reason == rule.value]
    if len(earns) > len(reversals):
        lot = await uow.points.lot_for_entry(earns[-1].id)
        return min(lot.remaining, earns[-1].delta) if lot else 0
    return load_rules().rules[rule].points


async def on_assessment_completed(
    uow: UnitOfWork, now: datetime, zone: ZoneInfo, resident_id: int, assessment_id: int
) -> int:
    """For the care-plan feature: a completed annual assessment earns, once per assessment."""
    return await award(
        uow, now, zone, resident_id, Rule.ANNUAL_ASSESSMENT, f"assessment:{assessment_id}"
    )


# --- residents --------------------------------------------------------------------------------


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
        await _expire_lapsed(uow, now, resident.id)
        if not await uow.points.take_stock(reward.id):
            raise InvalidInput("reward_out_of_stock")
        for _ in range(VOUCHER_CODE_ATTEMPTS):
            code = _voucher_code()
            if await uow.points.voucher_by_code(code) is None:
                break
        else:
            raise RuntimeError("no free voucher code")
        entry_id = await _spend(uow, now, resident.id, reward.cost, reward.code, f"voucher:{code}")
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
            valid_until=_end_of_day(
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
        await _refund(uow, now, voucher)
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


# --- doctors ----------------------------------------------------------------------------------


async def redeem_voucher(
    uow: UnitOfWork, clock: Clock, doctor_telegram_id: int, code: str
) -> VoucherRecord:
    """A doctor of the voucher's centre accepts it. A voucher redeems once: a second attempt
    (by anyone, even at the same moment) is refused with `voucher_already_redeemed`."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        doctor = await uow.doctors.by_telegram_user(doctor_telegram_id)
        if doctor is None or not doctor.active:
            raise NotAllowed("not_a_doctor")
        voucher = await uow.points.voucher_by_code(normalise_code(code))
        if voucher is None:
            raise NotFound("voucher_unknown")
        if voucher.centre_id != doctor.centre_id:
            raise NotAllowed("voucher_other_centre")
        if voucher.status is not VoucherStatus.ACTIVE or voucher.valid_until <= now:
            raise await _closed(uow, voucher, now)
        if not await uow.points.close_voucher(
            voucher.id, VoucherStatus.REDEEMED, now, valid_at=now, doctor_id=doctor.id
        ):
            raise await _closed(uow, await uow.points.voucher(voucher.id) or voucher, now)
        redeemed = await uow.points.voucher(voucher.id)
        await uow.commit()
    assert redeemed is not None
    return redeemed


@dataclass(frozen=True, slots=True)
class LectureCheck:
    resident_id: int
    resident_name: str
    points: int


@dataclass(frozen=True, slots=True)
class LectureResult:
    resident_name: str
    points: int  # 0: already recorded today, or the monthly cap is reached
    already: bool


async def _own_resident(
    uow: UnitOfWork, doctor_telegram_id: int, resident_id: int
) -> ResidentRecord:
    doctor = await uow.doctors.by_telegram_user(doctor_telegram_id)
    if doctor is None or not doctor.active:
        raise NotAllowed("not_a_doctor")
    contract = await uow.contracts.open_for(resident_id)
    resident = await uow.residents.get(resident_id)
    if contract is None or contract.doctor_id != doctor.id or resident is None:
        raise NotAllowed("not_your_resident")
    return resident


async def check_lecture(
    uow: UnitOfWork, doctor_telegram_id: int, resident_id: int
) -> LectureCheck:
    """What the doctor confirms before recording lecture attendance (their own resident)."""
    async with uow:
        resident = await _own_resident(uow, doctor_telegram_id, resident_id)
    return LectureCheck(
        resident.id, resident.display_name, load_rules().rules[Rule.LECTURE].points
    )


async def mark_lecture(
    uow: UnitOfWork, clock: Clock, doctor_telegram_id: int, resident_id: int, zone: ZoneInfo
) -> LectureResult:
    """The resident's own family doctor records that they attended a health lecture today
    (one lecture per local day counts)."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        resident = await _own_resident(uow, doctor_telegram_id, resident_id)
        doctor = await uow.doctors.by_telegram_user(doctor_telegram_id)
        await uow.console.audit(
            actor_doctor_id=doctor.id if doctor else None,
            actor_user_id=doctor_telegram_id,
            resident_ids=[resident.id],
            action="lecture",
            at=now,
            ref_id=None,
        )
        source = f"lecture:{now.astimezone(zone).date().isoformat()}"
        already = bool(await uow.points.entries_for_source(resident.id, source))
        points = await award(uow, now, zone, resident.id, Rule.LECTURE, source)
        await uow.commit()
    return LectureResult(resident.display_name, points, already)


# --- tip quizzes ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuizResult:
    correct: bool
    points: int  # 0 when wrong, answered before, or over the monthly cap
    already: bool
    correct_option: int


async def _quiz_tip(
    uow: UnitOfWork, library: Library, telegram_user_id: int, outbox_id: int
) -> tuple[ResidentRecord, str, Quiz]:
    resident = await _resident(uow, telegram_user_id)
    row = await uow.outbox.get(outbox_id)
    if row is None or row[1] is None:
        raise NotFound("tip_not_found")
    if row[0] != resident.id:
        raise NotAllowed("not_allowed")
    tip = library.tips.get(row[1])
    if tip is None or tip.quiz is None:
        raise NotFound("tip_not_found")
    return resident, tip.id, tip.quiz


async def quiz_for(
    uow: UnitOfWork, library: Library, telegram_user_id: int, outbox_id: int
) -> Quiz:
    """The quiz of a tip the resident received."""
    async with uow:
        _, _, quiz = await _quiz_tip(uow, library, telegram_user_id, outbox_id)
    return quiz


async def answer_quiz(
    uow: UnitOfWork,
    clock: Clock,
    library: Library,
    telegram_user_id: int,
    outbox_id: int,
    option: int,
    zone: ZoneInfo,
) -> QuizResult:
    """A right answer earns the quiz reward once per tip (capped per month); a wrong one
    earns nothing and may be tried again."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        resident, tip_id, quiz = await _quiz_tip(uow, library, telegram_user_id, outbox_id)
        if not 0 <= option < len(quiz.options):
            raise InvalidInput("quiz_option")
        source = f"quiz:{tip_id}"
        already = bool(await uow.points.entries_for_source(resident.id, source))
        points = 0
        if option == quiz.answer:
            points = await award(uow, now, zone, resident.id, Rule.TIP_QUIZ, source)
        await uow.commit()
    return QuizResult(option == quiz.answer, points, already, quiz.answer)


# --- operators: catalogue files ---------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueReport:
    created: list[str]
    updated: list[str]


def load_catalogue_file(path: Path) -> Catalogue:
    try:
        return parse_catalogue(path)
    except PointsDataError as error:
        raise InvalidInput("points_file_invalid", detail=str(error)) from None


async def load_catalogue(
    uow: UnitOfWork, spec: Catalogue, *, update_existing: bool = True
) -> CatalogueReport:
    """Adds the centre's new rewards and (unless told not to) updates existing ones: names,
    cost, stock, validity. Vouchers already issued keep the cost they were bought at."""
    created: list[str] = []
    updated: list[str] = []
    async with uow:
        await uow.begin_write()
        centre = await uow.centres.by_code(spec.centre)
        if centre is None:
            raise NotFound("centre_not_found", centre=spec.centre)
        for item in spec.rewards:
            existing = await uow.points.reward_by_code(centre.id, item.code)
            if existing is None:
                await uow.points.add_reward(
                    centre_id=centre.id,
                    code=item.code,
                    name_zh=item.name["zh-CN"],
                    name_en=item.name["en"],
                    cost=item.cost,
                    stock=item.stock,
                    valid_days=item.valid_days,
                )
                created.append(item.code)
            elif update_existing:
                await uow.points.update_reward(
                    existing.id,
                    active=True,
                    name_zh=item.name["zh-CN"],
                    name_en=item.name["en"],
                    cost=item.cost,
                    stock=item.stock,
                    valid_days=item.valid_days,
                )
                updated.append(item.code)
        await uow.commit()
    return CatalogueReport(created, updated)


# --- the scheduler's sweep --------------------------------------------------------------------


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
                await _refund(uow, now, voucher)
                vouchers += 1
            await uow.commit()
    points = 0
    async with uow_factory() as uow:
        residents = sorted({lot.resident_id for lot in await uow.points.lapsed_lots(now)})
    for resident_id in residents:
        async with uow_factory() as uow:
            await uow.begin_write()
            await uow.points.lock_account(resident_id, now)
            points += await _expire_lapsed(uow, now, resident_id)
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
