"""Residents' own controls (/tips): the overview with the next tip, pause, topics, quiet hours,
and feedback on a tip."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from jiayi.content.tips import Audience, Library, Topic
from jiayi.services.clock import Clock
from jiayi.services.errors import InvalidInput, NotAllowed, NotFound
from jiayi.services.people import require_onboarded_resident
from jiayi.services.push import PushKind
from jiayi.services.pushes.planning import (
    AUDIENCE_FILTERS,
    QUIET_HOUR_PRESETS,
    PushSchedule,
    catch_up_quiet_from,
    yearly_target_by,
)
from jiayi.storage.audience import years_before
from jiayi.storage.records import (
    POSTPARTUM_DAYS,
    Condition,
    FamilyMemberRecord,
    PregnancyStage,
    PushPreferences,
    Relation,
    ResidentRecord,
)
from jiayi.storage.uow import UnitOfWork


@dataclass(frozen=True)
class TipsOverview:
    preferences: PushPreferences
    next_tip_id: str | None
    next_at: datetime | None


def audience_matches(
    audience: Audience,
    resident: ResidentRecord,
    family: Iterable[FamilyMemberRecord],
    day: date,
) -> bool:
    """The Python twin of the planner's SQL filter, for showing a resident what comes next."""
    f = AUDIENCE_FILTERS[audience]
    if f.pregnancy is not None and pregnancy_stage(resident, day) is not f.pregnancy:
        return False
    if f.carer_of_age is not None:
        cutoff = years_before(day, f.carer_of_age)
        return any(
            m.relation in (Relation.PARENT, Relation.SPOUSE) and m.birth_date <= cutoff
            for m in family
        )
    if f.min_age is not None and (
        resident.birth_year is None or resident.birth_year > day.year - f.min_age
    ):
        return False
    if f.condition is not None and f.condition not in resident.conditions:
        return False
    if f.child_under_years is not None:
        cutoff = years_before(day, f.child_under_years)
        return any(m.relation is Relation.CHILD and m.birth_date > cutoff for m in family)
    return True


def pregnancy_stage(resident: ResidentRecord, day: date) -> PregnancyStage | None:
    """Pregnant up to the expected date (with the flag set); postpartum for a year after;
    then nothing — the stage ends by itself."""
    due = resident.pregnancy_due
    if due is None:
        return None
    if day <= due:
        return PregnancyStage.PREGNANT if Condition.PREGNANT in resident.conditions else None
    if day <= due + timedelta(days=POSTPARTUM_DAYS):
        return PregnancyStage.POSTPARTUM
    return None


async def tips_overview(
    uow: UnitOfWork, library: Library, schedule: PushSchedule, clock: Clock, telegram_user_id: int
) -> TipsOverview:
    """The resident's push settings and the next tip planned (or due to be planned) for them."""
    async with uow:
        resident = await require_onboarded_resident(uow, telegram_user_id)
        preferences = await uow.pushes.preferences(resident.id)
        pending = await uow.outbox.next_pending(resident.id, PushKind.TIP)
        family = await uow.family.list_for(resident.id)
    if preferences.paused:
        return TipsOverview(preferences, None, None)
    if pending is not None:
        return TipsOverview(preferences, pending[0], pending[1])
    day = schedule.local_today(clock)
    catch_up_day = await _next_catch_up_day(
        uow, library, schedule, resident, family, preferences.opted_out_topics, day
    )
    for offset in range(1, 120):
        candidate = day + timedelta(days=offset)
        if candidate == catch_up_day:  # a catch-up tip comes first (which one: not yet known)
            return TipsOverview(preferences, None, schedule.at(candidate))
        for firing in library.due_on(candidate, schedule.zone):
            tip = firing.tip
            if tip.topic.value in preferences.opted_out_topics:
                continue
            if any(
                audience_matches(v.audience, resident, family, candidate) for v in firing.variants
            ):
                return TipsOverview(preferences, tip.id, schedule.at(candidate))
    return TipsOverview(preferences, None, None)


async def _next_catch_up_day(
    uow: UnitOfWork,
    library: Library,
    schedule: PushSchedule,
    resident: ResidentRecord,
    family: list[FamilyMemberRecord],
    opted_out: frozenset[str],
    today: date,
) -> date | None:
    """The first day after today on which `plan_catch_up` would top the resident up, as far
    as their tips so far tell (the calendar's own tips are looked at by the caller)."""
    year_start, year_end = schedule.year_bounds(today.year)
    async with uow:
        had, last, tips = await uow.outbox.tip_year(resident.id, year_start, year_end)
    for offset in range(1, (date(today.year, 12, 31) - today).days + 1):
        candidate = today + timedelta(days=offset)
        if had >= yearly_target_by(candidate):
            continue
        if last is not None and last >= catch_up_quiet_from(schedule, candidate):
            continue
        if any(
            schedule.may_send(tip)
            and tip.id not in tips
            and tip.topic.value not in opted_out
            and any(
                audience_matches(v.audience, resident, family, candidate) for v in tip.variants
            )
            for tip in library.evergreen()
        ):
            return candidate
    return None


async def set_paused(uow: UnitOfWork, clock: Clock, telegram_user_id: int, paused: bool) -> None:
    async with uow:
        await uow.begin_write()
        resident = await require_onboarded_resident(uow, telegram_user_id)
        await uow.pushes.set_paused(resident.id, clock.now() if paused else None)
        await uow.commit()


async def toggle_topic(uow: UnitOfWork, telegram_user_id: int, topic: Topic) -> bool:
    """Flips the opt-out for a topic; returns True if the resident now receives it."""
    async with uow:
        await uow.begin_write()
        resident = await require_onboarded_resident(uow, telegram_user_id)
        preferences = await uow.pushes.preferences(resident.id)
        opted_out = Topic(topic).value not in preferences.opted_out_topics
        await uow.pushes.set_topic_opt_out(resident.id, topic.value, opted_out)
        await uow.commit()
        return not opted_out


async def set_quiet_hours(uow: UnitOfWork, telegram_user_id: int, start: int, end: int) -> None:
    if (start, end) not in QUIET_HOUR_PRESETS:
        raise InvalidInput("quiet_hours")
    async with uow:
        await uow.begin_write()
        resident = await require_onboarded_resident(uow, telegram_user_id)
        await uow.pushes.set_quiet_hours(resident.id, start, end)
        await uow.commit()


async def delivered_tip_id(uow: UnitOfWork, resident_id: int, outbox_id: int) -> str:
    """The tip of an outbox row, which must be a tip delivered to this resident."""
    row = await uow.outbox.get(outbox_id)
    if row is None or row[1] is None:
        raise NotFound("tip_not_found")
    if row[0] != resident_id:
        raise NotAllowed("not_allowed")
    return row[1]


async def record_feedback(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int, outbox_id: int, helpful: bool
) -> None:
    """👍/👎 on a tip the resident received. Only on their own deliveries."""
    async with uow:
        await uow.begin_write()
        resident = await require_onboarded_resident(uow, telegram_user_id)
        tip_id = await delivered_tip_id(uow, resident.id, outbox_id)
        await uow.pushes.record_feedback(
            outbox_id=outbox_id,
            resident_id=resident.id,
            tip_id=tip_id,
            helpful=helpful,
            now=clock.now(),
        )
        await uow.commit()
