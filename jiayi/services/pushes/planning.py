"""Planning tips into the outbox: each day's firings (one INSERT … SELECT per tip variant,
idempotent by dedupe key), catch-up tips for residents behind the year's target, and what is
due now."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.content.tips import HOUSEHOLD, Audience, Firing, Library, Tip
from jiayi.services.clock import Clock
from jiayi.services.push.tip import TipPayload, catchup_prefix, tip_prefix
from jiayi.services.tip_review import console_signed_off
from jiayi.storage.records import (
    AudienceFilter,
    Condition,
    PregnancyStage,
)
from jiayi.storage.uow import UnitOfWork

YEARLY_TARGET = 12  # pushes a year per resident, as the contract-service measures ask


# Catch-up tips for residents behind the year's target are spread: one a week at most.
CATCH_UP_EVERY_DAYS = 7


QUIET_HOUR_PRESETS: tuple[tuple[int, int], ...] = ((21, 8), (22, 7), (20, 9), (23, 6))


AUDIENCE_FILTERS: dict[Audience, AudienceFilter] = {
    Audience.EVERYONE: AudienceFilter(),
    Audience.CHILDREN: AudienceFilter(child_under_years=14),
    Audience.YOUNG_CHILDREN: AudienceFilter(child_under_years=6),
    Audience.AGE_65: AudienceFilter(min_age=65),
    Audience.AGE_80: AudienceFilter(min_age=80),
    Audience.HYPERTENSION: AudienceFilter(condition=Condition.HYPERTENSION),
    Audience.DIABETES: AudienceFilter(condition=Condition.DIABETES),
    Audience.HYPERLIPIDAEMIA: AudienceFilter(condition=Condition.HYPERLIPIDAEMIA),
    Audience.PREGNANCY: AudienceFilter(pregnancy=PregnancyStage.PREGNANT),
    Audience.POSTPARTUM: AudienceFilter(pregnancy=PregnancyStage.POSTPARTUM),
    Audience.CARER_80: AudienceFilter(carer_of_age=80),
}


@dataclass(frozen=True)
class PushSchedule:
    """When pushes go out, in the centre's time zone."""

    zone: ZoneInfo
    push_hour: int = 9
    grace_days: int = 3
    # False: tips whose clinical review is still pending are not planned (a centre's choice,
    # JIAYI_SEND_PENDING_CONTENT).
    send_pending: bool = True

    def may_send(self, tip: Tip, signed: frozenset[str] = frozenset()) -> bool:
        """`signed`: tips a clinician signed off in the console (services/tip_review.py)."""
        return self.send_pending or not tip.review.pending or tip.id in signed

    def at(self, day: date, hour: int | None = None) -> datetime:
        local = datetime.combine(day, time(hour if hour is not None else self.push_hour))
        return local.replace(tzinfo=self.zone).astimezone(UTC)

    def local_today(self, clock: Clock) -> date:
        return clock.now().astimezone(self.zone).date()

    def year_bounds(self, year: int) -> tuple[datetime, datetime]:
        start = datetime(year, 1, 1, tzinfo=self.zone).astimezone(UTC)
        end = datetime(year + 1, 1, 1, tzinfo=self.zone).astimezone(UTC)
        return start, end


@dataclass(frozen=True)
class PlanReport:
    planned_days: list[date]
    skipped_days: list[date]
    created: int
    catch_up: int


def tip_payload(
    tip: Tip, audience: Audience, occurrence: date | None, household: Audience | None = None
) -> str:
    """`audience` is the main part; `household`, when set, a carer section under it."""
    return TipPayload(tip.id, audience, occurrence, household).to_json()


async def _plan_firing(
    uow: UnitOfWork, firing: Firing, not_before: datetime, now: datetime, day: date
) -> int:
    tip, occurrence = firing.tip, firing.occurrence
    prefix = tip_prefix(tip.id, occurrence)
    own_variants = [v for v in firing.variants if v.audience not in HOUSEHOLD]
    household_variants = [v for v in firing.variants if v.audience in HOUSEHOLD]

    async def plan(audience: Audience) -> int:
        """One row per matching resident without one yet, carrying `audience`'s variant."""
        return await uow.outbox.plan_tip(
            dedupe_prefix=prefix,
            tip_id=tip.id,
            topic=tip.topic.value,
            audience=AUDIENCE_FILTERS[audience],
            payload=tip_payload(tip, audience, occurrence),
            not_before=not_before,
            now=now,
            on_day=day,
            consent_version=CONSENT_NOTICE_VERSION,
        )

    created = 0
    for variant in own_variants:  # most specific first: the first insert wins
        created += await plan(variant.audience)
    for household in household_variants:  # most specific first: attached rows change their
        for own in own_variants:  # payload, so a later household variant skips them
            await uow.outbox.attach_household(
                dedupe_prefix=prefix,
                tip_id=tip.id,
                audience=AUDIENCE_FILTERS[household.audience],
                old_payload=tip_payload(tip, own.audience, occurrence),
                new_payload=tip_payload(tip, own.audience, occurrence, household.audience),
                on_day=day,
            )
        created += await plan(household.audience)
    return created


