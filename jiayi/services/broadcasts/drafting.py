"""A broadcast before it is sent: its text in each language, its start time, and how many it
will reach and how long delivery takes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.services import when
from jiayi.services.broadcasts.segments import (
    CAPTION_MAX,
    MAX_AHEAD,
    TEXT_MAX,
    audience_filter,
    check_segments,
    segment_catalogue,
)
from jiayi.services.clock import Clock
from jiayi.services.console import require_doctor
from jiayi.services.errors import InvalidInput
from jiayi.services.settings import LOCALES, Settings
from jiayi.storage.uow import UnitOfWork


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


def check_texts(texts: dict[str, str]) -> None:
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
    codes = check_segments(segments, known)
    today = clock.now().astimezone(settings.zone).date()
    async with uow:
        actor = await require_doctor(uow, telegram_user_id, settings)
        f = await audience_filter(uow, actor, codes, today, known)
        size = len(await uow.console.audience(actor.scope, f, today, CONSENT_NOTICE_VERSION))
    return AudienceEstimate(size, estimate_duration(size, settings.push_rate, spread))
