"""Care plans: what each resident and family member is due (follow-ups, check-ups, vaccines,
refills, the contract confirmation), reminders for it, and the doctors' digest.

Items are computed, not stored: the rules (content/careplans) applied to a person's profile
and history (attended appointments, doses a doctor recorded, doses the resident reported as
done elsewhere). Only the history is stored, so a rule edited today changes every plan at once.

Reminders are outbox rows keyed `care:<person>:<rule>:<due>:<step>`: one per item per window
step ("open" when the window opens, "late" once the grace days after the due date have
passed), so re-planning sends nothing twice, and completing an item withdraws what is pending
by prefix. Items of a household reaching a step on the same day share one row (a household
card), keyed by its first item and listing every item's key in its payload. Doctors' digests
are keyed per doctor and day; nudges per resident and day.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.content.careplans import Anchor, Dose, Rule, RuleBook, RuleKind, Who, default_rules

# booking calls back into this module (attendance, bookings): import the module, not names.
from jiayi.services import booking, points
from jiayi.services.clock import Clock
from jiayi.services.digest_parts import split_digest
from jiayi.services.errors import DomainError, InvalidInput, NotAllowed, NotFound, NotRegistered
from jiayi.services.push import PushKind
from jiayi.services.push import care as push
from jiayi.services.readings_attention import ATTENTION_DAYS, Attention, needing_attention
from jiayi.storage.careplans import GROUP_MARKER, BookedService, CareDone, Prescription, by_person
from jiayi.storage.records import (
    AppointmentRecord,
    Condition,
    FamilyMemberRecord,
    ResidentRecord,
    ServiceKind,
    Sex,
)
from jiayi.storage.uow import UnitOfWork

KIND_CARE_REMINDER = PushKind.CARE_REMINDER
KIND_CARE_NUDGE = PushKind.CARE_NUDGE
KIND_CARE_DIGEST = PushKind.CARE_DIGEST
SNOOZE = timedelta(days=3)
PRESCRIPTION_WEEKS = (4, 8, 12)
ADULT_MONTHS = 18 * 12
# Plans list what falls due within a year; further items show up as their time comes.
PLAN_HORIZON = timedelta(days=366)
# The weekly digest goes out on Mondays (the centre's local day).
WEEKLY_DIGEST_WEEKDAY = 0


# Weeks of pregnancy are counted from the last period: the expected delivery is at 40 weeks.
PREGNANCY_DAYS = 280


class VaccineAnswer(StrEnum):
    """The parent's answer for one vaccine of the vaccination record (预防接种证)."""

    DONE = "done"  # every dose due by now was given
    NOT_DONE = "not_done"
    UNKNOWN = "unknown"  # don't know: check the certificate


class ItemState(StrEnum):
    UPCOMING = "upcoming"
    DUE = "due"  # inside its window, not yet late
    OVERDUE = "overdue"
    # A child's vaccine dose past its date that the parent has not confirmed from the
    # vaccination certificate yet: shown as "check the 预防接种证", never as overdue.
    CHECK_RECORD = "check_record"


# The care-plan rule whose completion is the "annual health assessment" of the points rules.
ASSESSMENT_RULE = "checkup_65"
# Audit-log actions of a doctor's care record (the console's log, shown in /mydata).
AUDIT_VIEW = "care_view"
AUDIT_RECORD = "care_record"
AUDIT_PRESCRIPTION = "prescription"
AUDIT_NUDGE = "nudge"


class Source(StrEnum):
    ATTENDED = "attended"
    DOCTOR = "doctor"
    ELSEWHERE = "elsewhere"
    RECORD = "record"  # the parent's vaccination record: a dose given per schedule
    # The doctor reviewed the person's home readings instead of seeing them in person.
    HOME_READINGS = "readings"  # care_records.source holds 12 characters


class Outcome(StrEnum):
    """How the doctor found a follow-up."""

    CONTROLLED = "controlled"
    UNCONTROLLED = "uncontrolled"


class DigestFrequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    OFF = "off"


DEFAULT_DIGEST = DigestFrequency.WEEKLY


@dataclass(frozen=True, slots=True)
class Pregnancy:
    """The expected delivery date, and the actual one once recorded."""

    expected_on: date
    delivered_on: date | None = None

    @property
    def starts_on(self) -> date:
        """The first day of the last period, from which weeks of pregnancy are counted."""
        return self.expected_on - timedelta(days=PREGNANCY_DAYS)

    @property
    def delivery(self) -> date:
        return self.delivered_on or self.expected_on


@dataclass(frozen=True, slots=True)
class Person:
    resident_id: int
    member_id: int | None
    name: str
    birth: date | None
    conditions: frozenset[Condition]
    enrolled_on: date
    has_contract: bool = False
    sex: Sex | None = None
    pregnancy: Pregnancy | None = None
    # Answers to the vaccination-record question: rule id → VaccineAnswer value.
    record: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"m:{self.member_id}" if self.member_id else f"r:{self.resident_id}"


@dataclass(frozen=True, slots=True)
class CareItem:
    rule: Rule
    person: Person
    due: date
    opens: date  # the reminder window opens
    late_on: date  # the "late" reminder goes out
    dose: int | None = None  # 1-based, for a series

    def state(self, today: date) -> ItemState:
        if today < self.opens:
            return ItemState.UPCOMING
        return ItemState.OVERDUE if today > self.due else ItemState.DUE

    def step(self, today: date) -> str | None:
        """The reminder step reached today, if any."""
        if today >= self.late_on and today > self.due:
            return "late"
        if today >= self.opens:
            return "open"
        return None

    @property
    def prefix(self) -> str:
        return reminder_prefix(self.person.key, self.rule.id)


def reminder_prefix(person_key: str, rule_id: str) -> str:
    return push.item_prefix(person_key, rule_id)


# --- dates --------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _on(year: int, month_day: tuple[int, int]) -> date:
    month, day = month_day
    try:
        return date(year, month, day)
    except ValueError:  # 29 February
        return date(year, month, 28)


