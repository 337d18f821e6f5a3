"""Appointment pushes: reminders before an appointment, a seat offered from the waitlist, and
the notice that the centre closed a booked day. Each payload is self-contained (names, times,
the centre's contacts), so rendering reads no database.

Dedupe keys: `appt:<appointment id>:<lead>|closed` and `wait:<waitlist entry id>:offer`; a
cancellation withdraws everything under `appointment_prefix`/`waitlist_prefix`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from jiayi.content.localized import pick
from jiayi.services.push.base import (
    Raw,
    at,
    dump,
    instant,
    iso,
    load,
    optional_int,
    optional_str,
    version_of,
)
from jiayi.services.push.kinds import PushKind


def appointment_prefix(appointment_id: int) -> str:
    """Every push about the appointment (its reminders and closure notice)."""
    return f"appt:{appointment_id}:"


def reminder_key(appointment_id: int, lead: str) -> str:
    return f"{appointment_prefix(appointment_id)}{lead}"


def closed_key(appointment_id: int) -> str:
    return f"{appointment_prefix(appointment_id)}closed"


def waitlist_prefix(entry_id: int) -> str:
    """Every push about the waitlist entry (its seat offer)."""
    return f"wait:{entry_id}:"


def offer_key(entry_id: int) -> str:
    return f"{waitlist_prefix(entry_id)}offer"


@dataclass(frozen=True, slots=True)
class ServiceNames:
    zh: str
    en: str

    def get(self, locale: str) -> str:
        return pick(self.zh, self.en, locale)

    @classmethod
    def read(cls, raw: Raw) -> ServiceNames:
        return cls(str(raw["service_name_zh"]), str(raw["service_name_en"]))


@dataclass(frozen=True, slots=True)
class AppointmentReminder:
    KIND: ClassVar[PushKind] = PushKind.REMINDER

    appointment_id: int
    lead: str
    service: ServiceNames
    starts_at: datetime
    person_name: str
    check_in_code: str
    centre_name: str | None = None
    centre_name_en: str | None = None
    # Until when the resident may still cancel or move it: a reminder sent later offers
    # neither. None in reminders queued before the field existed (they keep their buttons).
    change_until: datetime | None = None
    centre_phone: str | None = None
    centre_address: str | None = None
    version: int = 1

    def centre(self, locale: str) -> str:
        chosen = pick(self.centre_name, self.centre_name_en, locale)
        return chosen or self.centre_name or ""

    def can_change(self, now: datetime) -> bool:
        return self.change_until is None or now < self.change_until

    def to_json(self) -> str:
        return dump(
            {
                "appointment_id": self.appointment_id,
                "lead": self.lead,
                "service_name_zh": self.service.zh,
                "service_name_en": self.service.en,
                "starts_at": self.starts_at.isoformat(),
                "person_name": self.person_name,
                "check_in_code": self.check_in_code,
                "centre_name": self.centre_name,
                "centre_name_en": self.centre_name_en,
                "change_until": iso(self.change_until),
                "centre_phone": self.centre_phone,
                "centre_address": self.centre_address,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> AppointmentReminder:
        raw = load(text)
        starts_at = at(raw["starts_at"])
        return cls(
            appointment_id=int(raw["appointment_id"]),
            lead=str(raw.get("lead", "")),
            service=ServiceNames.read(raw),
            starts_at=starts_at,
            person_name=str(raw["person_name"]),
            check_in_code=str(raw["check_in_code"]),
            centre_name=optional_str(raw.get("centre_name")),
            centre_name_en=optional_str(raw.get("centre_name_en")),
            change_until=instant(raw.get("change_until")),
            centre_phone=optional_str(raw.get("centre_phone")),
            centre_address=optional_str(raw.get("centre_address")),
            version=version_of(raw),
        )


@dataclass(frozen=True, slots=True)
class WaitlistOffer:
    KIND: ClassVar[PushKind] = PushKind.WAITLIST_OFFER

    waitlist_id: int
    service: ServiceNames
    starts_at: datetime
    person_name: str
    offered_until: datetime
    centre_phone: str | None = None
    centre_address: str | None = None
    version: int = 1

    def to_json(self) -> str:
        return dump(
            {
                "waitlist_id": self.waitlist_id,
                "service_name_zh": self.service.zh,
                "service_name_en": self.service.en,
                "starts_at": self.starts_at.isoformat(),
                "person_name": self.person_name,
                "offered_until": self.offered_until.isoformat(),
                "centre_phone": self.centre_phone,
                "centre_address": self.centre_address,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> WaitlistOffer:
        raw = load(text)
        starts_at, until = at(raw["starts_at"]), at(raw["offered_until"])
        return cls(
            waitlist_id=int(raw["waitlist_id"]),
            service=ServiceNames.read(raw),
            starts_at=starts_at,
            person_name=str(raw["person_name"]),
            offered_until=until,
            centre_phone=optional_str(raw.get("centre_phone")),
            centre_address=optional_str(raw.get("centre_address")),
            version=version_of(raw),
        )


@dataclass(frozen=True, slots=True)
class BookingClosed:
    KIND: ClassVar[PushKind] = PushKind.BOOKING_CLOSED

    appointment_id: int
    service_id: int
    member_id: int | None
    service: ServiceNames
    starts_at: datetime
    person_name: str
    reason: str | None = None
    centre_phone: str | None = None
    centre_address: str | None = None
    version: int = 1

    def to_json(self) -> str:
        return dump(
            {
                "appointment_id": self.appointment_id,
                "service_id": self.service_id,
                "member_id": self.member_id,
                "service_name_zh": self.service.zh,
                "service_name_en": self.service.en,
                "starts_at": self.starts_at.isoformat(),
                "person_name": self.person_name,
                "reason": self.reason,
                "centre_phone": self.centre_phone,
                "centre_address": self.centre_address,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> BookingClosed:
        raw = load(text)
        starts_at = at(raw["starts_at"])
        return cls(
            appointment_id=int(raw.get("appointment_id") or 0),
            service_id=int(raw["service_id"]),
            # Falsy ids (0, null) mean the resident themselves.
            member_id=optional_int(raw.get("member_id")) or None,
            service=ServiceNames.read(raw),
            starts_at=starts_at,
            person_name=str(raw["person_name"]),
            reason=optional_str(raw.get("reason")),
            centre_phone=optional_str(raw.get("centre_phone")),
            centre_address=optional_str(raw.get("centre_address")),
            version=version_of(raw),
        )
