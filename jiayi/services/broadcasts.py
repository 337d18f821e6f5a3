"""Doctors' broadcasts: segments, audience size and delivery estimate, send now or later
(optionally spread over a window), cancel, and the delivery report.

A broadcast becomes one outbox row per recipient (kind "broadcast", dedupe key
`broadcast:<id>:<resident id>`), so the one dispatcher sends it at the configured rate and
respects pauses and blocks like every push. The report is counted from those rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from zoneinfo import ZoneInfo

from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.content.render import Renderer
from jiayi.services import careplans, when
from jiayi.services.clock import Clock
from jiayi.services.console import Actor, AgeBand, AuditAction, audit, require_doctor
from jiayi.services.delivery import OutboxDispatcher, OutgoingMessage
from jiayi.services.errors import InvalidInput, NotAllowed, NotFound
from jiayi.services.push import PushKind
from jiayi.services.push.messages import Broadcast as BroadcastPayload
from jiayi.services.push.messages import broadcast_key
from jiayi.services.settings import LOCALES, Settings
from jiayi.storage.records import (
    BroadcastRecord,
    Condition,
    Delivery,
    OutboxStatus,
    ResidentFilter,
)
from jiayi.storage.uow import UnitOfWork

TEXT_MAX = 3000
CAPTION_MAX = 900  # Telegram captions hold 1,024 characters, with room for the header
MAX_SPREAD = timedelta(hours=24)
MAX_AHEAD = timedelta(days=30)
CHILD_UNDER_YEARS = 6

__all__ = [
    "BROADCAST_KIND",
    "BroadcastReport",
    "BroadcastStatus",
    "Draft",
    "Segment",
    "SegmentGroup",
    "audience_size",
    "cancel_broadcast",
    "create_broadcast",
    "estimate_duration",
    "list_broadcasts",
    "parse_start",
    "parse_text",
    "register",
    "render_broadcast",
    "report",
    "segment_catalogue",
    "segment_codes",
    "set_status_message",
    "text_for",
    "track_progress",
]

BROADCAST_KIND = PushKind.BROADCAST


class BroadcastStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


# --- segments ----------------------------------------------------------------------------


class SegmentGroup(StrEnum):
    """Segments of one group are alternatives (OR); groups combine with AND."""

    CONDITION = "condition"
    AGE = "age"
    FAMILY = "family"
    CARE = "care"


# An audience computed outside SQL: (uow inside an open transaction, the doctor's id or None
# for an admin, the local day) -> resident ids.
SegmentResolver = Callable[[UnitOfWork, int | None, date], Awaitable[set[int]]]


@dataclass(frozen=True, slots=True)
class Segment:
    code: str
    group: SegmentGroup
    criteria: ResidentFilter | None = None
    resolver: SegmentResolver | None = None


def _builtin() -> dict[str, Segment]:
    found: dict[str, Segment] = {}
    for condition in Condition:
        code = f"cond.{condition.value}"
        found[code] = Segment(
            code, SegmentGroup.CONDITION, ResidentFilter(conditions=frozenset({condition}))
        )
    for band in AgeBand:
        code = f"age.{band.value}"
        found[code] = Segment(code, SegmentGroup.AGE, ResidentFilter(age_bands=(band.bounds,)))
    found["kids_u6"] = Segment(
        "kids_u6", SegmentGroup.FAMILY, ResidentFilter(child_under_years=CHILD_UNDER_YEARS)
    )
    found[READINGS_HIGH_SEGMENT] = Segment(
        READINGS_HIGH_SEGMENT, SegmentGroup.CARE, resolver=_readings_high
    )
    return found


READINGS_HIGH_SEGMENT = "readings_high"
READINGS_HIGH_DAYS = 30


async def _readings_high(uow: UnitOfWork, doctor_id: int | None, today: date) -> set[int]:
    """Residents whose own home readings were above target (or urgent) in the last 30 days."""
    since = datetime.combine(today - timedelta(days=READINGS_HIGH_DAYS), time(), tzinfo=UTC)
    in_scope = await uow.console.in_scope_ids(doctor_id)
    return await uow.readings.residents_with_level(
        sorted(in_scope), ("above", "urgent"), since=since
    )


BUILTIN_SEGMENTS: Mapping[str, Segment] = MappingProxyType(_builtin())
OVERDUE_SEGMENT = "overdue"


def segment_catalogue(zone: ZoneInfo) -> dict[str, Segment]:
    """Every segment offered to doctors, built where it is used: the SQL-filter ones and the
    ones other features compute ("residents with overdue care items", in the centre's zone).
    Nothing is registered at start-up, so no process-wide list can drift between callers."""
    return {**BUILTIN_SEGMENTS, OVERDUE_SEGMENT: _overdue_segment(zone)}


def segment_codes() -> list[str]:
    return [*BUILTIN_SEGMENTS, OVERDUE_SEGMENT]


def _check_segments(codes: Sequence[str], known: Mapping[str, Segment]) -> tuple[str, ...]:
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise InvalidInput("segment_unknown")
    return tuple(dict.fromkeys(codes))


async def _audience_filter(
    uow: UnitOfWork,
    actor: Actor,
    codes: Sequence[str],
    today: date,
    known: Mapping[str, Segment],
) -> ResidentFilter:
    by_group: dict[SegmentGroup, list[Segment]] = {}
    for code in codes:
        segment = known[code]
        by_group.setdefault(segment.group, []).append(segment)
    combined = ResidentFilter()
    ids: set[int] | None = None
    for segments in by_group.values():
        for s in segments:
            c = s.criteria
            if c is not None:
                combined = replace(
                    combined,
                    conditions=combined.conditions | c.conditions,
                    age_bands=combined.age_bands + c.age_bands,
                    child_under_years=c.child_under_years or combined.child_under_years,
                )
        resolved = [s.resolver for s in segments if s.resolver is not None]
        if resolved:
            group_ids: set[int] = set()
            for resolver in resolved:
                group_ids |= await resolver(uow, actor.scope, today)
            ids = group_ids if ids is None else ids & group_ids
    if ids is not None:
        combined = replace(combined, resident_ids=frozenset(ids))
    return combined


# --- drafting and sending ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Draft:
    """What the doctor composed. `texts` maps a locale to its text; the first is theirs."""

    texts: dict[str, str]
    segments: tuple[str, ...] = ()
    photo_file_id: str | None = None
    spread: timedelta = timedelta(0)


def parse_text(text: str | None, *, with_photo: bool = False) -> str:
    body = (text or "").strip()
    if not body:
        raise InvalidInput("message_empty")
    limit = CAPTION_MAX if with_photo else TEXT_MAX
    if len(body) > limit:
        raise InvalidInput("message_too_long", max=limit)
    return body


def _check_texts(texts: dict[str, str]) -> None:
    if not texts or any(locale not in LOCALES for locale in texts):
        raise InvalidInput("message_empty")


def text_for(texts: dict[str, str], locale: str) -> str:
    """The resident's language if the doctor wrote it, else the doctor's own."""
    return texts.get(locale) or next(iter(texts.values()))


def parse_start(text: str | None, zone: ZoneInfo, now: datetime) -> datetime:
    """A local time as typed ("明天早上9点", "tomorrow 9am", "2026-11-24 09:00": see
    services/when.py) in the future, within the scheduling horizon."""
    local = when.parse_local(text, zone, now)
    if local is None:
        raise InvalidInput("schedule_format")
    return check_start(local, now)


def check_start(local: datetime, now: datetime) -> datetime:
    """A chosen start (aware), in UTC, if it is in the future and within the horizon."""
    if local <= now:
        raise InvalidInput("schedule_past")
    if local - now > MAX_AHEAD:
        raise InvalidInput("schedule_too_far", days=MAX_AHEAD.days)
    return local.astimezone(UTC)


def estimate_duration(size: int, rate: float, spread: timedelta = timedelta(0)) -> timedelta:
    """How long until the last resident has it: the window, or the rate limit if slower."""
    burst = timedelta(seconds=size / rate) if rate > 0 else timedelta(0)
    return max(spread, burst)


@dataclass(frozen=True, slots=True)
class AudienceEstimate:
    size: int
    duration: timedelta


async def audience_size(
    uow: UnitOfWork,
    clock: Clock,
    settings: Settings,
    telegram_user_id: int,
    segments: Sequence[str],
    spread: timedelta = timedelta(0),
) -> AudienceEstimate:
    """How many of the actor's residents would receive it now, and how long sending takes."""
    known = segment_catalogue(settings.zone)
    codes = _check_segments(segments, known)
    today = clock.now().astimezone(settings.zone).date()
    async with uow:
        actor = await require_doctor(uow, telegram_user_id, settings)
        f = await _audience_filter(uow, actor, codes, today, known)
        size = len(await uow.console.audience(actor.scope, f, today, CONSENT_NOTICE_VERSION))
    return AudienceEstimate(size, estimate_duration(size, settings.push_rate, spread))


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
    codes = _check_segments(draft.segments, known)
    _check_texts(draft.texts)
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
        f = await _audience_filter(uow, actor, codes, today, known)
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


async def _own(uow: UnitOfWork, actor: Actor, broadcast_id: int) -> BroadcastRecord:
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
        broadcast = await _own(uow, actor, broadcast_id)
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


@dataclass(frozen=True, slots=True)
class BroadcastReport:
    broadcast: BroadcastRecord
    delivered: int = 0
    failed: int = 0
    blocked: int = 0
    skipped: int = 0
    cancelled: int = 0
    waiting: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.waiting == 0


def _report(broadcast: BroadcastRecord, counts: dict[str, int]) -> BroadcastReport:
    s = OutboxStatus
    return BroadcastReport(
        broadcast=broadcast,
        delivered=counts.get(s.SENT.value, 0),
        failed=counts.get(s.FAILED.value, 0),
        blocked=counts.get(s.BLOCKED.value, 0),
        skipped=counts.get(s.SKIPPED.value, 0),
        cancelled=counts.get(s.CANCELLED.value, 0),
        waiting=counts.get(s.PENDING.value, 0) + counts.get(s.CLAIMED.value, 0),
        counts=counts,
    )


async def report(
    uow: UnitOfWork, settings: Settings, telegram_user_id: int, broadcast_id: int
) -> BroadcastReport:
    """Delivered, failed, blocked… so far, counted from the broadcast's outbox rows."""
    async with uow:
        actor = await require_doctor(uow, telegram_user_id, settings)
        broadcast = await _own(uow, actor, broadcast_id)
        return _report(broadcast, await uow.console.broadcast_counts(broadcast_id))


async def list_broadcasts(
    uow: UnitOfWork, settings: Settings, telegram_user_id: int, limit: int = 10
) -> list[BroadcastReport]:
    """The actor's latest broadcasts, newest first, each with its counts."""
    async with uow:
        await require_doctor(uow, telegram_user_id, settings)
        broadcasts = await uow.console.broadcasts_of(telegram_user_id, limit=limit)
        return [_report(b, await uow.console.broadcast_counts(b.id)) for b in broadcasts]


async def set_status_message(
    uow: UnitOfWork, settings: Settings, telegram_user_id: int, broadcast_id: int, message_id: int
) -> None:
    """Remembers the doctor's status message, so progress can be shown in it."""
    async with uow:
        await uow.begin_write()
        actor = await require_doctor(uow, telegram_user_id, settings)
        await _own(uow, actor, broadcast_id)
        await uow.console.set_status_message(broadcast_id, message_id)
        await uow.commit()


async def track_progress(
    uow_factory: Callable[[], UnitOfWork], clock: Clock
) -> list[BroadcastReport]:
    """For the scheduler: the report of every broadcast being sent. A broadcast whose rows
    are all settled moves to done, exactly once; its report comes back with `finished` set
    (and only that once), so the caller can send the final report to the doctor."""
    now = clock.now()
    reports: list[BroadcastReport] = []
    async with uow_factory() as uow:
        await uow.begin_write()
        live = await uow.console.broadcasts_in(
            (BroadcastStatus.SCHEDULED.value, BroadcastStatus.SENDING.value)
        )
        for broadcast in live:
            if broadcast.starts_at > now:
                continue
            if broadcast.status == BroadcastStatus.SCHEDULED:
                await uow.console.set_broadcast_status(
                    broadcast.id,
                    old=(BroadcastStatus.SCHEDULED.value,),
                    new=BroadcastStatus.SENDING.value,
                )
            counts = await uow.console.broadcast_counts(broadcast.id)
            current = _report(broadcast, counts)
            if current.finished:
                moved = await uow.console.set_broadcast_status(
                    broadcast.id,
                    old=(BroadcastStatus.SCHEDULED.value, BroadcastStatus.SENDING.value),
                    new=BroadcastStatus.DONE.value,
                    finished_at=now,
                )
                if not moved:
                    continue
                current = replace(
                    current,
                    broadcast=replace(
                        broadcast, status=BroadcastStatus.DONE.value, finished_at=now
                    ),
                )
            reports.append(current)
        await uow.commit()
    return reports


# --- rendering -----------------------------------------------------------------------------


def render_broadcast(renderer: Renderer, locale: str, doctor: str, text: str) -> str:
    """Exactly what a resident receives: the doctors' preview uses this too."""
    return renderer.render("broadcast", locale, doctor=doctor, text=text)


def register(dispatcher: OutboxDispatcher, renderer: Renderer) -> None:
    """Plugs broadcasts into the dispatcher."""

    def broadcast(d: Delivery) -> OutgoingMessage:
        p = BroadcastPayload.from_json(d.payload)
        return OutgoingMessage(
            outbox_id=d.outbox_id,
            chat_id=d.telegram_user_id,
            locale=d.locale,
            kind=d.kind,
            text=render_broadcast(renderer, d.locale, p.doctor, p.text),
            ref_id=p.broadcast_id,
            photo=p.photo,
            payload=p,
        )

    dispatcher.register_renderer(BROADCAST_KIND, broadcast)


def _overdue_segment(zone: ZoneInfo) -> Segment:
    """The audience "residents with overdue care items" (care plans), in the centre's zone."""

    async def overdue(uow: UnitOfWork, doctor_id: int | None, today: date) -> set[int]:
        if doctor_id is not None:
            return await careplans.overdue_resident_ids(uow, doctor_id, today, zone)
        # An admin: every doctor's residents.
        found: set[int] = set()
        for doctor in await uow.doctors.list_active(limit=await uow.doctors.count_active()):
            found |= await careplans.overdue_resident_ids(uow, doctor.id, today, zone)
        return found

    return Segment(OVERDUE_SEGMENT, SegmentGroup.CARE, resolver=overdue)
