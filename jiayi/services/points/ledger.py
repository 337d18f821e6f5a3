"""The points ledger: award, reverse, spend, refund and expire inside a caller's transaction,
and the hooks other features call (attendance, assessments)."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from jiayi.content.points import (
    EarnRule,
    Period,
    Rule,
    RuleBook,
    load_rules,
)
from jiayi.services.push import PushKind
from jiayi.storage.records import (
    AppointmentRecord,
    EntryKind,
    PointsEntryRecord,
    ServiceKind,
    VoucherRecord,
)
from jiayi.storage.uow import UnitOfWork

KIND_EXPIRY_REMINDER = PushKind.POINTS_EXPIRY


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


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
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


async def spend(
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


async def refund(uow: UnitOfWork, now: datetime, voucher: VoucherRecord) -> None:
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


async def expire_lapsed(uow: UnitOfWork, now: datetime, resident_id: int) -> int:
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
