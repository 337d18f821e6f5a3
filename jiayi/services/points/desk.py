"""The doctor's side of points: redeeming a resident's voucher at the desk, lecture attendance."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from jiayi.content.points import (
    Rule,
    load_rules,
)
from jiayi.services.clock import Clock
from jiayi.services.errors import NotAllowed, NotFound
from jiayi.services.points.ledger import award
from jiayi.services.points.wallet import _closed, normalise_code
from jiayi.storage.records import (
    ResidentRecord,
    VoucherRecord,
    VoucherStatus,
)
from jiayi.storage.uow import UnitOfWork


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
