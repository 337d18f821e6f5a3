"""What completes an item: an attended appointment its service fulfils, the doctor's record,
or the resident saying it was done elsewhere; and a booking withdrawing its reminders."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from jiayi.content.careplans import RuleBook
from jiayi.services import points
from jiayi.services.careplans.households import (
    Household,
    PlanEntry,
    check_item,
    household_for,
    household_of,
    plan_entry,
    rule_book,
)
from jiayi.services.careplans.model import (
    ASSESSMENT_RULE,
    CareItem,
    ItemState,
    Outcome,
    Person,
    Source,
    reminder_prefix,
)
from jiayi.services.careplans.rules import local_today, next_item
from jiayi.services.clock import Clock
from jiayi.services.people import person_key, require_resident
from jiayi.services.push.care import CARD_EDIT
from jiayi.storage.records import AppointmentRecord, ServiceKind
from jiayi.storage.uow import UnitOfWork


async def complete(
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
    await uow.careplans.cancel_pending(item.prefix, cards=CARD_EDIT)


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
    book, now, today = rule_book(rules), clock.now(), local_today(clock, zone)
    async with uow:
        await uow.begin_write()
        household = await household_for(uow, await require_resident(uow, telegram_user_id), zone)
        item = check_item(household, book, rule_id, member_id, due, today)
        await complete(uow, item, done_on=today, source=Source.ELSEWHERE, now=now)
        household = await household_for(uow, household.resident, zone)
        await uow.commit()
    following = next_item(
        item.rule,
        item.person,
        household.history.get(item.person.key, []),
        household.prescriptions.get(item.person.key),
        today,
    )
    return plan_entry(following, today, False) if following else None


async def _appointment_context(
    uow: UnitOfWork, appointment: AppointmentRecord
) -> tuple[Household, Person, str, ServiceKind, ZoneInfo] | None:
    service = await uow.booking.service(appointment.service_id)
    if service is None:
        return None
    zone = ZoneInfo(await uow.booking.centre_timezone(service.centre_id) or "UTC")
    household = await household_of(uow, appointment.resident_id, zone)
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
    for rule in rule_book(rules):
        if not rule.fulfilled_by(code, kind):
            continue
        item = next_item(rule, person, history, prescription, day)
        if item is None or item.state(day) is ItemState.UPCOMING:
            continue
        await complete(
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
    key = person_key(appointment.resident_id, appointment.family_member_id)
    for rule in rule_book(rules):
        if rule.fulfilled_by(service.code, service.kind):
            await uow.careplans.cancel_pending(reminder_prefix(key, rule.id), cards=CARD_EDIT)
