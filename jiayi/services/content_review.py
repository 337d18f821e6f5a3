"""The console's content review: the tip library with each tip's review state and sources,
the next 30 days of planned tips, clinicians' sign-offs, and previews as residents read them.

Where review state lives (decided for #17): the tip files stay authoritative for what they
say — `review:` in the YAML is the record the build checks (`jiayi content check`) and the
one shipped with the content. Sign-offs given in the console are layered on top, in the
database (table tip_signoffs), because the clinician signing is at the centre and cannot
edit the repository: a tip counts as signed off when its file says so OR when a clinician
signed it off in the console after its last change (the sign-off keeps a hash of the tip's
content; editing the tip makes it pending again). The planner honours both
(services/tip_review.py feeds PushSchedule.may_send when a centre sends reviewed tips
only, JIAYI_SEND_PENDING_CONTENT=false).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo

from jiayi.content import calendar
from jiayi.content.render import Renderer
from jiayi.content.tips import HOUSEHOLD, Audience, Library, Source, Tip, load_library
from jiayi.services.clock import Clock
from jiayi.services.console import Actor
from jiayi.services.errors import InvalidInput, NotAllowed, NotFound
from jiayi.services.tip_parts import TipParts, render_tip
from jiayi.services.tip_review import content_hash
from jiayi.storage.content_review import TipSignoffRecord
from jiayi.storage.uow import UnitOfWork

__all__ = ["Audience", "ReviewStatus", "TipReview"]


@cache
def default_library() -> Library:
    """The shipped tip library, loaded once per process (as the bot loads it at start-up)."""
    return load_library(Renderer().env)


PLAN_DAYS = 30
CLINICIAN_MAX = 100
PREVIEW_LOCALES = ("zh-CN", "en")
# The sample resident a preview is addressed to (as content check renders tips).
SAMPLE = {"zh-CN": ("张桂兰", "王医生"), "en": ("Zhang Guilan", "Dr Wang")}
SAMPLE_AGE = 72


class ReviewStatus(StrEnum):
    PENDING = "pending"
    SIGNED_OFF_FILE = "signed_off_file"  # the tip file's review says signed_off
    SIGNED_OFF_CONSOLE = "signed_off_console"  # a clinician signed the current text here
    CHANGED_SINCE_SIGNOFF = "changed_since_signoff"  # signed here, edited since: pending


@dataclass(frozen=True)
class TipReview:
    tip: Tip
    status: ReviewStatus
    signed_by: str | None
    signed_on: date | None
    sections: tuple[str, ...]
    review_by: date
    occasion: tuple[str | None, str | None]  # (zh, en) names of its trigger, if any

    @property
    def signed_off(self) -> bool:
        return self.status in (ReviewStatus.SIGNED_OFF_FILE, ReviewStatus.SIGNED_OFF_CONSOLE)

    @property
    def sources(self) -> tuple[Source, ...]:
        return self.tip.sources


def _occasion(tip: Tip) -> tuple[str | None, str | None]:
    if tip.trigger.name is None:
        return None, None
    return calendar.names(tip.trigger.kind, tip.trigger.name)


def _review(
    library: Library, tip: Tip, signoff: TipSignoffRecord | None, zone: ZoneInfo
) -> TipReview:
    occasion = _occasion(tip)
    if signoff is not None and signoff.content_hash == content_hash(tip):
        return TipReview(
            tip,
            ReviewStatus.SIGNED_OFF_CONSOLE,
            signoff.clinician,
            signoff.signed_at.astimezone(zone).date(),
            signoff.sections,
            tip.review_by,
            occasion,
        )
    if not tip.review.pending:
        return TipReview(
            tip,
            ReviewStatus.SIGNED_OFF_FILE,
            tip.review.clinician,
            tip.review.signed_on,
            tip.review.sections_checked,
            tip.review_by,
            occasion,
        )
    status = ReviewStatus.CHANGED_SINCE_SIGNOFF if signoff else ReviewStatus.PENDING
    return TipReview(tip, status, None, None, (), tip.review_by, occasion)


async def tip_library(uow: UnitOfWork, library: Library, zone: ZoneInfo) -> list[TipReview]:
    """Every tip with its review state: pending first, then by id."""
    async with uow:
        signoffs = await uow.reviews.latest_signoffs()
    reviews = [_review(library, tip, signoffs.get(tip.id), zone) for tip in library]
    return sorted(reviews, key=lambda r: (r.signed_off, r.tip.id))


async def tip_review(uow: UnitOfWork, library: Library, zone: ZoneInfo, tip_id: str) -> TipReview:
    tip = library.tips.get(tip_id)
    if tip is None:
        raise NotFound("tip_not_found")
    async with uow:
        signoffs = await uow.reviews.latest_signoffs()
    return _review(library, tip, signoffs.get(tip_id), zone)


@dataclass(frozen=True)
class PlannedTip:
    day: date
    tip_id: str
    audiences: tuple[Audience, ...]
    review: TipReview


async def planned(
    uow: UnitOfWork, library: Library, clock: Clock, zone: ZoneInfo, days: int = PLAN_DAYS
) -> list[PlannedTip]:
    """The tips due in the next `days` local days (from tomorrow), as the planner will pick
    them: seasonal and calendar triggers and evergreen tips' fixed slots. Catch-up tips are
    chosen per resident on the day and are not listed."""
    today = clock.now().astimezone(zone).date()
    async with uow:
        signoffs = await uow.reviews.latest_signoffs()
    found = []
    for offset in range(1, days + 1):
        day = today + timedelta(days=offset)
        for firing in library.due_on(day, zone):
            found.append(
                PlannedTip(
                    day=day,
                    tip_id=firing.tip.id,
                    audiences=tuple(v.audience for v in firing.variants),
                    review=_review(library, firing.tip, signoffs.get(firing.tip.id), zone),
                )
            )
    return found


def may_sign_off(actor: Actor) -> bool:
    """Clinicians sign off: a doctor of the centre. An operator who is not a doctor records a
    named clinician's sign-off (their name is typed on the form)."""
    return actor.doctor_id is not None or actor.is_admin