def local_today(clock: Clock, zone: ZoneInfo) -> date:
    return clock.now().astimezone(zone).date()


# --- the rules applied to one person -----------------------------------------------------------


def _age_months(person: Person, on: date) -> int | None:
    return booking.age_in_months(person.birth, on) if person.birth else None


def _eligible_from(rule: Rule, person: Person, today: date) -> date | None:
    """The day the person became (or becomes) eligible for the rule; None = never."""
    age = _age_months(person, today)
    if rule.who is Who.CHILD:
        if person.member_id is None or person.birth is None or age is None:
            return None
        if rule.before_months is not None and age >= rule.before_months:
            return None
    elif rule.who is Who.ADULT and person.member_id is not None and (age or 0) < ADULT_MONTHS:
        return None
    if rule.contract and not person.has_contract:
        return None
    if rule.sex is not None and person.sex is not rule.sex:
        return None
    if rule.born_from is not None and (person.birth is None or person.birth < rule.born_from):
        return None
    if rule.from_months is not None:
        if person.birth is None:
            return None
        return max(person.enrolled_on, add_months(person.birth, rule.from_months))
    by_condition = bool(rule.conditions & person.conditions)
    if rule.min_age is None:
        return person.enrolled_on if (by_condition or not rule.conditions) else None
    if by_condition:
        return person.enrolled_on
    if person.birth is None:
        return None
    return add_months(person.birth, rule.min_age * 12)


def _window(rule: Rule, due: date, opens: date | None = None) -> tuple[date, date]:
    return opens or due - timedelta(days=rule.window_days), due + timedelta(days=rule.grace_days)


def next_item(
    rule: Rule,
    person: Person,
    history: list[CareDone],
    prescription: Prescription | None,
    today: date,
) -> CareItem | None:
    """The person's next item for the rule (late, due, or to come), or None."""
    eligible = _eligible_from(rule, person, today)
    if eligible is None:
        return None
    mine = sorted((h for h in history if h.rule_id == rule.id), key=lambda h: h.done_on)
    done = [h.done_on for h in mine]
    start = max(eligible, person.enrolled_on)
    if rule.kind is RuleKind.RECURRING:
        assert rule.every_months is not None
        due = add_months(done[-1], rule.every_months) if done else start
        if mine and rule.uncontrolled_days and mine[-1].outcome == Outcome.UNCONTROLLED:
            # Not controlled at the last visit: seen again within two weeks, not in three
            # months (国家基本公共卫生服务规范 第三版, 分类干预).
            due = mine[-1].done_on + timedelta(days=rule.uncontrolled_days)
            opens, late_on = _window(rule, due)
            return CareItem(rule, person, due, max(opens, mine[-1].done_on), late_on)
        return CareItem(rule, person, due, *_window(rule, due))
    if rule.kind is RuleKind.ONCE:
        return None if done else CareItem(rule, person, start, *_window(rule, start))
    if rule.kind is RuleKind.SEASONAL:
        return _seasonal(rule, person, done, today, start)
    if rule.kind is RuleKind.SERIES:
        return _series(rule, person, history, today)
    if rule.kind is RuleKind.REFILL:
        if prescription is None:
            return None
        if any(d > prescription.prescribed_on for d in done):
            return None
        due = prescription.prescribed_on + timedelta(weeks=prescription.weeks)
        return CareItem(rule, person, due, *_window(rule, due))
    return None


def _season(rule: Rule, year: int) -> tuple[date, date, date]:
    assert rule.opens is not None
    assert rule.due is not None
    assert rule.closes is not None
    opens = _on(year, rule.opens)
    due = _on(year if rule.due >= rule.opens else year + 1, rule.due)
    closes = _on(year if rule.closes >= rule.opens else year + 1, rule.closes)
    return opens, due, closes


def _seasonal(
    rule: Rule, person: Person, done: list[date], today: date, start: date
) -> CareItem | None:
    for year in range(max(today.year, start.year) - 1, max(today.year, start.year) + 2):
        opens, due, closes = _season(rule, year)
        if today > closes or start > closes:
            continue
        if any(opens <= d <= closes for d in done):
            continue  # this season's is done: the next one
        if rule.from_months is not None and start > opens:
            # A child who reaches the age during the season is due from that day, not before.
            due, opens = max(due, start), start
        return CareItem(rule, person, due, *_window(rule, due, opens))
    return None


def _anchor(rule: Rule, person: Person) -> date | None:
    if rule.anchor is Anchor.BIRTH:
        return person.birth
    if person.pregnancy is None:
        return None
    if rule.anchor is Anchor.PREGNANCY:
        return person.pregnancy.starts_on
    return person.pregnancy.delivery


def _offset(anchor: date, dose: Dose, age_months: int | None = None) -> date:
    months = dose.age_months if age_months is None else age_months
    return add_months(anchor, months) + timedelta(weeks=dose.age_weeks, days=dose.age_days)


def _doses_of(history: list[CareDone], rule_id: str, since: date) -> list[date]:
    return sorted(h.done_on for h in history if h.rule_id == rule_id and h.done_on >= since)


def _dose_due(
    rule: Rule, dose: Dose, anchor: date, done: list[date], history: list[CareDone]
) -> date:
    """When a dose of a catch-up series falls due: its age (or an earlier one when another
    series is incomplete), after the minimum interval from the previous dose and from the
    other series' doses it must follow."""
    age_months = dose.age_months
    for early in dose.early:
        if len(_doses_of(history, early.rule, anchor)) < early.fewer_than:
            age_months = min(age_months, early.age_months)
    due = _offset(anchor, dose, age_months)
    if done:
        # Catch-up: a late dose moves the next one by at least the minimum interval.
        after_last = add_months(done[-1], dose.min_interval_months)
        due = max(due, after_last + timedelta(days=dose.min_interval_days))
    for after in dose.after:
        others = _doses_of(history, after.rule, anchor)
        if len(others) >= after.dose:
            given = others[after.dose - 1]
            due = max(due, add_months(given, after.min_months) + timedelta(days=after.min_days))
    return due


