"""A household's care plan: the resident and their family members read from storage as
`Person`s with their history, and the plan entries a resident or their doctor sees."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from jiayi.content.careplans import RuleBook, default_rules
from jiayi.content.localized import pick
from jiayi.services.careplans.model import CareItem, ItemState, Person, Pregnancy
from jiayi.services.careplans.rules import awaiting_record, items_for, local_today, next_item
from jiayi.services.clock import Clock
from jiayi.services.errors import DomainError, NotAllowed, NotFound
from jiayi.services.people import member_key, require_resident, resident_birth, resident_key
from jiayi.storage.careplans import BookedService, CareDone, Prescription, by_person
from jiayi.storage.records import Condition, FamilyMemberRecord, ResidentRecord
from jiayi.storage.uow import UnitOfWork


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
    return Person(
        resident_id=resident.id,
        member_id=None,
        name=resident.display_name,
        birth=resident_birth(resident),
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


async def household_for(uow: UnitOfWork, resident: ResidentRecord, zone: ZoneInfo) -> Household:
    contract = await uow.contracts.open_for(resident.id)
    members = await uow.family.list_for(resident.id)
    keys = [resident_key(resident.id)] + [member_key(m.id) for m in members]
    pregnancies = await uow.careplans.pregnancies(keys)
    answers = await uow.careplans.vaccine_answers(keys)
    # The resident's expected date from /profile (`residents.pregnancy_due`) counts when care
    # plans hold no dates of their own.
    due = resident.pregnancy_due
    own = pregnancies.get(keys[0]) or ((due, None) if isinstance(due, date) else None)
    people = [_resident_person(resident, zone, contract is not None, _pregnancy(own))]
    people += [
        _member_person(
            resident,
            m,
            zone,
            _pregnancy(pregnancies.get(member_key(m.id))),
            answers.get(member_key(m.id)),
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


async def household_of(uow: UnitOfWork, resident_id: int, zone: ZoneInfo) -> Household | None:
    resident = await uow.residents.get(resident_id)
    return await household_for(uow, resident, zone) if resident else None


def rule_book(rules: RuleBook | None) -> RuleBook:
    return rules if rules is not None else default_rules()


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
        return pick(self.name_zh, self.name_en, locale)


def plan_entry(item: CareItem, today: date, booked: bool) -> PlanEntry:
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
    book = rule_book(rules)
    today = local_today(clock, zone)
    async with uow:
        household = await household_for(uow, await require_resident(uow, telegram_user_id), zone)
    return [plan_entry(i, today, household.is_booked(i)) for i in household.items(book, today)]


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
        household = await household_for(uow, resident, zone)
    else:
        household = await household_of(uow, resident_id, zone)
    if household is None:
        return []
    items = household.items(rule_book(rules), today)
    return [plan_entry(i, today, household.is_booked(i)) for i in items]


def current_item(
    household: Household, rules: RuleBook, rule_id: str, person: Person, today: date
) -> CareItem | None:
    """The person's current item of a rule, from their history and prescription; a rule no
    longer in the book is `care_item_gone`."""
    rule = rules.get(rule_id)
    if rule is None:
        raise NotFound("care_item_gone")
    return next_item(
        rule,
        person,
        household.history.get(person.key, []),
        household.prescriptions.get(person.key),
        today,
    )


def check_item(
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
    item = current_item(household, rules, rule_id, person, today)
    if item is None or item.due != due:
        # Already recorded, or moved on since the reminder was sent.
        raise DomainError("care_item_gone")
    return item


def remindable_late(household: Household, item: CareItem, today: date) -> bool:
    return (
        item.state(today) is ItemState.OVERDUE
        and not household.is_booked(item)
        and not awaiting_record(item, today)
    )
