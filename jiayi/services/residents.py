"""Residents: consent, onboarding and their own profile.

Every function here acts for the Telegram user who sent the update: a resident is always looked
up by that user's id, so one resident can never read or change another's profile.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from jiayi.services.clock import Clock
from jiayi.services.errors import InvalidInput, NotAllowed, NotFound
from jiayi.services.people import require_resident
from jiayi.services.settings import LOCALES
from jiayi.storage.records import Condition, ContractRecord, DoctorRecord, ResidentRecord, Sex
from jiayi.storage.uow import UnitOfWork

MAX_NAME_LENGTH = 40
OLDEST_AGE = 120
CONTRACT_YEARS = 1

__all__ = [
    "Condition",
    "ProfileView",
    "ResidentRecord",
    "Sex",
    "choose_doctor",
    "complete_onboarding",
    "get_profile",
    "get_resident",
    "locale_from_telegram",
    "parse_birth_year",
    "parse_display_name",
    "record_refusal",
    "register",
    "set_birth_year",
    "set_conditions",
    "set_display_name",
    "set_locale",
    "set_sex",
]


@dataclass(frozen=True, slots=True)
class ProfileView:
    resident: ResidentRecord
    doctor: DoctorRecord | None
    contract: ContractRecord | None
    family_count: int


def locale_from_telegram(language_code: str | None, default: str) -> str:
    """Telegram's language_code (`zh-hans`, `en-US`, …) to one of jiayi's locales."""
    code = (language_code or "").lower()
    if code.startswith("zh"):
        return "zh-CN"
    if code.startswith("en"):
        return "en"
    return default


def _check_locale(locale: str) -> str:
    if locale not in LOCALES:
        raise InvalidInput("unknown_locale")
    return locale


def parse_display_name(text: str) -> str:
    name = " ".join(text.split())
    if not name or name.startswith("/"):
        raise InvalidInput("name_empty")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput("name_too_long", max=MAX_NAME_LENGTH)
    return name


def parse_birth_year(text: str, today: date) -> int:
    """A four-digit year between 120 years ago and this year."""
    digits = text.strip().removesuffix("年").strip()
    low, high = today.year - OLDEST_AGE, today.year
    if not (digits.isdigit() and len(digits) == 4):
        raise InvalidInput("birth_year_format", low=low, high=high)
    year = int(digits)
    if not low <= year <= high:
        raise InvalidInput("birth_year_range", low=low, high=high)
    return year


async def get_resident(uow: UnitOfWork, telegram_user_id: int) -> ResidentRecord | None:
    async with uow:
        return await uow.residents.by_telegram_user(telegram_user_id)


async def sender(uow: UnitOfWork, telegram_user_id: int) -> ResidentRecord | None:
    """The resident an update came from (None before sign-up), read once for the update.

    A resident who writes to the bot has unblocked it: if they were marked unreachable, they
    are marked reachable (one write transaction, only then). `uow` is the update's own unit
    of work; it remembers the record, so the handler's services do not read the same row
    again until they write (`UnitOfWork.remember_resident`).
    """
    resident = await get_resident(uow, telegram_user_id)
    if resident is not None and not resident.reachable:
        resident = await mark_reachable(uow, telegram_user_id)
    if resident is not None:
        uow.remember_resident(resident)
    return resident


async def record_refusal(
    uow: UnitOfWork, clock: Clock, *, notice_version: str, locale: str
) -> None:
    """Declining consent stores only an anonymous count: no id, no name, just the day."""
    async with uow:
        await uow.begin_write()
        await uow.consents.record_refusal(
            notice_version=notice_version, locale=_check_locale(locale), on=clock.now().date()
        )
        await uow.commit()


async def register(
    uow: UnitOfWork,
    clock: Clock,
    *,
    telegram_user_id: int,
    display_name: str,
    locale: str,
    notice_version: str,
) -> ResidentRecord:
    """Creates the resident at the moment of consent; agreeing again refreshes the consent."""
    now = clock.now()
    name = " ".join(display_name.split())[:MAX_NAME_LENGTH] or "-"
    async with uow:
        await uow.begin_write()
        existing = await uow.residents.by_telegram_user(telegram_user_id)
        if existing is None:
            resident = await uow.residents.add(
                telegram_user_id=telegram_user_id,
                display_name=name,
                locale=_check_locale(locale),
                consent_version=notice_version,
                now=now,
            )
        else:
            await uow.residents.update(
                existing.id,
                now,
                consent_version=notice_version,
                consented_at=now,
                consent_withdrawn_at=None,
                locale=_check_locale(locale),
            )
            resident = await require_resident(uow, telegram_user_id)
        await uow.commit()
        return resident


async def _update(uow: UnitOfWork, clock: Clock, telegram_user_id: int, **values: object) -> None:
    async with uow:
        await uow.begin_write()
        resident = await require_resident(uow, telegram_user_id)
        await uow.residents.update(resident.id, clock.now(), **values)
        await uow.commit()


async def set_display_name(uow: UnitOfWork, clock: Clock, telegram_user_id: int, text: str) -> str:
    name = parse_display_name(text)
    await _update(uow, clock, telegram_user_id, display_name=name)
    return name


async def set_birth_year(uow: UnitOfWork, clock: Clock, telegram_user_id: int, text: str) -> int:
    year = parse_birth_year(text, clock.now().date())
    await _update(uow, clock, telegram_user_id, birth_year=year)
    return year


async def set_sex(uow: UnitOfWork, clock: Clock, telegram_user_id: int, sex: Sex) -> None:
    await _update(uow, clock, telegram_user_id, sex=Sex(sex).value)


async def set_locale(uow: UnitOfWork, clock: Clock, telegram_user_id: int, locale: str) -> None:
    await _update(uow, clock, telegram_user_id, locale=_check_locale(locale))


async def set_conditions(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int, conditions: Iterable[Condition]
) -> frozenset[Condition]:
    chosen = frozenset(Condition(c) for c in conditions)
    async with uow:
        await uow.begin_write()
        resident = await require_resident(uow, telegram_user_id)
        if Condition.PREGNANT in chosen and resident.sex is Sex.MALE:
            raise InvalidInput("pregnant_male")
        await uow.residents.set_conditions(resident.id, chosen)
        await uow.residents.update(resident.id, clock.now())
        await uow.commit()
    return chosen


async def choose_doctor(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int, doctor_id: int, zone: ZoneInfo
) -> DoctorRecord:
    """Signs (or moves) the resident's family-doctor contract for a year from today."""
    now = clock.now()
    today = now.astimezone(zone).date()
    async with uow:
        await uow.begin_write()
        resident = await require_resident(uow, telegram_user_id)
        doctor = await uow.doctors.get(doctor_id)
        if doctor is None or not doctor.active:
            raise NotFound("doctor_not_found")
        current = await uow.contracts.open_for(resident.id)
        if current is not None and current.doctor_id == doctor.id:
            return doctor
        if doctor.telegram_user_id == telegram_user_id:
            raise NotAllowed("own_doctor")
        await uow.contracts.end_open(resident.id, now)
        await uow.contracts.add(
            resident_id=resident.id,
            doctor_id=doctor.id,
            starts_on=today,
            ends_on=_add_years(today, CONTRACT_YEARS) - timedelta(days=1),
            now=now,
        )
        await uow.commit()
        return doctor


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


