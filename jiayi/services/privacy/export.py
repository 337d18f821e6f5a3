"""The data export (/mydata) and the sections privacy itself reports."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from jiayi.content import CONSENT_NOTICE_VERSION
from jiayi.services.clock import Clock
from jiayi.services.privacy.registry import (
    DataSubject,
    consent_status,
    data_subject,
    export_section,
    export_sections,
    table_section,
)
from jiayi.storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class DataExport:
    generated_at: datetime
    subject: DataSubject
    sections: dict[str, object] = field(default_factory=dict)

    def to_json(self) -> bytes:
        document = {
            "generated_at": self.generated_at.isoformat(),
            "consent_notice_in_force": CONSENT_NOTICE_VERSION,
            "sections": self.sections,
        }
        return json.dumps(document, ensure_ascii=False, indent=2, default=str).encode()

    def count(self, name: str) -> int:
        data = self.sections.get(name)
        return len(data) if isinstance(data, list | dict) else 0


async def export_my_data(uow: UnitOfWork, clock: Clock, telegram_user_id: int) -> DataExport:
    """Everything jiayi holds about the resident and the family members they manage."""
    async with uow:
        subject = await data_subject(uow, telegram_user_id)
        sections = {s.name: await s.collect(uow, subject) for s in export_sections()}
    return DataExport(generated_at=clock.now(), subject=subject, sections=sections)


@export_section("profile", "residents", "resident_conditions", "resident_topic_optouts")
async def _profile(uow: UnitOfWork, subject: DataSubject) -> object:
    r = subject.resident
    [row] = await uow.privacy.rows_about("residents", r.id, [])
    preferences = await uow.pushes.preferences(r.id)
    return {
        **row,
        "conditions": sorted(c.value for c in r.conditions),
        "topics_opted_out": sorted(preferences.opted_out_topics),
        "consent": {
            "notice_version": r.consent_version,
            "consented_at": r.consented_at.isoformat(),
            "withdrawn_at": r.consent_withdrawn_at.isoformat() if r.consent_withdrawn_at else None,
            "status": consent_status(r).value,
        },
    }


@export_section("family_members", "family_members", "family_member_conditions")
async def _family(uow: UnitOfWork, subject: DataSubject) -> object:
    return [
        {
            "id": m.id,
            "name": m.display_name,
            "relation": m.relation.value,
            "birth_date": m.birth_date.isoformat(),
            "sex": m.sex.value if m.sex else None,
            "conditions": sorted(c.value for c in m.conditions),
            "consent": {
                "basis": m.consent_basis.value,
                "given_by_resident_id": m.consented_by_resident_id,
                "notice_version": m.consent_version,
                "recorded_at": m.consent_recorded_at.isoformat(),
            },
        }
        for m in subject.members
    ]


@export_section("contracts", "contracts")
async def _contracts(uow: UnitOfWork, subject: DataSubject) -> object:
    rows = await uow.privacy.rows_about("contracts", subject.resident.id, [])
    for row in rows:
        doctor = await uow.doctors.get(int(str(row["doctor_id"])))
        row["doctor_name"] = doctor.display_name if doctor else None
        row["centre_name"] = doctor.centre_name if doctor else None
    return rows


@export_section("appointments", "appointments", "appointment_events")
async def _appointments(uow: UnitOfWork, subject: DataSubject) -> object:
    rows = await uow.privacy.rows_about("appointments", subject.resident.id, subject.member_ids)
    ids = [int(str(row["id"])) for row in rows]
    details = {a.id: a for a in await uow.booking.appointments(ids)}
    events = await uow.privacy.appointment_events(ids)
    for row in rows:
        a = details.get(int(str(row["id"])))
        if a is not None:
            row.update(
                service_name_zh=a.service_name_zh,
                service_name_en=a.service_name_en,
                starts_at=a.starts_at.isoformat(),
                person_name=a.person_name,
                doctor_name=a.doctor_name,
                centre_name=a.centre_name,
            )
        row["events"] = [e for e in events if e["appointment_id"] == row["id"]]
    return rows


table_section("waiting_list", "waitlist")


table_section("referrals", "referrals")


table_section("tip_feedback", "tip_feedback")


table_section("care_records", "care_records", omit=("person_key",))


table_section("care_prescriptions", "care_prescriptions", omit=("person_key",))


table_section("care_vaccine_answers", "care_vaccine_answers", omit=("person_key",))


table_section("care_pregnancies", "care_pregnancies", omit=("person_key",))


table_section("points_balance", "points_accounts")


table_section("points_ledger", "points_ledger")


table_section("points_lots", "points_lots")


table_section("vouchers", "points_vouchers")


table_section("questions", "questions", omit=("answered_by",))


table_section("home_readings", "home_readings")


table_section("reading_reminders", "reading_reminders")


# The centre's contract-system record the resident confirmed as theirs (services/roster.py).
table_section("roster_record", "roster_entries")


@export_section("doctor_access", "audit_log")
async def _doctor_access(uow: UnitOfWork, subject: DataSubject) -> object:
    # Who looked at or acted on their data, and when; the doctor's own Telegram id stays out.
    return [
        {
            "at": e.at.isoformat(),
            "doctor_id": e.actor_doctor_id,
            "doctor_name": e.actor_doctor_name,
            "action": e.action,
        }
        for e in await uow.console.audit_for_resident(subject.resident.id)
    ]


@export_section("messages", "outbox")
async def _messages(uow: UnitOfWork, subject: DataSubject) -> object:
    rows = await uow.privacy.rows_about(
        "outbox", subject.resident.id, [], omit=("claimed_until", "attempts")
    )
    for row in rows:
        with contextlib.suppress(ValueError):
            row["payload"] = json.loads(str(row["payload"]))
    return rows
