"""The care rules (content/careplans) applied to one person: pure functions from a profile and
its history to the next item of each rule — recurring follow-ups, once-only and seasonal items,
vaccine and visit series (with catch-up), refills."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from jiayi.content.careplans import Anchor, Dose, Rule, RuleBook, RuleKind, Who
from jiayi.services.careplans.model import ADULT_MONTHS, CareItem, Outcome, Person, VaccineAnswer
from jiayi.services.clock import Clock
from jiayi.services.people import age_in_months
from jiayi.storage.careplans import CareDone, Prescription

# Plans list what falls due within a year; further items show up as their time comes.
PLAN_HORIZON = timedelta(days=366)


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


def _age_months(person: Person, on: date) -> int | None:
    return age_in_months(person.birth, on) if person.birth else None


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


def dose_day(anchor: date, dose: Dose, age_months: int | None = None) -> date:
    months = dose.age_months if age_months is None else age_months
    return add_months(anchor, months) + timedelta(weeks=dose.age_weeks, days=dose.age_days)


def doses_of(history: list[CareDone], rule_id: str, since: date) -> list[date]:
    return sorted(h.done_on for h in history if h.rule_id == rule_id and h.done_on >= since)


def _dose_due(
    rule: Rule, dose: Dose, anchor: date, done: list[date], history: list[CareDone]
) -> date:
    """When a dose of a catch-up series falls due: its age (or an earlier one when another
    series is incomplete), after the minimum interval from the previous dose and from the
    other series' doses it must follow."""
    age_months = dose.age_months
    for early in dose.early:
        if len(doses_of(history, early.rule, anchor)) < early.fewer_than:
            age_months = min(age_months, early.age_months)
    due = dose_day(anchor, dose, age_months)
    if done:
        # Catch-up: a late dose moves the next one by at least the minimum interval.
        after_last = add_months(done[-1], dose.min_interval_months)
        due = max(due, after_last + timedelta(days=dose.min_interval_days))
    for after in dose.after:
        others = doses_of(history, after.rule, anchor)
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
    done = doses_of(history, rule.id, anchor)
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
        and age_in_months(person.birth, max(today, due)) >= rule.before_months
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
    schedule = [(n, d, dose_day(anchor, d)) for n, d in enumerate(rule.doses, start=1)]
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


def awaiting_record(item: CareItem, today: date) -> bool:
    """A child's vaccine dose already past its date while the parent has not said (from the
    预防接种证) whether it was given: no "overdue" reminder, no digest entry, no nudge — a
    child added late has most of them already, and a reminder would risk a second dose."""
    if not item.rule.record or item.person.member_id is None or item.due >= today:
        return False
    answer = item.person.record.get(item.rule.id)
    return answer is None or answer == VaccineAnswer.UNKNOWN
