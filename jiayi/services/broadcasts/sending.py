"""Creating a broadcast (one outbox row per recipient) and cancelling what has not gone out."""

from __future__ import annotations

from datetime import datetime, timedelta

from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.services.broadcasts.drafting import Draft, check_texts, text_for
from jiayi.services.broadcasts.segments import (
    MAX_AHEAD,
    MAX_SPREAD,
    BroadcastStatus,
    audience_filter,
    check_segments,
    segment_catalogue,
)
from jiayi.services.clock import Clock
from jiayi.services.console import Actor, AuditAction, audit, require_doctor
from jiayi.services.errors import InvalidInput, NotAllowed, NotFound
from jiayi.services.push.messages import Broadcast as BroadcastPayload
from jiayi.services.push.messages import broadcast_key
from jiayi.services.settings import LOCALES, Settings
from jiayi.storage.records import (
    BroadcastRecord,
)
from jiayi.storage.uow import UnitOfWork


async def create_broadcast(
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
    telegram_user_id: int,
    draft: Draft,
    *,
    owner_locale: str,
    starts_at: datetime | None = None,
) -> BroadcastRecord:
    """Sends now (`starts_at` None) or schedules the broadcast; one outbox row per recipient,
    spaced evenly over `draft.spread`. The audience is fixed here, and written to the audit
    log (which residents a doctor targeted, not what was said)."""
    known = segment_catalogue(settings.zone)
    codes = check_segments(draft.segments, known)
    check_texts(draft.texts)
    if not timedelta(0) <= draft.spread <= MAX_SPREAD:
        raise InvalidInput("spread_invalid")
    now = clock.now()
    start = now if starts_at is None or starts_at <= now else starts_at
    if start - now > MAX_AHEAD:
        raise InvalidInput("schedule_too_far", days=MAX_AHEAD.days)
    today = start.astimezone(settings.zone).date()
    async with uow:
        await uow.begin_write()
        actor = await require_doctor(uow, telegram_user_id, settings)
        f = await audience_filter(uow, actor, codes, today, known)
        members = await uow.console.audience(actor.scope, f, today, CONSENT_NOTICE_VERSION)
        if not members:
            raise InvalidInput("audience_empty")
        status = BroadcastStatus.SENDING if start <= now else BroadcastStatus.SCHEDULED
        broadcast = await uow.console.add_broadcast(
            doctor_id=actor.doctor_id,
            owner_user_id=telegram_user_id,
            owner_locale=owner_locale,
            texts=draft.texts,
            photo_file_id=draft.photo_file_id,
            segments=codes,
            audience_size=len(members),
            starts_at=start,
            spread_minutes=int(draft.spread.total_seconds() // 60),
            status=status.value,
            now=now,
        )
        step = draft.spread / len(members)
        payloads: dict[str, str] = {
            locale: BroadcastPayload(
                broadcast_id=broadcast.id,
                doctor=actor.doctor_name or "",
                text=text_for(draft.texts, locale),
                photo=draft.photo_file_id,
            ).to_json()
            for locale in LOCALES
        }
        await uow.console.enqueue_broadcast(
            [
                {
                    "resident_id": m.resident_id,
                    "dedupe_key": broadcast_key(broadcast.id, m.resident_id),
                    "payload": payloads.get(m.locale, payloads[LOCALES[0]]),
                    "not_before": start + step * i,
                }
                for i, m in enumerate(members)
            ],
            now,
        )
        await audit(
            uow,
            actor,
            [m.resident_id for m in members],
            AuditAction.BROADCAST,
            now,
            ref_id=broadcast.id,
        )
        await uow.commit()
    return broadcast


async def own_broadcast(uow: UnitOfWork, actor: Actor, broadcast_id: int) -> BroadcastRecord:
    broadcast = await uow.console.broadcast(broadcast_id)
    if broadcast is None:
        raise NotFound("broadcast_not_found")
    if broadcast.owner_user_id != actor.telegram_user_id and not actor.is_admin:
        raise NotAllowed("broadcast_not_yours")
    return broadcast


async def cancel_broadcast(
    uow: UnitOfWork, clock: Clock, settings: Settings, telegram_user_id: int, broadcast_id: int
) -> BroadcastRecord:
    """Withdraws a scheduled broadcast, or what is still waiting of a spread one."""
    async with uow:
        await uow.begin_write()
        actor = await require_doctor(uow, telegram_user_id, settings)
        broadcast = await own_broadcast(uow, actor, broadcast_id)
        live = (BroadcastStatus.SCHEDULED.value, BroadcastStatus.SENDING.value)
        if not await uow.console.set_broadcast_status(
            broadcast_id, old=live, new=BroadcastStatus.CANCELLED.value, cancelled_at=clock.now()
        ):
            raise InvalidInput("broadcast_not_cancellable")
        await uow.console.cancel_broadcast_rows(broadcast_id)
        await uow.commit()
        updated = await uow.console.broadcast(broadcast.id)
    assert updated is not None
    return updated