def _window_of(rule: Rule, dose: Dose) -> timedelta:
    return timedelta(days=dose.window_days if dose.window_days is not None else rule.window_days)


def _series(rule: Rule, person: Person, history: list[CareDone], today: date) -> CareItem | None:
    anchor = _anchor(rule, person)
    if anchor is None:
        return None
    done = _doses_of(history, rule.id, anchor)
    if rule.catch_up:
        if len(done) >= len(rule.doses):
            return None
        number = len(done) + 1
        dose = rule.doses[number - 1]
        due = _dose_due(rule, dose, anchor, done, history)
    else:
        found = _scheduled_visit(rule, person, anchor, done, today)
        if found is None:
            return None
        number, dose, due = found
    if (
        rule.before_months is not None
        and person.birth is not None
        and booking.age_in_months(person.birth, max(today, due)) >= rule.before_months
    ):
        return None
    opens = max(due - _window_of(rule, dose), anchor)
    return CareItem(rule, person, due, opens, due + timedelta(days=rule.grace_days), dose=number)


def _scheduled_visit(
    rule: Rule, person: Person, anchor: date, done: list[date], today: date
) -> tuple[int, Dose, date] | None:
    """Visits and check-ups are not caught up: the next one not covered by the last visit,
    until the window of the one after it opens (then that one takes its place)."""
    last = done[-1] if done else None
    schedule = [(n, d, _offset(anchor, d)) for n, d in enumerate(rule.doses, start=1)]
    if rule.anchor is Anchor.PREGNANCY and person.pregnancy and person.pregnancy.delivered_on:
        return None  # delivered: no antenatal visit is due any more
    # A visit done once the window of a scheduled one had opened counts for it.
    pending = [v for v in schedule if last is None or v[2] - _window_of(rule, v[1]) > last]
    for index, visit in enumerate(pending):
        following = pending[index + 1] if index + 1 < len(pending) else None
        if following is None or following[2] - _window_of(rule, following[1]) > today:
            return visit
    return None


def items_for(
    rules: RuleBook,
    person: Person,
    history: list[CareDone],
    prescription: Prescription | None,
    today: date,
) -> list[CareItem]:
    found = (next_item(rule, person, history, prescription, today) for rule in rules)
    return sorted(
        (i for i in found if i is not None and i.due <= today + PLAN_HORIZON),
        key=lambda i: (i.due, i.rule.id),
    )


# --- households --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Household:
    resident: ResidentRecord
    people: tuple[Person, ...]
    history: dict[str, list[CareDone]]
    prescriptions: dict[str, Prescription]
    booked: tuple[BookedService, ...]

    def person(self, member_id: int | None) -> Person | None:
        return next((p for p in self.people if p.member_id == member_id), None)

    def items(self, rules: RuleBook, today: date) -> list[CareItem]:
        found = [
            item
            for p in self.people
            for item in items_for(
                rules, p, self.history.get(p.key, []), self.prescriptions.get(p.key), today
            )
        ]
        return sorted(found, key=lambda i: (i.due, i.person.member_id or 0, i.rule.id))

    def is_booked(self, item: CareItem) -> bool:
        return any(
            b.person_key == item.person.key and item.rule.fulfilled_by(b.code, b.kind)
            for b in self.booked
        )


def _pregnancy(found: tuple[date, date | None] | None) -> Pregnancy | None:
    return Pregnancy(*found) if found else None


def _conditions(
    conditions: frozenset[Condition], pregnancy: Pregnancy | None
) -> frozenset[Condition]:
    # A recorded expected date counts as pregnant until the delivery is recorded.
    if pregnancy is not None and pregnancy.delivered_on is None:
        return conditions | {Condition.PREGNANT}
    return conditions


def _resident_person(
    resident: ResidentRecord,
    zone: ZoneInfo,
    has_contract: bool,
    pregnancy: Pregnancy | None = None,
) -> Person:
    birth = date(resident.birth_year, *booking.RESIDENT_BIRTHDAY) if resident.birth_year else None
    return Person(
        resident_id=resident.id,
        member_id=None,
        name=resident.display_name,
        birth=birth,
        conditions=_conditions(resident.conditions, pregnancy),
        sex=resident.sex,
        pregnancy=pregnancy,
        # The day they joined, not the day they last agreed to the notice: agreeing to a new
        # notice version must not restart their care plan (and hide what is overdue).
        enrolled_on=(resident.onboarded_at or resident.consented_at).astimezone(zone).date(),
        has_contract=has_contract,
    )


def _member_person(
    resident: ResidentRecord,
    member: FamilyMemberRecord,
    zone: ZoneInfo,
    pregnancy: Pregnancy | None = None,
    record: Mapping[str, str] | None = None,
) -> Person:
    return Person(
        resident_id=resident.id,
        member_id=member.id,
        name=member.display_name,
        birth=member.birth_date,
        conditions=_conditions(member.conditions, pregnancy),
        enrolled_on=member.consent_recorded_at.astimezone(zone).date(),
        sex=member.sex,
        pregnancy=pregnancy,
        record=record or {},
    )


async def _household(uow: UnitOfWork, resident: ResidentRecord, zone: ZoneInfo) -> Household:
    contract = await uow.contracts.open_for(resident.id)
    members = await uow.family.list_for(resident.id)
    keys = [f"r:{resident.id}"] + [f"m:{m.id}" for m in members]
    pregnancies = await uow.careplans.pregnancies(keys)
    answers = await uow.careplans.vaccine_answers(keys)
    # The resident's expected date from /profile (`residents.pregnancy_due`) counts when care
    # plans hold no dates of their own.
    due = resident.pregnancy_due
    own = pregnancies.get(keys[0]) or ((due, None) if isinstance(due, date) else None)
    people = [_resident_person(resident, zone, contract is not None, _pregnancy(own))]
    people += [
        _member_person(
            resident, m, zone, _pregnancy(pregnancies.get(f"m:{m.id}")), answers.get(f"m:{m.id}")
        )
        for m in members
    ]
    return Household(
        resident=resident,
        people=tuple(people),
        history=by_person(await uow.careplans.history(keys)),
        prescriptions=await uow.careplans.latest_prescriptions(keys),
        booked=tuple(await uow.careplans.booked_services(resident.id)),
    )