async def _signed(uow: UnitOfWork, library: Library, schedule: PushSchedule) -> frozenset[str]:
    if schedule.send_pending:
        return frozenset()  # everything may go anyway: no need to read the sign-offs
    return await console_signed_off(uow, library)


async def plan_day(
    uow: UnitOfWork, library: Library, schedule: PushSchedule, clock: Clock, day: date
) -> int:
    """Queues every tip due on `day` for every matching resident. Returns rows created."""
    now = clock.now()
    not_before = schedule.at(day)
    created = 0
    async with uow:
        await uow.begin_write()
        signed = await _signed(uow, library, schedule)
        for firing in library.due_on(day, schedule.zone):
            if schedule.may_send(firing.tip, signed):
                created += await _plan_firing(uow, firing, not_before, now, day)
        await uow.pushes.mark_planned(day, now, created)
        await uow.commit()
    return created


def catch_up_quiet_from(schedule: PushSchedule, day: date) -> datetime:
    """A catch-up tip planned from this instant on keeps `day` free of another one."""
    return schedule.at(day - timedelta(days=CATCH_UP_EVERY_DAYS - 1), 0)


def yearly_target_by(day: date) -> int:
    """How many pushes a resident should have had by the end of `day` to reach 12 by 31 Dec."""
    days_in_year = (date(day.year + 1, 1, 1) - date(day.year, 1, 1)).days
    return min(YEARLY_TARGET, math.ceil(YEARLY_TARGET * day.timetuple().tm_yday / days_in_year))


async def plan_catch_up(
    uow: UnitOfWork, library: Library, schedule: PushSchedule, clock: Clock, day: date
) -> int:
    """Tops up residents who are behind (joined late, paused, unreachable for a while) with
    evergreen tips they haven't had this year: one at a time, at most one every
    `CATCH_UP_EVERY_DAYS` days on top of the calendar's tips. A late joiner may end the year
    below 12; a flood of catch-up tips in their first weeks is worse."""
    now = clock.now()
    year_start, year_end = schedule.year_bounds(day.year)
    slots = [(1, schedule.at(day), yearly_target_by(day))]
    quiet_from = catch_up_quiet_from(schedule, day)
    created = 0
    async with uow:
        await uow.begin_write()
        signed = await _signed(uow, library, schedule)
        for slot, not_before, target in slots:
            if target <= 0:
                continue
            prefix = catchup_prefix(day, slot)
            for tip in library.evergreen():
                if not schedule.may_send(tip, signed):
                    continue
                for variant in tip.variants:
                    created += await uow.outbox.plan_catch_up(
                        dedupe_prefix=prefix,
                        tip_id=tip.id,
                        topic=tip.topic.value,
                        audience=AUDIENCE_FILTERS[variant.audience],
                        payload=tip_payload(tip, variant.audience, None),
                        not_before=not_before,
                        now=now,
                        on_day=day,
                        consent_version=CONSENT_NOTICE_VERSION,
                        year_start=year_start,
                        year_end=year_end,
                        target=target,
                        quiet_from=quiet_from,
                    )
        await uow.commit()
    return created


async def plan_due(
    uow_factory: Callable[[], UnitOfWork], library: Library, schedule: PushSchedule, clock: Clock
) -> PlanReport:
    """Plans today and any missed day within the grace window; older missed days are skipped.

    Safe to run as often as wanted, from as many processes as wanted.
    """
    today = schedule.local_today(clock)
    first = today - timedelta(days=schedule.grace_days)
    async with uow_factory() as uow:
        done = await uow.pushes.planned_days(first, today)
    days = [first + timedelta(days=i) for i in range((today - first).days + 1)]
    todo = [d for d in days if d not in done or d == today]
    created = 0
    for day in todo:
        created += await plan_day(uow_factory(), library, schedule, clock, day)
    # Catch-up looks at every resident's year so far: once a day, on the day's first plan.
    catch_up = 0
    if today not in done:
        catch_up = await plan_catch_up(uow_factory(), library, schedule, clock, today)
    return PlanReport(planned_days=todo, skipped_days=[], created=created, catch_up=catch_up)
