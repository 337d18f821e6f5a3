"""Care reminders: an outbox row per item and window step (`care:<person>:<rule>:<due>:<step>`),
one household card when several items reach a step the same day, "remind me later"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.content.careplans import Rule, RuleBook
from jiayi.services.careplans.households import (
    Household,
    check_item,
    household_for,
    household_of,
    rule_book,
)
from jiayi.services.careplans.model import KIND_CARE_REMINDER, CareItem, ItemState
from jiayi.services.careplans.rules import awaiting_record, local_today
from jiayi.services.clock import Clock
from jiayi.services.people import require_resident
from jiayi.services.push import care as push
from jiayi.storage.records import ServiceKind
from jiayi.storage.uow import UnitOfWork

SNOOZE = timedelta(days=3)


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
        # Children's vaccines: check the 预防接种证 before booking (no duplicate dose).
        check_record=item.rule.child_vaccine,
        note_zh=item.rule.note("zh-CN"),
        note_en=item.rule.note("en"),
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
    book = rule_book(rules)
    now, today = clock.now(), local_today(clock, zone)
    async with uow_factory() as uow:
        resident_ids = await uow.careplans.plannable_residents(CONSENT_NOTICE_VERSION)
    created = 0
    for resident_id in resident_ids:
        # Read first; only a household with a new step takes the write lock, briefly.
        async with uow_factory() as uow:
            household = await household_of(uow, resident_id, zone)
            if household is None:
                continue
            known = await uow.careplans.queued_keys(resident_id, push.REMINDER_PREFIX)
            for grouped in await uow.careplans.queued_payloads(
                resident_id, KIND_CARE_REMINDER, push.CARD_MARKER
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
    book, today = rule_book(rules), local_today(clock, zone)
    async with uow:
        household = await household_for(uow, await require_resident(uow, telegram_user_id), zone)
        item = check_item(household, book, rule_id, member_id, due, today)
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
    book, now, today = rule_book(rules), clock.now(), local_today(clock, zone)
    async with uow:
        await uow.begin_write()
        household = await household_for(uow, await require_resident(uow, telegram_user_id), zone)
        item = check_item(household, book, rule_id, member_id, due, today)
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