async def _household_of(uow: UnitOfWork, resident_id: int, zone: ZoneInfo) -> Household | None:
    resident = await uow.residents.get(resident_id)
    return await _household(uow, resident, zone) if resident else None


async def _resident(uow: UnitOfWork, telegram_user_id: int) -> ResidentRecord:
    resident = await uow.residents.by_telegram_user(telegram_user_id)
    if resident is None:
        raise NotRegistered()
    return resident


def _rules(rules: RuleBook | None) -> RuleBook:
    return rules if rules is not None else default_rules()


# --- the resident's plan ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanEntry:
    rule_id: str
    name_zh: str
    name_en: str
    member_id: int | None
    person_name: str
    due: date
    state: ItemState
    dose: int | None
    booked: bool

    def name(self, locale: str) -> str:
        return self.name_zh if locale == "zh-CN" else self.name_en


def _entry(item: CareItem, today: date, booked: bool) -> PlanEntry:
    return PlanEntry(
        rule_id=item.rule.id,
        name_zh=item.rule.name("zh-CN"),
        name_en=item.rule.name("en"),
        member_id=item.person.member_id,
        person_name=item.person.name,
        due=item.due,
        state=ItemState.CHECK_RECORD if awaiting_record(item, today) else item.state(today),
        dose=item.dose,
        booked=booked,
    )


async def plan(
    uow: UnitOfWork,
    clock: Clock,
    telegram_user_id: int,
    zone: ZoneInfo,
    rules: RuleBook | None = None,
) -> list[PlanEntry]:
    """The resident's and their family's items, overdue first, then by due date."""
    book = _rules(rules)
    today = local_today(clock, zone)
    async with uow:
        household = await _household(uow, await _resident(uow, telegram_user_id), zone)
    return [_entry(i, today, household.is_booked(i)) for i in household.items(book, today)]


async def household_entries(
    uow: UnitOfWork,
    resident_id: int,
    today: date,
    zone: ZoneInfo,
    rules: RuleBook | None = None,
    *,
    resident: ResidentRecord | None = None,
) -> list[PlanEntry]:
    """The household's items as `plan` lists them, for a caller that has already checked who
    may see them (the doctor's resident card). Runs inside the caller's open unit of work;
    `resident`, when the caller read it in that same transaction, is not read again."""
    household: Household | None
    if resident is not None and resident.id == resident_id:
        household = await _household(uow, resident, zone)
    else:
        household = await _household_of(uow, resident_id, zone)
    if household is None:
        return []
    items = household.items(_rules(rules), today)
    return [_entry(i, today, household.is_booked(i)) for i in items]


# --- reminders ---------------------------------------------------------------------------------


def _service_for(rule: Rule, services: list[tuple[int, str, ServiceKind]]) -> int | None:
    return next((sid for sid, code, kind in services if rule.fulfilled_by(code, kind)), None)


def _reminder_payload(
    item: CareItem, step: str, service_id: int | None, today: date
) -> push.CareReminder:
    return push.CareReminder(
        rule=item.rule.id,
        name_zh=item.rule.name("zh-CN"),
        name_en=item.rule.name("en"),
        member_id=item.person.member_id or 0,
        person=item.person.name,
        own=item.person.member_id is None,
        due=item.due,
        dose=item.dose,
        step=step,
        overdue=item.state(today) is ItemState.OVERDUE,
        service_id=service_id,
        check_record=item.rule.child_vaccine,
        note_zh=item.rule.note("zh-CN"),
        note_en=item.rule.note("en"),
    )


def awaiting_record(item: CareItem, today: date) -> bool:
    """A child's vaccine dose already past its date while the parent has not said (from the
    预防接种证) whether it was given: no "overdue" reminder, no digest entry, no nudge — a
    child added late has most of them already, and a reminder would risk a second dose."""
    if not item.rule.record or item.person.member_id is None or item.due >= today:
        return False
    answer = item.person.record.get(item.rule.id)
    return answer is None or answer == VaccineAnswer.UNKNOWN


def _remindable_late(household: Household, item: CareItem, today: date) -> bool:
    return (
        item.state(today) is ItemState.OVERDUE
        and not household.is_booked(item)
        and not awaiting_record(item, today)
    )


def _due_steps(household: Household, rules: RuleBook, today: date) -> list[tuple[CareItem, str]]:
    """Items that reached a reminder step today and aren't booked, with the step."""
    found = []
    for item in household.items(rules, today):
        step = item.step(today)
        if step is None or household.is_booked(item) or awaiting_record(item, today):
            continue
        found.append((item, step))
    return found


def _reminder_key(item: CareItem, step: str) -> str:
    return push.reminder_key(item.prefix, item.due, step)


