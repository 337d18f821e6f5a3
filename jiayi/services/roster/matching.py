"""Matching a resident who shared their own phone number to the roster, and retention of
the entries nobody matched."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from jiayi.services.clock import Clock
from jiayi.services.errors import NotAllowed, NotFound
from jiayi.services.people import require_resident
from jiayi.services.privacy import ConsentStatus, consent_status
from jiayi.services.roster.cells import normalise_phone
from jiayi.storage.records import Condition, Sex
from jiayi.storage.uow import UnitOfWork

CONTRACT_YEARS = 1
RETENTION_DAYS = 365  # unmatched entries: deleted this long after their contract ended


@dataclass(frozen=True, slots=True)
class RosterMatch:
    """The record a resident is offered after sharing their own phone number."""

    entry_id: int
    doctor_name: str | None
    conditions: frozenset[Condition]
    birth_year: int | None
    sex: Sex | None


async def offer_for_contact(
    uow: UnitOfWork,
    telegram_user_id: int,
    *,
    contact_user_id: int | None,
    phone: str,
) -> RosterMatch | None:
    """The roster record for the phone number a resident shared, if it is their own contact
    (`contact_user_id` must be the sender: anyone can forward someone else's contact) and an
    unmatched entry lists it. Reads only; nothing is linked until `confirm_match`."""
    if contact_user_id != telegram_user_id:
        raise NotAllowed("contact_not_yours")
    normalised = normalise_phone(phone if phone.startswith("+") else f"+{phone}")
    normalised = normalised or normalise_phone(phone)
    if normalised is None:
        return None
    async with uow:
        resident = await require_resident(uow, telegram_user_id)
        if await uow.roster.for_resident(resident.id) is not None:
            return None
        for entry in await uow.roster.unmatched_by_phone(normalised):
            doctor = await uow.doctors.get(entry.doctor_id) if entry.doctor_id else None
            return RosterMatch(
                entry_id=entry.id,
                doctor_name=doctor.display_name if doctor and doctor.active else None,
                conditions=frozenset(Condition(c) for c in entry.conditions),
                birth_year=entry.birth_year,
                sex=Sex(entry.sex) if entry.sex else None,
            )
    return None


async def confirm_match(
    uow: UnitOfWork, clock: Clock, zone: ZoneInfo, telegram_user_id: int, entry_id: int
) -> RosterMatch:
    """The resident confirmed the record offered to them: it becomes theirs (birth year, sex,
    conditions, and the contract with the listed doctor, with the roster's dates when they are
    still current). Consent must be in force — the same consent sign-up asks for."""
    now = clock.now()
    today = now.astimezone(zone).date()
    async with uow:
        await uow.begin_write()
        resident = await require_resident(uow, telegram_user_id)
        if consent_status(resident) is not ConsentStatus.CURRENT:
            raise NotAllowed("consent_needed")
        entry = await uow.roster.get(entry_id)
        if entry is None or entry.resident_id is not None:
            raise NotFound("roster_entry_gone")
        if not await uow.roster.match(entry.id, resident.id, now):
            raise NotFound("roster_entry_gone")
        conditions = frozenset(Condition(c) for c in entry.conditions)
        sex = Sex(entry.sex) if entry.sex else resident.sex
        if sex is Sex.MALE:
            conditions -= {Condition.PREGNANT}
        await uow.residents.update(
            resident.id,
            now,
            birth_year=entry.birth_year or resident.birth_year,
            sex=sex.value if sex else None,
        )
        await uow.residents.set_conditions(resident.id, conditions)
        doctor = await uow.doctors.get(entry.doctor_id) if entry.doctor_id else None
        if doctor is not None and doctor.active and doctor.telegram_user_id != telegram_user_id:
            current = await uow.contracts.open_for(resident.id)
            if current is None or current.doctor_id != doctor.id:
                starts = entry.contract_starts_on or today
                ends = entry.contract_ends_on
                if ends is None or ends < today:
                    starts, ends = today, _year_after(today)
                await uow.contracts.end_open(resident.id, now)
                await uow.contracts.add(
                    resident_id=resident.id,
                    doctor_id=doctor.id,
                    starts_on=starts,
                    ends_on=ends,
                    now=now,
                )
        await uow.commit()
    return RosterMatch(
        entry_id=entry.id,
        doctor_name=doctor.display_name if doctor else None,
        conditions=conditions,
        birth_year=entry.birth_year,
        sex=sex,
    )


def _year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + CONTRACT_YEARS) - timedelta(days=1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + CONTRACT_YEARS, day=28) - timedelta(days=1)


# --- retention ------------------------------------------------------------------------------


async def prune_roster(
    uow: UnitOfWork, clock: Clock, zone: ZoneInfo, retention_days: int = RETENTION_DAYS
) -> int:
    """Deletes unmatched entries whose contract ended more than `retention_days` ago (and
    those without an end date not re-imported for that long). Matched entries are the
    resident's and go with /forget. Returns the entries deleted."""
    now = clock.now()
    today = now.astimezone(zone).date()
    async with uow:
        await uow.begin_write()
        deleted = await uow.roster.delete_unmatched_ended_before(
            today - timedelta(days=retention_days)
        )
        deleted += await uow.roster.imported_before_without_end(
            now - timedelta(days=retention_days + 366)
        )
        await uow.commit()
    return deleted