async def complete_onboarding(uow: UnitOfWork, clock: Clock, telegram_user_id: int) -> None:
    async with uow:
        await uow.begin_write()
        resident = await require_resident(uow, telegram_user_id)
        if resident.onboarded_at is None:
            await uow.residents.update(resident.id, clock.now(), onboarded_at=clock.now())
            await uow.commit()


async def get_profile(uow: UnitOfWork, telegram_user_id: int) -> ProfileView:
    async with uow:
        resident = await require_resident(uow, telegram_user_id)
        contract = await uow.contracts.open_for(resident.id)
        doctor = await uow.doctors.get(contract.doctor_id) if contract else None
        family = await uow.family.list_for(resident.id)
        return ProfileView(
            resident=resident, doctor=doctor, contract=contract, family_count=len(family)
        )


async def mark_reachable(uow: UnitOfWork, telegram_user_id: int) -> ResidentRecord:
    """The resident wrote to the bot again after blocking it: pushes may resume."""
    async with uow:
        await uow.begin_write()
        resident = await require_resident(uow, telegram_user_id)
        await uow.pushes.mark_reachable(resident.id)
        await uow.commit()
    return replace(resident, reachable=True)


async def set_reachable(
    uow: UnitOfWork, clock: Clock, telegram_user_id: int, reachable: bool
) -> None:
    """Telegram told us the user blocked (or unblocked) the bot. Their data stays either way."""
    async with uow:
        await uow.begin_write()
        resident = await uow.residents.by_telegram_user(telegram_user_id)
        if resident is None or resident.reachable == reachable:
            return
        if reachable:
            await uow.pushes.mark_reachable(resident.id)
        else:
            await uow.residents.update(
                resident.id, clock.now(), reachable=False, unreachable_since=clock.now()
            )
        await uow.commit()
