"""The doctors' digest of their residents' overdue items (daily, or weekly on Mondays) with
home readings that need a look, and the doctor's one-tap nudge to a resident."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.content.careplans import RuleBook
from jiayi.services.careplans.doctors import AUDIT_NUDGE, audit_access, doctor_id_of, own_household
from jiayi.services.careplans.households import (
    PlanEntry,
    household_of,
    plan_entry,
    remindable_late,
    rule_book,
)
from jiayi.services.careplans.model import KIND_CARE_DIGEST, KIND_CARE_NUDGE
from jiayi.services.careplans.rules import local_today
from jiayi.services.clock import Clock
from jiayi.services.digest_parts import split_digest
from jiayi.services.errors import NotAllowed
from jiayi.services.push import care as push
from jiayi.services.readings_attention import ATTENTION_DAYS, Attention, needing_attention
from jiayi.storage.uow import UnitOfWork

# The weekly digest goes out on Mondays (the centre's local day).
WEEKLY_DIGEST_WEEKDAY = 0


class DigestFrequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    OFF = "off"


DEFAULT_DIGEST = DigestFrequency.WEEKLY


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
        household = await household_of(uow, resident_id, zone)
        if household is None:
            continue
        late = [
            plan_entry(i, today, household.is_booked(i))
            for i in household.items(rules, today)
            if remindable_late(household, i, today)
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
    return await _overdue(uow, doctor_id, today, zone, rule_book(rules))


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
        for r in await _overdue(uow, doctor_id, today, zone or ZoneInfo("UTC"), rule_book(rules))
    }


async def digest_frequency(uow: UnitOfWork, doctor_telegram_id: int) -> DigestFrequency:
    async with uow:
        doctor_id = await doctor_id_of(uow, doctor_telegram_id)
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
        doctor_id = await doctor_id_of(uow, doctor_telegram_id)
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
    book, now, today = rule_book(rules), clock.now(), local_today(clock, zone)
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
    book, now, today = rule_book(rules), clock.now(), local_today(clock, zone)
    async with uow:
        await uow.begin_write()
        doctor_id = await doctor_id_of(uow, doctor_telegram_id)
        household = await own_household(uow, doctor_id, resident_id, zone)
        if household.resident.consent_withdrawn_at is not None:
            # The dispatcher would skip it: the doctor must not be told it was queued.
            raise NotAllowed("resident_withdrew_consent")
        late = [i for i in household.items(book, today) if remindable_late(household, i, today)]
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
            await audit_access(uow, doctor_id, doctor_telegram_id, resident_id, AUDIT_NUDGE, now)
        await uow.commit()
    return queued
