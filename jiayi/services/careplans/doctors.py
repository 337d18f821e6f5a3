"""The contracted doctor's side of care plans: a person's items, recording one as done (and
taking it back), long-term prescriptions. Every access is in the resident's audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from jiayi.content.careplans import Rule, RuleBook, RuleKind
from jiayi.services import points
from jiayi.services.careplans.completion import complete
from jiayi.services.careplans.households import (
    Household,
    PlanEntry,
    current_item,
    household_of,
    plan_entry,
    rule_book,
)
from jiayi.services.careplans.model import (
    ASSESSMENT_RULE,
    Outcome,
    Person,
    Source,
    reminder_prefix,
)
from jiayi.services.careplans.rules import items_for, local_today
from jiayi.services.clock import Clock
from jiayi.services.errors import DomainError, InvalidInput, NotAllowed, NotFound
from jiayi.services.push.care import CARD_EDIT
from jiayi.storage.uow import UnitOfWork

PRESCRIPTION_WEEKS = (4, 8, 12)
# Audit-log actions of a doctor's care record (the console's log, shown in /mydata).
AUDIT_VIEW = "care_view"
AUDIT_RECORD = "care_record"
AUDIT_PRESCRIPTION = "prescription"
AUDIT_NUDGE = "nudge"


async def doctor_id_of(uow: UnitOfWork, doctor_telegram_id: int) -> int:
    doctor = await uow.doctors.by_telegram_user(doctor_telegram_id)
    if doctor is None or not doctor.active:
        raise NotAllowed("not_a_doctor")
    return doctor.id


async def own_household(
    uow: UnitOfWork, doctor_id: int, resident_id: int, zone: ZoneInfo
) -> Household:
    contract = await uow.contracts.open_for(resident_id)
    if contract is None or contract.doctor_id != doctor_id:
        # Same answer for "no such resident" and "not yours".
        raise NotAllowed("not_your_resident")
    household = await household_of(uow, resident_id, zone)
    if household is None:
        raise NotAllowed("not_your_resident")
    return household


def person_of(household: Household, member_id: int | None) -> Person:
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


async def audit_access(
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
    book, today = rule_book(rules), local_today(clock, zone)
    async with uow:
        await uow.begin_write()
        doctor_id = await doctor_id_of(uow, doctor_telegram_id)
        household = await own_household(uow, doctor_id, resident_id, zone)
        await audit_access(
            uow, doctor_id, doctor_telegram_id, resident_id, AUDIT_VIEW, clock.now()
        )
        await uow.commit()
    person = person_of(household, member_id)
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
        entries=[plan_entry(i, today, household.is_booked(i)) for i in items],
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
    book, now, today = rule_book(rules), clock.now(), local_today(clock, zone)
    async with uow:
        await uow.begin_write()
        doctor_id = await doctor_id_of(uow, doctor_telegram_id)
        household = await own_household(uow, doctor_id, resident_id, zone)
        person = person_of(household, member_id)
        item = current_item(household, book, rule_id, person, today)
        if item is None:
            raise DomainError("care_item_gone")
        await audit_access(uow, doctor_id, doctor_telegram_id, resident_id, AUDIT_RECORD, now)
        await complete(
            uow,
            item,
            done_on=today,
            source=source,
            now=now,
            doctor_id=doctor_id,
            zone=zone,
            outcome=outcome if item.rule.uncontrolled_days else None,
        )
        await uow.commit()
    return plan_entry(item, today, False)


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
    book, now = rule_book(rules), clock.now()
    rule = book.get(rule_id)
    if rule is None:
        raise NotFound("care_item_gone")
    async with uow:
        await uow.begin_write()
        doctor_id = await doctor_id_of(uow, doctor_telegram_id)
        household = await own_household(uow, doctor_id, resident_id, zone)
        person = person_of(household, member_id)
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
        await audit_access(uow, doctor_id, doctor_telegram_id, resident_id, AUDIT_RECORD, now)
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
        doctor_id = await doctor_id_of(uow, doctor_telegram_id)
        household = await own_household(uow, doctor_id, resident_id, zone)
        person = person_of(household, member_id)
        await audit_access(
            uow, doctor_id, doctor_telegram_id, resident_id, AUDIT_PRESCRIPTION, now
        )
        await uow.careplans.add_prescription(
            resident_id=resident_id,
            member_id=member_id,
            person_key=person.key,
            weeks=weeks,
            prescribed_on=today,
            doctor_id=doctor_id,
            now=now,
        )
        for rule in rule_book(None):
            if rule.kind is RuleKind.REFILL:
                await uow.careplans.cancel_pending(
                    reminder_prefix(person.key, rule.id), cards=CARD_EDIT
                )
        await uow.commit()
    return today + timedelta(weeks=weeks)