async def plan_reminders(
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    zone: ZoneInfo,
    rules: RuleBook | None = None,
) -> int:
    """Queues a reminder for every item that reached a new window step (idempotent: each
    step's reminder is queued once). Items already booked wait for their appointment."""
    book = _rules(rules)
    now, today = clock.now(), local_today(clock, zone)
    async with uow_factory() as uow:
        resident_ids = await uow.careplans.plannable_residents(CONSENT_NOTICE_VERSION)
    created = 0
    for resident_id in resident_ids:
        # Read first; only a household with a new step takes the write lock, briefly.
        async with uow_factory() as uow:
            household = await _household_of(uow, resident_id, zone)
            if household is None:
                continue
            known = await uow.careplans.queued_keys(resident_id, push.REMINDER_PREFIX)
            for grouped in await uow.careplans.queued_payloads(
                resident_id, KIND_CARE_REMINDER, GROUP_MARKER
            ):
                known.update(push.card_keys(grouped))
        new = [
            (i, s)
            for i, s in _due_steps(household, book, today)
            if _reminder_key(i, s) not in known
        ]
        if not new:
            continue
        async with uow_factory() as uow:
            await uow.begin_write()
            services = await uow.careplans.services_at_centre_of(resident_id)
            payloads = [
                _reminder_payload(item, step, _service_for(item.rule, services), today)
                for item, step in new
            ]
            keys = [_reminder_key(item, step) for item, step in new]
            # Everything due for the household today goes in one card, one line and one button
            # per item: a new resident or a parent added late has several at once, and five
            # separate cards in one morning is a flood. The card's row is keyed by its first
            # item; the others' keys travel in the payload, so no item is reminded twice.
            payload = payloads[0] if len(new) == 1 else push.CareCard.of(keys, payloads)
            created += await uow.outbox.enqueue(
                resident_id=resident_id,
                kind=KIND_CARE_REMINDER,
                dedupe_key=keys[0],
                payload=payload.to_json(),
                not_before=now,
                now=now,
            )
            await uow.commit()
    return created


def _check_item(
    household: Household,
    rules: RuleBook,
    rule_id: str,
    member_id: int | None,
    due: date,
    today: date,
) -> CareItem:
    person = household.person(member_id)
    if person is None:
        raise NotAllowed("member_not_yours")
    rule = rules.get(rule_id)
    if rule is None:
        raise NotFound("care_item_gone")
    item = next_item(
        rule,
        person,
        household.history.get(person.key, []),
        household.prescriptions.get(person.key),
        today,
    )
    if item is None or item.due != due:
        # Already recorded, or moved on since the reminder was sent.
        raise DomainError("care_item_gone")
    return item


async def reminder_card(
    uow: UnitOfWork,
    clock: Clock,
    telegram_user_id: int,
    zone: ZoneInfo,
    rule_id: str,
    member_id: int | None,
    due: date,
    rules: RuleBook | None = None,
) -> push.CareReminder:
    """One item of a household card, as its own reminder's payload (rendered like a single
    reminder, with its buttons). Refuses an item already recorded or moved on."""
    book, today = _rules(rules), local_today(clock, zone)
    async with uow:
        household = await _household(uow, await _resident(uow, telegram_user_id), zone)
        item = _check_item(household, book, rule_id, member_id, due, today)
        services = await uow.careplans.services_at_centre_of(household.resident.id)
    step = item.step(today) or "open"
    return _reminder_payload(item, step, _service_for(item.rule, services), today)


async def snooze(
    uow: UnitOfWork,
    clock: Clock,
    telegram_user_id: int,
    zone: ZoneInfo,
    rule_id: str,
    member_id: int | None,
    due: date,
    rules: RuleBook | None = None,
) -> datetime:
    """ "Remind me later": the same item again in three days (once per day pressed)."""
    book, now, today = _rules(rules), clock.now(), local_today(clock, zone)
    async with uow:
        await uow.begin_write()
        household = await _household(uow, await _resident(uow, telegram_user_id), zone)
        item = _check_item(household, book, rule_id, member_id, due, today)
        services = await uow.careplans.services_at_centre_of(household.resident.id)
        at = now + SNOOZE
        await uow.outbox.enqueue(
            resident_id=household.resident.id,
            kind=KIND_CARE_REMINDER,
            dedupe_key=_reminder_key(item, f"snooze{today:%Y%m%d}"),
            payload=_reminder_payload(
                item, "snooze", _service_for(item.rule, services), today
            ).to_json(),
            not_before=at,
            now=now,
        )
        await uow.commit()
    return at


async def _complete(
    uow: UnitOfWork,
    item: CareItem,
    *,
    done_on: date,
    source: Source,
    now: datetime,
    appointment_id: int | None = None,
    doctor_id: int | None = None,
    zone: ZoneInfo | None = None,
    outcome: Outcome | None = None,
) -> None:
    if item.rule.id == ASSESSMENT_RULE and source is not Source.ELSEWHERE and zone is not None:
        # The annual check-up of older people is their health assessment: seen by the centre
        # (attended or recorded by the doctor), it earns health points once a person-year.
        await points.award(
            uow,
            now,
            zone,
            item.person.resident_id,
            points.Rule.ANNUAL_ASSESSMENT,
            f"assessment:{item.person.key}:{done_on.year}",
        )
    await uow.careplans.add_done(
        resident_id=item.person.resident_id,
        member_id=item.person.member_id,
        person_key=item.person.key,
        rule_id=item.rule.id,
        done_on=done_on,
        source=source.value,
        now=now,
        appointment_id=appointment_id,
        doctor_id=doctor_id,
        outcome=outcome.value if outcome else None,
    )
    await uow.careplans.cancel_pending(item.prefix)


async def done_elsewhere(
    uow: UnitOfWork,
    clock: Clock,
    telegram_user_id: int,
    zone: ZoneInfo,
    rule_id: str,
    member_id: int | None,
    due: date,
    rules: RuleBook | None = None,
) -> PlanEntry | None:
    """The resident says the item was done elsewhere (today): it completes, its pending
    reminders are withdrawn. Returns the person's next item for the same rule, if any."""
    book, now, today = _rules(rules), clock.now(), local_today(clock, zone)
    async with uow:
        await uow.begin_write()
        household = await _household(uow, await _resident(uow, telegram_user_id), zone)
        item = _check_item(household, book, rule_id, member_id, due, today)
        await _complete(uow, item, done_on=today, source=Source.ELSEWHERE, now=now)
        household = await _household(uow, household.resident, zone)
        await uow.commit()
    following = next_item(
        item.rule,
        item.person,
        household.history.get(item.person.key, []),
        household.prescriptions.get(item.person.key),
        today,
    )
    return _entry(following, today, False) if following else None


