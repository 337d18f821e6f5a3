"""Records and vocabulary of people: centres, doctors, residents, family members, contracts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class Condition(StrEnum):
    HYPERTENSION = "hypertension"
    DIABETES = "diabetes_t2"
    HYPERLIPIDAEMIA = "hyperlipidaemia"
    PREGNANT = "pregnant"


class PregnancyStage(StrEnum):
    """Derived from the expected date: pregnant up to it, postpartum for a year after."""

    PREGNANT = "pregnant"
    POSTPARTUM = "postpartum"


POSTPARTUM_DAYS = 365


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"


class Relation(StrEnum):
    CHILD = "child"
    PARENT = "parent"
    SPOUSE = "spouse"


class ConsentBasis(StrEnum):
    """On whose authority a family member's health data is processed (PIPL art. 31)."""

    GUARDIAN = "guardian"  # a parent or guardian for a child under 14
    AUTHORISED = "authorised"  # an adult who asked the resident to manage their care


@dataclass(frozen=True, slots=True)
class CentreRecord:
    id: int
    code: str
    name: str
    name_en: str
    timezone: str
    phone: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class DoctorRecord:
    id: int
    centre_id: int
    centre_name: str
    centre_name_en: str
    display_name: str
    link_code: str
    telegram_user_id: int | None
    active: bool


@dataclass(frozen=True, slots=True)
class ResidentRecord:
    id: int
    telegram_user_id: int
    display_name: str
    locale: str
    birth_year: int | None
    sex: Sex | None
    conditions: frozenset[Condition]
    consent_version: str
    consented_at: datetime
    onboarded_at: datetime | None
    reachable: bool
    consent_withdrawn_at: datetime | None = None
    pregnancy_due: date | None = None


@dataclass(frozen=True, slots=True)
class FamilyMemberRecord:
    id: int
    resident_id: int
    display_name: str
    relation: Relation
    birth_date: date
    sex: Sex | None
    conditions: frozenset[Condition]
    consent_basis: ConsentBasis
    consent_recorded_at: datetime
    consented_by_resident_id: int | None = None
    consent_version: str | None = None


@dataclass(frozen=True, slots=True)
class ContractRecord:
    id: int
    resident_id: int
    doctor_id: int
    starts_on: date
    ends_on: date