async def sign_off(
    uow: UnitOfWork,
    clock: Clock,
    library: Library,
    actor: Actor,
    tip_id: str,
    sections: list[str],
    clinician: str | None = None,
) -> None:
    """Records a clinician's sign-off of the tip's current content, with the sections of its
    sources they checked. A doctor signs as themself; an operator names the clinician."""
    tip = library.tips.get(tip_id)
    if tip is None:
        raise NotFound("tip_not_found")
    if not may_sign_off(actor):
        raise NotAllowed("not_a_doctor")
    name = actor.doctor_name if actor.doctor_id is not None else (clinician or "").strip()
    if not name or len(name) > CLINICIAN_MAX:
        raise InvalidInput("clinician_missing")
    known = {s.section or s.cite for s in tip.sources}
    chosen = tuple(s for s in dict.fromkeys(sections) if s in known)
    if not chosen:
        raise InvalidInput("sections_missing")
    async with uow:
        await uow.begin_write()
        await uow.reviews.add_signoff(
            tip_id=tip.id,
            content_hash=content_hash(tip),
            clinician=name,
            signed_by_user_id=actor.telegram_user_id,
            doctor_id=actor.doctor_id,
            sections=chosen,
            now=clock.now(),
        )
        await uow.commit()


@dataclass(frozen=True)
class Preview:
    audience: Audience
    household: Audience | None
    locale: str
    first: str  # the first message (summaries)
    more: str | None  # what the "More" button sends, when there is more


def audiences(tip: Tip) -> list[tuple[Audience, Audience | None]]:
    """Every combination a resident can receive: each own variant alone, and with each
    household section (a carer's part) attached; household variants alone too."""
    found: list[tuple[Audience, Audience | None]] = [(v.audience, None) for v in tip.own_variants]
    for household in tip.household_variants:
        found.extend((own.audience, household.audience) for own in tip.own_variants)
        found.append((household.audience, None))
    return found


def preview(
    library: Library, tip_id: str, audience: Audience, household: Audience | None = None
) -> list[Preview]:
    """The tip as residents will read it, in both languages, for one audience (and carer
    section): rendered by the same function the sender uses, for a sample resident."""
    tip = library.tips.get(tip_id)
    if tip is None:
        raise NotFound("tip_not_found")
    if (audience, household) not in audiences(tip) or (
        household is not None and household not in HOUSEHOLD
    ):
        raise InvalidInput("audience_unknown")
    parts = TipParts(tip_id, audience, household)
    previews = []
    for locale in PREVIEW_LOCALES:
        name, doctor = SAMPLE[locale]
        context: dict[str, object] = {
            "name": name,
            "age": SAMPLE_AGE,
            "doctor": doctor,
            "conditions": ["hypertension"],
        }
        first, more = render_tip(library, parts, locale, full=False, **context)
        rest = render_tip(library, parts, locale, full=True, **context)[0] if more else None
        previews.append(Preview(audience, household, locale, first, rest))
    return previews