# --- booking hooks -----------------------------------------------------------------------------


async def _appointment_context(
    uow: UnitOfWork, appointment: AppointmentRecord
) -> tuple[Household, Person, str, ServiceKind, ZoneInfo] | None:
    service = await uow.booking.service(appointment.service_id)
    if service is None:
        return None
    zone = ZoneInfo(await uow.booking.centre_timezone(service.centre_id) or "UTC")
    household = await _household_of(uow, appointment.resident_id, zone)
    if household is None:
        return None
    person = household.person(appointment.family_member_id)
    if person is None:
        return None
    return household, person, service.code, service.kind, zone


async def on_attendance(
    uow: UnitOfWork,
    now: datetime,
    appointment: AppointmentRecord,
    attended: bool,
    rules: RuleBook | None = None,
) -> None:
    """Called by booking when a doctor marks an appointment: attended completes the person's
    open items its service fulfils (withdrawing their reminders, moving the next due date
    on); a correction to no-show takes that back."""
    if not attended:
        await uow.careplans.remove_for_appointment(appointment.id)
        return
    if await uow.careplans.has_for_appointment(appointment.id):
        return
    found = await _appointment_context(uow, appointment)
    if found is None:
        return
    household, person, code, kind, zone = found
    day = appointment.starts_at.astimezone(zone).date()
    history = household.history.get(person.key, [])
    prescription = household.prescriptions.get(person.key)
    for rule in _rules(rules):
        if not rule.fulfilled_by(code, kind):
            continue
        item = next_item(rule, person, history, prescription, day)
        if item is None or item.state(day) is ItemState.UPCOMING:
            continue
        await _complete(
            uow,
            item,
            done_on=day,
            source=Source.ATTENDED,
            now=now,
            appointment_id=appointment.id,
            zone=zone,
        )


async def on_booked(
    uow: UnitOfWork, appointment: AppointmentRecord, rules: RuleBook | None = None
) -> None:
    """Called by booking: a booked slot for a due item withdraws its pending reminders."""
    service = await uow.booking.service(appointment.service_id)
    if service is None:
        return
    key = (
        f"m:{appointment.family_member_id}"
        if appointment.family_member_id
        else f"r:{appointment.resident_id}"
    )
    for rule in _rules(rules):
        if rule.fulfilled_by(service.code, service.kind):
            await uow.careplans.cancel_pending(reminder_prefix(key, rule.id))


# --- doctors -----------------------------------------------------------------------------------


async def _doctor(uow: UnitOfWork, doctor_telegram_id: int) -> int:
    doctor = await uow.doctors.by_telegram_user(doctor_telegram_id)
    if doctor is None or not doctor.active:
        raise NotAllowed("not_a_doctor")
    return doctor.id


async def _own_household(
    uow: UnitOfWork, doctor_id: int, resident_id: int, zone: ZoneInfo
) -> Household:
    contract = await uow.contracts.open_for(resident_id)
    if contract is None or contract.doctor_id != doctor_id:
        # Same answer for "no such resident" and "not yours".
        raise NotAllowed("not_your_resident")
    household = await _household_of(uow, resident_id, zone)
    if household is None:
        raise NotAllowed("not_your_resident")
    return household


def _person_of(household: Household, member_id: int | None) -> Person:
    person = household.person(member_id)
    if person is None:
        raise NotAllowed("not_your_resident")
    return person


@dataclass(frozen=True, slots=True)
class DoctorView:
    resident_id: int
    member_id: int | None
    person_name: str
    entries: list[PlanEntry]
    prescription_weeks: int | None
    prescribed_on: date | None


async def _audit(
    uow: UnitOfWork,
    doctor_id: int,
    doctor_telegram_id: int,
    resident_id: int,
    action: str,
    now: datetime,
) -> None:
    """The doctor's access goes into the audit log the resident sees in /mydata."""
    await uow.console.audit(
        actor_doctor_id=doctor_id,
        actor_user_id=doctor_telegram_id,
        resident_ids=[resident_id],
        action=action,
        at=now,
        ref_id=None,
    )


async def doctor_view(
    uow: UnitOfWork,
    clock: Clock,
    doctor_telegram_id: int,
    resident_id: int,
    member_id: int | None,
    zone: ZoneInfo,
    rules: RuleBook | None = None,
) -> DoctorView:
    """One person's items, for their contracted doctor only."""
    book, today = _rules(rules), local_today(clock, zone)
    async with uow:
        await uow.begin_write()
        doctor_id = await _doctor(uow, doctor_telegram_id)
        household = await _own_household(uow, doctor_id, resident_id, zone)
        await _audit(uow, doctor_id, doctor_telegram_id, resident_id, AUDIT_VIEW, clock.now())
        await uow.commit()
    person = _person_of(household, member_id)
    items = items_for(
        book,
        person,
        household.history.get(person.key, []),
        household.prescriptions.get(person.key),
        today,
    )
    rx = household.prescriptions.get(person.key)
    return DoctorView(
        resident_id=resident_id,
        member_id=member_id,
        person_name=person.name,
        entries=[_entry(i, today, household.is_booked(i)) for i in items],
        prescription_weeks=rx.weeks if rx else None,
        prescribed_on=rx.prescribed_on if rx else None,
    )


