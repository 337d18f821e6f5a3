"""What the doctor sees while writing and after sending: audience, confirmation, preview and
the status message."""

from __future__ import annotations

from datetime import datetime

from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from jiayi.bot.doctor import console_keyboards as kb
from jiayi.bot.doctor.broadcast.draft import BroadcastDraft
from jiayi.bot.labels import language_label
from jiayi.content.render import Renderer
from jiayi.services import broadcasts
from jiayi.services.broadcasts import BroadcastReport
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWork
from jiayi.services.settings import LOCALES, Settings


def other_locale(locale: str) -> str:
    return next(loc for loc in LOCALES if loc != locale)


def local(at: datetime, settings: Settings) -> datetime:
    """In the centre's zone; templates say it in words (`|when`)."""
    return at.astimezone(settings.zone)


def status_screen(
    renderer: Renderer, locale: str, report: BroadcastReport, settings: Settings
) -> tuple[str, InlineKeyboardMarkup]:
    b = report.broadcast
    text = renderer.render(
        "broadcast_status",
        locale,
        id=b.id,
        status=kb.status_label(b.status),
        segments=kb.segments_text(b.segments),
        size=b.audience_size,
        starts=local(b.starts_at, settings) if b.status == "scheduled" else None,
        delivered=report.delivered,
        waiting=report.waiting,
        blocked=report.blocked,
        failed=report.failed,
        skipped=report.skipped,
        cancelled=report.cancelled,
    )
    return text, kb.broadcast_status(report)


async def audience_screen(
    uow: UnitOfWork, clock: Clock, settings: Settings, user_id: int, draft: BroadcastDraft
) -> tuple[str, InlineKeyboardMarkup]:
    chosen = list(draft.segments)
    estimate = await broadcasts.audience_size(uow, clock, settings, user_id, chosen)
    text = _(
        "Who should receive it? Tap to choose. Choices of one kind are alternatives; "
        "different kinds combine (e.g. Hypertension and Age 65+).\n\n"
        "Audience: {segments}\nRecipients now: {size}"
    ).format(segments=kb.segments_text(chosen), size=estimate.size)
    return text, kb.audience(broadcasts.segment_codes(), set(chosen))


async def confirm_screen(
    uow: UnitOfWork,
    clock: Clock,
    renderer: Renderer,
    locale: str,
    settings: Settings,
    user_id: int,
    draft: BroadcastDraft,
) -> tuple[str, InlineKeyboardMarkup]:
    spread = draft.spread
    estimate = await broadcasts.audience_size(
        uow, clock, settings, user_id, list(draft.segments), spread
    )
    starts = draft.starts_at
    text = renderer.render(
        "broadcast_confirm",
        locale,
        segments=kb.segments_text(list(draft.segments)),
        size=estimate.size,
        spread=kb.duration_text(spread) if spread else None,
        duration=kb.duration_text(estimate.duration),
        rate=f"{settings.push_rate:g}",
        starts=local(starts, settings) if starts else None,
        languages=", ".join(language_label(loc) for loc in draft.texts),
        photo=draft.photo is not None,
    )
    return text, kb.confirm(draft.spread_hours, scheduled=starts is not None)


async def send_preview(
    callback: CallbackQuery, renderer: Renderer, doctor: str, draft: BroadcastDraft
) -> None:
    """Exactly what residents will receive, in each residents' language (the header is
    translated even when the doctor wrote one text)."""
    assert callback.bot is not None
    for language in LOCALES:
        body = broadcasts.text_for(dict(draft.texts), language)
        text = broadcasts.render_broadcast(renderer, language, doctor, body)
        header = _("Preview for residents using {language}:").format(
            language=language_label(language)
        )
        await callback.bot.send_message(callback.from_user.id, header)
        if draft.photo:
            await callback.bot.send_photo(callback.from_user.id, draft.photo, caption=text)
        else:
            await callback.bot.send_message(callback.from_user.id, text)
