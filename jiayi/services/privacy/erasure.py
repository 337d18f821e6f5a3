"""Erasing a resident's data (/forget): the steps that run before the generic delete (seats,
alerts, digests, vouchers, anonymised counts), then the delete."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from jiayi.services import booking
from jiayi.services.clock import Clock
from jiayi.services.privacy.registry import (
    ACCOUNTS_ERASED,
    APPOINTMENTS_ATTENDED,
    PUSHES_DELIVERED,
    DataSubject,
    data_subject,
    erasure_step,
    erasure_steps,
    month_of,
)
from jiayi.services.privacy.statistics import add_feedback, add_grouped
from jiayi.services.push import PushKind
from jiayi.services.push.care import CareDigest
from jiayi.services.push.messages import question_alert_key
from jiayi.services.push.readings import alert_prefix
from jiayi.storage.records import (
    OutboxStatus,
    VoucherStatus,
)
from jiayi.storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class ErasureReport:
    members: int
    bookings_cancelled: int


@erasure_step("bookings")
async def _release_bookings(uow: UnitOfWork, subject: DataSubject, now: datetime) -> None:
    waiting = await uow.privacy.live_waitlist_ids(subject.resident.id)
    await booking.release_for_erasure(uow, now, subject.resident.id, waiting)


@erasure_step("question_alerts")
async def _question_alerts(uow: UnitOfWork, subject: DataSubject, now: datetime) -> None:
    # Alerts of their questions went to the doctor and carry their name and words.
    asked = await uow.privacy.rows_about("questions", subject.resident.id, [])
    await uow.privacy.delete_pushes([question_alert_key(int(str(q["id"]))) for q in asked])


@erasure_step("reading_alerts")
async def _reading_alerts(uow: UnitOfWork, subject: DataSubject, now: datetime) -> None:
    # Urgent-reading alerts went to the doctor and carry their name and the value.
    await uow.privacy.delete_pushes_prefixed(alert_prefix(subject.resident.id))


@erasure_step("doctor_digests")
async def _leave_digests(uow: UnitOfWork, subject: DataSubject, now: datetime) -> None:
    await leave_digests(uow, subject.resident.id)


async def leave_digests(uow: UnitOfWork, resident_id: int, member_name: str | None = None) -> None:
    """Within the caller's write transaction: the resident's entry leaves every doctor's care
    digest (with `member_name`: only that family member's items). A digest lists residents
    and their family by name and is addressed to the doctor, so deleting the resident's rows
    doesn't reach it. A digest not yet sent that is left listing nobody is deleted."""
    for outbox_id, status, payload in await uow.privacy.doctor_pushes_mentioning(
        PushKind.CARE_DIGEST, str(resident_id)
    ):
        digest = CareDigest.from_json(payload)
        edited = (
            e.without_member(member_name) if e.resident_id == resident_id else e
            for e in digest.residents
        )
        kept = tuple(entry for entry in edited if entry is not None)
        if kept == digest.residents:
            continue
        if (
            not kept
            and status == OutboxStatus.PENDING
            and (await uow.privacy.delete_pending_push(outbox_id))
        ):
            continue
        await uow.privacy.set_payload(outbox_id, replace(digest, residents=kept).to_json())


@erasure_step("vouchers")
async def _return_vouchers(uow: UnitOfWork, subject: DataSubject, now: datetime) -> None:
    # An unused voucher holds one item of the reward's stock: it goes back on the shelf for
    # others (the points go with the account).
    for voucher in await uow.points.vouchers_for(subject.resident.id, [VoucherStatus.ACTIVE]):
        if await uow.points.close_voucher(voucher.id, VoucherStatus.CANCELLED, now):
            await uow.points.return_stock(voucher.reward_id)


@erasure_step("statistics")
async def _keep_counts(uow: UnitOfWork, subject: DataSubject, now: datetime) -> None:
    rid = subject.resident.id
    await uow.privacy.add_count(ACCOUNTS_ERASED, month_of(now), "", 1)
    await add_grouped(
        uow,
        APPOINTMENTS_ATTENDED,
        [(at, code) for at, code, _ in await uow.privacy.attended_by_service_month(rid)],
    )
    await add_grouped(uow, PUSHES_DELIVERED, await uow.privacy.delivered_by_kind(resident_id=rid))
    await add_feedback(uow, await uow.privacy.feedback(resident_id=rid))


async def erase_my_data(uow: UnitOfWork, clock: Clock, telegram_user_id: int) -> ErasureReport:
    """Erases the resident and every family member they manage, in one transaction.

    Upcoming bookings are cancelled (their seats go to whoever waits), pending pushes go with
    the outbox rows, and only anonymised counts remain (statistic_counts). A doctor's link to
    the resident (contract) is deleted too. Irreversible.
    """
    now = clock.now()
    async with uow:
        await uow.begin_write()
        subject = await data_subject(uow, telegram_user_id)
        cancelled = await uow.booking.upcoming_for_resident(subject.resident.id, now)
        for step in erasure_steps():
            await step.run(uow, subject, now)
        await uow.privacy.erase(subject.resident.id, subject.member_ids)
        await uow.commit()
    return ErasureReport(members=len(subject.members), bookings_cancelled=len(cancelled))
