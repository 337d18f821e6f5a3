"""The children's vaccination record (预防接种证): before jiayi reminds a child's overdue
vaccine doses, the parent says per vaccine whether it was given ("done", "not done", "don't
know — check the certificate").

A child added at three years with no recorded doses would otherwise get about eight
"overdue" reminders at once for doses they almost certainly had — a path to a duplicate dose.
Until the parent answers for a vaccine, its overdue doses are held back (see
`careplans.awaiting_record`); "done" records the doses due by now as given on schedule,
"not done" lets the catch-up reminders go, "don't know" keeps them held back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from jiayi.content.careplans import Rule, RuleBook, default_rules
from jiayi.content.localized import pick
from jiayi.services.careplans import (
    ADULT_MONTHS,
    Household,
    Person,
    Source,
    VaccineAnswer,
    local_today,
)
from jiayi.services.careplans.households import household_for
from jiayi.services.careplans.rules import dose_day, doses_of
from jiayi.services.clock import Clock
from jiayi.services.errors import NotAllowed, NotFound
from jiayi.services.people import age_in_months, require_resident
from jiayi.services.push.care import CARD_EDIT, item_prefix
from jiayi.storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class RecordQuestion:
    """One vaccine of the record: how many doses the schedule gives by now, and the answer."""

    rule_id: str
    name_zh: str
    name_en: str
    doses_by_now: int
    answer: VaccineAnswer | None

    def name(self, locale: str) -> str:
        return pick(self.name_zh, self.name_en, locale)


@dataclass(frozen=True, slots=True)
class ChildRecord:
    member_id: int
    name: str
    questions: tuple[RecordQuestion, ...]

    @property
    def next_question(self) -> RecordQuestion | None:
        return next((q for q in self.questions if q.answer is None), None)


def _scheduled_by(rule: Rule, person: Person, today: date) -> list[date]:
    """The days the schedule gives the rule's doses, up to today."""
    assert person.birth is not None
    days = [dose_day(person.birth, dose) for dose in rule.doses]
    return [d for d in days if d <= today]


def _concerns(rule: Rule, person: Person) -> bool:
    """The vaccine is for this child (sex, birth cohort). A series the child has outgrown is
    still asked: its doses decide the next vaccine (MPSV-A before MPSV-AC)."""
    if rule.sex is not None and person.sex is not rule.sex:
        return False
    return rule.born_from is None or (person.birth is not None and person.birth >= rule.born_from)


def _questions(book: RuleBook, household: Household, person: Person, today: date) -> ChildRecord:
    found = []
    if person.birth is None or age_in_months(person.birth, today) >= ADULT_MONTHS:
        return ChildRecord(person.member_id or 0, person.name, ())  # not a child: no record
    for rule in book:
        if not rule.record:
            continue
        if not _concerns(rule, person):
            continue
        doses = len(_scheduled_by(rule, person, today))
        if doses == 0:
            continue  # nothing given yet by the schedule: nothing to ask
        answer = person.record.get(rule.id)
        found.append(
            RecordQuestion(
                rule_id=rule.id,
                name_zh=rule.name("zh-CN"),
                name_en=rule.name("en"),
                doses_by_now=doses,
                answer=VaccineAnswer(answer) if answer else None,
            )
        )
    assert person.member_id is not None
    return ChildRecord(person.member_id, person.name, tuple(found))


def _child(household: Household, member_id: int) -> Person:
    person = household.person(member_id)
    if person is None or person.member_id is None:
        raise NotAllowed("member_not_yours")
    return person


async def child_record(
    uow: UnitOfWork,
    clock: Clock,
    telegram_user_id: int,
    member_id: int,
    zone: ZoneInfo,
    rules: RuleBook | None = None,
) -> ChildRecord:
    """The record questions for one of the resident's children (empty for an adult)."""
    book, today = rules or default_rules(), local_today(clock, zone)
    async with uow:
        household = await household_for(uow, await require_resident(uow, telegram_user_id), zone)
    return _questions(book, household, _child(household, member_id), today)


async def children_awaiting(
    uow: UnitOfWork,
    clock: Clock,
    telegram_user_id: int,
    zone: ZoneInfo,
    rules: RuleBook | None = None,
) -> list[ChildRecord]:
    """The resident's children with at least one vaccine of the record not answered yet."""
    book, today = rules or default_rules(), local_today(clock, zone)
    async with uow:
        household = await household_for(uow, await require_resident(uow, telegram_user_id), zone)
    records = [
        _questions(book, household, p, today) for p in household.people if p.member_id is not None
    ]
    return [r for r in records if r.next_question is not None]


async def answer(
    uow: UnitOfWork,
    clock: Clock,
    telegram_user_id: int,
    member_id: int,
    rule_id: str,
    given: VaccineAnswer,
    zone: ZoneInfo,
    rules: RuleBook | None = None,
) -> ChildRecord:
    """Records the parent's answer for one vaccine of their child's record; returns the record
    with it. "done" records every dose the schedule gives by today as given on its day (only
    those not recorded yet) and withdraws pending reminders for the vaccine."""
    book, now, today = rules or default_rules(), clock.now(), local_today(clock, zone)
    rule = book.get(rule_id)
    if rule is None or not rule.record:
        raise NotFound("care_item_gone")
    async with uow:
        await uow.begin_write()
        household = await household_for(uow, await require_resident(uow, telegram_user_id), zone)
        person = _child(household, member_id)
        await uow.careplans.set_vaccine_answer(
            resident_id=person.resident_id,
            member_id=member_id,
            person_key=person.key,
            rule_id=rule.id,
            answer=given.value,
            now=now,
        )
        if given is VaccineAnswer.DONE and person.birth is not None:
            recorded = len(doses_of(household.history.get(person.key, []), rule.id, person.birth))
            for day in _scheduled_by(rule, person, today)[recorded:]:
                await uow.careplans.add_done(
                    resident_id=person.resident_id,
                    member_id=member_id,
                    person_key=person.key,
                    rule_id=rule.id,
                    done_on=day,
                    source=Source.RECORD.value,
                    now=now,
                )
            await uow.careplans.cancel_pending(item_prefix(person.key, rule.id), cards=CARD_EDIT)
        household = await household_for(uow, household.resident, zone)
        await uow.commit()
    return _questions(book, household, _child(household, member_id), today)