async def record_done(
    uow: UnitOfWork,
    clock: Clock,
    doctor_telegram_id: int,
    resident_id: int,
    member_id: int | None,
    rule_id: str,
    zone: ZoneInfo,
    rules: RuleBook | None = None,
    outcome: Outcome | None = None,
    *,
    source: Source = Source.DOCTOR,
) -> PlanEntry:
    """The contracted doctor records the person's current item of a rule as done today
    (`source`: seen by the doctor, or their home readings reviewed); a follow-up found not
    controlled (`outcome`) brings the next one forward (two weeks for hypertension and
    diabetes)."""
    book, now, today = _rules(rules), clock.now(), local_today(clock, zone)
    async with uow:
        await uow.begin_write()
        doctor_id = await _doctor(uow, doctor_telegram_id)
        household = await _own_household(uow, doctor_id, resident_id, zone)
        person = _person_of(household, member_id)
        rule = book.get(rule_id)
        if rule is None:
            raise NotFound("care_item_gone")
        item = next_item(
            rule,
            person,
            household.history.get(person.key, []),
            household.prescriptions.get(person.key),
            today,
        )
        if item is None:
            raise DomainError("care_item_gone")
        await _audit(uow, doctor_id, doctor_telegram_id, resident_id, AUDIT_RECORD, now)
        await _complete(
            uow,
            item,
            done_on=today,
            source=source,
            now=now,
            doctor_id=doctor_id,
            zone=zone,
            outcome=outcome if rule.uncontrolled_days else None,
        )
        await uow.commit()
    return _entry(item, today, False)


async def undo_done(
    uow: UnitOfWork,
    clock: Clock,
    doctor_telegram_id: int,
    resident_id: int,
    member_id: int | None,
    rule_id: str,
    zone: ZoneInfo,
    *,
    window: timedelta,
    rules: RuleBook | None = None,
) -> Rule:
    """Takes back the doctor's own "done today" for the person's `rule_id` made within
    `window`: the record goes, the reminders its completion withdrew come back, and the
    annual assessment's points are reversed (`undo_expired` if there is nothing to undo)."""
    book, now = _rules(rules), clock.now()
    rule = book.get(rule_id)
    if rule is None:
        raise NotFound("care_item_gone")
    async with uow:
        await uow.begin_write()
        doctor_id = await _doctor(uow, doctor_telegram_id)
        household = await _own_household(uow, doctor_id, resident_id, zone)
        person = _person_of(household, member_id)
        done_on = await uow.careplans.remove_recent_done(
            person_key=person.key, rule_id=rule.id, doctor_id=doctor_id, since=now - window
        )
        if done_on is None:
            raise InvalidInput("undo_expired")
        await uow.careplans.reopen_cancelled(reminder_prefix(person.key, rule.id), now)
        if rule.id == ASSESSMENT_RULE:
            await points.reverse(
                uow,
                now,
                person.resident_id,
                points.Rule.ANNUAL_ASSESSMENT,
                f"assessment:{person.key}:{done_on.year}",
            )
        await _audit(uow, doctor_id, doctor_telegram_id, resident_id, AUDIT_RECORD, now)
        await uow.commit()
    return rule


async def record_prescription(
    uow: UnitOfWork,
    clock: Clock,
    doctor_telegram_id: int,
    resident_id: int,
    member_id: int | None,
    weeks: int,
    zone: ZoneInfo,
) -> date:
    """The doctor records a long-term prescription (4–12 weeks) made today; returns the day
    it runs out. A new prescription replaces the previous one and its pending reminders."""
    if weeks not in PRESCRIPTION_WEEKS:
        raise InvalidInput("prescription_weeks")
    now, today = clock.now(), local_today(clock, zone)
    async with uow:
        await uow.begin_write()
        doctor_id = await _doctor(uow, doctor_telegram_id)
        household = await _own_household(uow, doctor_id, resident_id, zone)
        person = _person_of(household, member_id)
        await _audit(uow, doctor_id, doctor_telegram_id, resident_id, AUDIT_PRESCRIPTION, now)
        await uow.careplans.add_prescription(
            resident_id=resident_id,
            member_id=member_id,
            person_key=person.key,
            weeks=weeks,
            prescribed_on=today,
            doctor_id=doctor_id,
            now=now,
        )
        for rule in _rules(None):
            if rule.kind is RuleKind.REFILL:
                await uow.careplans.cancel_pending(reminder_prefix(person.key, rule.id))
        await uow.commit()
    return today + timedelta(weeks=weeks)


# --- digests and nudges ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OverdueResident:
    resident_id: int
    name: str
    items: list[PlanEntry]


async def _readings_attention(
    uow: UnitOfWork, doctor_id: int, now: datetime
) -> dict[int, tuple[str, Attention]]:
    """The doctor's residents whose last week of home readings needs a look, with names."""
    ids = await uow.careplans.residents_of(doctor_id, CONSENT_NOTICE_VERSION)
    since = now - timedelta(days=ATTENTION_DAYS)
    found: dict[int, tuple[str, Attention]] = {}
    for flagged in needing_attention(await uow.readings.own_since(ids, since)):
        resident = await uow.residents.get(flagged.resident_id)
        if resident is not None:
            found[flagged.resident_id] = (resident.display_name, flagged)
    return found


def _add_readings(
    residents: list[dict[str, Any]], attention: dict[int, tuple[str, Attention]], today: date
) -> None:
    """Adds a home-readings line to each flagged resident's digest entry (a new entry for
    residents with nothing overdue). The renderer words it in the doctor's language."""
    entries = {r["id"]: r for r in residents}
    for resident_id, (name, flagged) in attention.items():
        item = {
            "kind": "readings",
            "person": name,
            "self": True,
            "name_zh": "",
            "name_en": "",
            "due": today.isoformat(),
            "bp": list(flagged.bp_average) if flagged.bp_average else None,
            "fasting": round(flagged.fasting_average, 1)
            if flagged.fasting_average is not None
            else None,
            "urgent": flagged.urgent,
        }
        if resident_id in entries:
            entries[resident_id]["items"].append(item)
        else:
            residents.append({"id": resident_id, "name": name, "items": [item]})


async def _overdue(
    uow: UnitOfWork, doctor_id: int, today: date, zone: ZoneInfo, rules: RuleBook
) -> list[OverdueResident]:
    found = []
    for resident_id in await uow.careplans.residents_of(doctor_id, CONSENT_NOTICE_VERSION):
        household = await _household_of(uow, resident_id, zone)
        if household is None:
            continue
        late = [
            _entry(i, today, household.is_booked(i))
            for i in household.items(rules, today)
            if _remindable_late(household, i, today)
        ]
        if late:
            found.append(OverdueResident(resident_id, household.resident.display_name, late))
    return found


