"""Seasonal health pushes: what is due, for whom, and when — planned into the outbox.

Planning is set-based (one INSERT … SELECT per tip variant) and idempotent: the dedupe key
(tip, trigger occurrence, resident) means re-running a plan, a second scheduler, or a restart
mid-plan never queues a tip twice. More specific variants are inserted first, so each resident
gets the most specific of their own variants; then the most specific household variant (a
child, an 80+ parent they look after) is attached to the same row as a carer section — or
planned alone for residents with no own variant. One tip is never more than one message.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.content.localized import pick
from jiayi.content.tips import HOUSEHOLD, Action, Audience, Firing, Library, Tip, Topic
from jiayi.services.clock import Clock
from jiayi.services.errors import InvalidInput, NotAllowed, NotFound
from jiayi.services.people import require_onboarded_resident
from jiayi.services.push import PushKind
from jiayi.services.push.tip import TipPayload, catchup_prefix, tip_prefix
from jiayi.services.tip_parts import TipParts, render_tip
from jiayi.services.tip_review import console_signed_off
from jiayi.storage.records import (
    POSTPARTUM_DAYS,
    AudienceFilter,
    Condition,
    FamilyMemberRecord,
    PregnancyStage,
    PushPreferences,
    Relation,
    ResidentRecord,
)
from jiayi.storage.uow import UnitOfWork

__all__ = ["Action", "Library", "TipParts", "Topic", "render_tip"]  # re-exported for bot/

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


# --- residents' own controls (/tips) -----------------------------------------------------


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
        cutoff = _years_before(day, f.carer_of_age)
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
        cutoff = _years_before(day, f.child_under_years)
        return any(m.relation is Relation.CHILD and m.birth_date > cutoff for m in family)
    return True


def _years_before(day: date, years: int) -> date:
    if day.month == 2 and day.day == 29:
        return date(day.year - years, 2, 28)
    return day.replace(year=day.year - years)


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


async def record_feedback(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int, outbox_id: int, helpful: bool
) -> None:
    """👍/👎 on a tip the resident received. Only on their own deliveries."""
    async with uow:
        await uow.begin_write()
        resident = await require_onboarded_resident(uow, telegram_user_id)
        row = await uow.outbox.get(outbox_id)
        if row is None or row[1] is None:
            raise NotFound("tip_not_found")
        if row[0] != resident.id:
            raise NotAllowed("not_allowed")
        await uow.pushes.record_feedback(
            outbox_id=outbox_id,
            resident_id=resident.id,
            tip_id=row[1],
            helpful=helpful,
            now=clock.now(),
        )
        await uow.commit()


# --- coverage: the ">= 12 a year" promise, measured ------------------------------------------


@dataclass(frozen=True)
class DoctorCoverage:
    doctor_id: int | None
    doctor_name: str | None
    residents: int
    on_track: int
    behind: int


@dataclass(frozen=True)
class CoverageReport:
    year: int
    as_of: date
    target: int
    doctors: list[DoctorCoverage]
    rows: list[tuple[int, int | None, str | None, int, bool, bool, bool]]


async def coverage(
    uow: UnitOfWork, schedule: PushSchedule, clock: Clock, year: int | None = None
) -> CoverageReport:
    """Delivered (not merely planned) tips per resident this year, grouped by family doctor."""
    today = schedule.local_today(clock)
    year = year or today.year
    as_of = today if year == today.year else date(year, 12, 31)
    target = yearly_target_by(as_of)
    start, end = schedule.year_bounds(year)
    async with uow:
        rows = await uow.outbox.coverage(start, end)
    groups: dict[int | None, list[tuple[str | None, bool]]] = {}
    csv_rows = []
    for row in rows:
        on_track = row.delivered >= target
        groups.setdefault(row.doctor_id, []).append((row.doctor_name, on_track))
        csv_rows.append(
            (
                row.resident_id,
                row.doctor_id,
                row.doctor_name,
                row.delivered,
                on_track,
                row.reachable,
                row.paused,
            )
        )
    doctors = [
        DoctorCoverage(
            doctor_id=doctor_id,
            doctor_name=items[0][0],
            residents=len(items),
            on_track=sum(1 for _, ok in items if ok),
            behind=sum(1 for _, ok in items if not ok),
        )
        for doctor_id, items in groups.items()
    ]
    return CoverageReport(year=year, as_of=as_of, target=target, doctors=doctors, rows=csv_rows)


async def tip_more(
    uow: UnitOfWork,
    library: Library,
    schedule: PushSchedule,
    clock: Clock,
    telegram_user_id: int,
    outbox_id: int,
) -> str:
    """The rest of a tip the resident received (the "More" button): only their own."""
    async with uow:
        resident = await require_onboarded_resident(uow, telegram_user_id)
        row = await uow.outbox.tip_row(outbox_id)
        profile_doctor = None
        contract = await uow.contracts.open_for(resident.id)
        if contract is not None:
            doctor = await uow.doctors.get(contract.doctor_id)
            profile_doctor = doctor.display_name if doctor else None
    if row is None or row[1] not in library.tips:
        raise NotFound("tip_not_found")
    if row[0] != resident.id:
        raise NotAllowed("not_allowed")
    today = schedule.local_today(clock)
    text, _ = render_tip(
        library,
        TipParts.from_payload(row[1], row[2]),
        resident.locale,
        full=True,
        name=resident.display_name,
        age=today.year - resident.birth_year if resident.birth_year else None,
        doctor=profile_doctor,
        conditions=sorted(c.value for c in resident.conditions),
    )
    return text


def occasion_name(library: Library, tip_id: str, locale: str) -> str | None:
    """What a tip is for, in words: "立冬", "World Diabetes Day"; None for evergreen tips."""
    from jiayi.content import calendar as cal

    tip = library.tips.get(tip_id)
    if tip is None or tip.trigger.name is None:
        return None
    zh, en = cal.names(tip.trigger.kind, tip.trigger.name)
    return pick(zh, en, locale)