async def overdue_residents(
    uow: UnitOfWork,
    doctor_id: int,
    today: date,
    zone: ZoneInfo,
    rules: RuleBook | None = None,
) -> list[OverdueResident]:
    """The doctor's residents with overdue items, as the digest counts them (the console's
    dashboard). Runs inside the caller's open unit of work; reads only."""
    return await _overdue(uow, doctor_id, today, zone, _rules(rules))


async def overdue_resident_ids(
    uow: UnitOfWork,
    doctor_id: int,
    today: date,
    zone: ZoneInfo | None = None,
    rules: RuleBook | None = None,
) -> set[int]:
    """Residents contracted to the doctor with at least one overdue item (for broadcast
    segments). Runs inside the caller's open unit of work; reads only."""
    return {
        r.resident_id
        for r in await _overdue(uow, doctor_id, today, zone or ZoneInfo("UTC"), _rules(rules))
    }


async def digest_frequency(uow: UnitOfWork, doctor_telegram_id: int) -> DigestFrequency:
    async with uow:
        doctor_id = await _doctor(uow, doctor_telegram_id)
        chosen = (await uow.careplans.digest_frequencies()).get(doctor_id)
    return DigestFrequency(chosen) if chosen else DEFAULT_DIGEST


async def set_digest_frequency(
    uow: UnitOfWork,
    clock: Clock,
    doctor_telegram_id: int,
    frequency: DigestFrequency,
    locale: str,
) -> None:
    """The doctor's choice, and the language their digest is written in (the chat's)."""
    async with uow:
        await uow.begin_write()
        doctor_id = await _doctor(uow, doctor_telegram_id)
        await uow.careplans.set_digest_frequency(doctor_id, frequency.value, clock.now())
        await uow.careplans.set_doctor_locale(doctor_id, locale)
        await uow.commit()


def _digest_due(frequency: DigestFrequency, today: date) -> bool:
    if frequency is DigestFrequency.DAILY:
        return True
    return frequency is DigestFrequency.WEEKLY and today.weekday() == WEEKLY_DIGEST_WEEKDAY


async def plan_digests(
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    zone: ZoneInfo,
    rules: RuleBook | None = None,
) -> int:
    """One digest per doctor on their day (daily, or weekly on Mondays) listing their own
    residents' overdue items; none when nothing is overdue."""
    book, now, today = _rules(rules), clock.now(), local_today(clock, zone)
    async with uow_factory() as uow:
        doctors = await uow.careplans.doctors_with_accounts()
        chosen = await uow.careplans.digest_frequencies()
    created = 0
    for doctor_id in doctors:
        frequency = DigestFrequency(chosen.get(doctor_id, DEFAULT_DIGEST.value))
        if not _digest_due(frequency, today):
            continue
        async with uow_factory() as uow:
            await uow.begin_write()
            late = await _overdue(uow, doctor_id, today, zone, book)
            attention = await _readings_attention(uow, doctor_id, now)
            residents = [
                {
                    "id": r.resident_id,
                    "name": r.name,
                    "items": [
                        {
                            "person": e.person_name,
                            "self": e.member_id is None,
                            "name_zh": e.name_zh,
                            "name_en": e.name_en,
                            "due": e.due.isoformat(),
                        }
                        for e in r.items
                    ],
                }
                for r in late
            ]
            _add_readings(residents, attention, today)
            # Too long for one message: one push per part (digest_parts), none dropped.
            parts = split_digest(residents) if residents else []
            for n, part in enumerate(parts, start=1):
                created += await uow.outbox.enqueue(
                    resident_id=None,
                    doctor_id=doctor_id,
                    kind=KIND_CARE_DIGEST,
                    dedupe_key=push.digest_key(doctor_id, today, n),
                    # The planner's entries are dicts (services.digest_parts measures them).
                    payload=push.CareDigest(
                        day=today,
                        residents=tuple(push.DigestEntry.read(r) for r in part),
                        part=n,
                        parts=len(parts),
                    ).to_json(),
                    not_before=now,
                    now=now,
                )
            await uow.commit()
    return created


async def nudge(
    uow: UnitOfWork,
    clock: Clock,
    doctor_telegram_id: int,
    resident_id: int,
    zone: ZoneInfo,
    rules: RuleBook | None = None,
) -> bool:
    """The doctor's one-tap reminder to a resident about their overdue items. At most one a
    day per resident; False if one was already sent today or nothing is overdue."""
    book, now, today = _rules(rules), clock.now(), local_today(clock, zone)
    async with uow:
        await uow.begin_write()
        doctor_id = await _doctor(uow, doctor_telegram_id)
        household = await _own_household(uow, doctor_id, resident_id, zone)
        if household.resident.consent_withdrawn_at is not None:
            # The dispatcher would skip it: the doctor must not be told it was queued.
            raise NotAllowed("resident_withdrew_consent")
        late = [i for i in household.items(book, today) if _remindable_late(household, i, today)]
        if not late:
            return False
        doctor = await uow.doctors.get(doctor_id)
        queued = await uow.outbox.enqueue(
            resident_id=resident_id,
            kind=KIND_CARE_NUDGE,
            dedupe_key=push.nudge_key(resident_id, today),
            payload=push.CareNudge(
                doctor=doctor.display_name if doctor else "",
                items=tuple(
                    push.CareLine(
                        person=i.person.name,
                        own=i.person.member_id is None,
                        name_zh=i.rule.name("zh-CN"),
                        name_en=i.rule.name("en"),
                        due=i.due,
                    )
                    for i in late
                ),
            ).to_json(),
            not_before=now,
            now=now,
        )
        if queued:
            await _audit(uow, doctor_id, doctor_telegram_id, resident_id, AUDIT_NUDGE, now)
        await uow.commit()
    return queued
