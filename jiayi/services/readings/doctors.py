"""The family doctor's view of a resident's readings, and when urgent alerts may reach them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from jiayi.services.clock import Clock
from jiayi.services.console import audit, require_doctor
from jiayi.services.errors import NotAllowed, NotFound
from jiayi.services.people import resident_key
from jiayi.services.readings.summary import Summary, summarise
from jiayi.services.readings.values import SUMMARY_DAYS
from jiayi.services.settings import Settings
from jiayi.storage.records import Condition
from jiayi.storage.uow import UnitOfWork

AUDIT_READINGS = "readings"


FOLLOW_UP_RULES = {
    Condition.HYPERTENSION: "htn_follow_up",
    Condition.DIABETES: "dm_follow_up",
}


@dataclass(frozen=True, slots=True)
class DoctorReadings:
    resident_id: int
    summary: Summary
    # The follow-up rules a review of home readings can complete, by the resident's conditions.
    follow_up_rules: tuple[str, ...]
    can_record: bool  # only the contracted doctor records care
    # The last chronic follow-up on record (seen, or home readings reviewed), if any.
    last_follow_up: date | None = None


async def doctor_view(
    uow: UnitOfWork,
    clock: Clock,
    zone: ZoneInfo,
    settings: Settings,
    doctor_telegram_id: int,
    resident_id: int,
    days: int = SUMMARY_DAYS,
) -> DoctorReadings:
    """A resident's own readings of the last `days` days, for their doctor (or an admin);
    the access is audited like every card."""
    now = clock.now()
    async with uow:
        await uow.begin_write()
        actor = await require_doctor(uow, doctor_telegram_id, settings)
        if not await uow.console.in_scope(actor.scope, resident_id):
            raise NotAllowed("not_your_resident")
        resident = await uow.residents.get(resident_id)
        if resident is None:
            raise NotFound("resident_not_found")
        rows = await uow.readings.for_person(resident_id, None, since=now - timedelta(days=days))
        contract = await uow.contracts.open_for(resident_id)
        history = await uow.careplans.history([resident_key(resident_id)])
        await audit(uow, actor, [resident_id], AUDIT_READINGS, now)
        await uow.commit()
    own = contract is not None and actor.doctor_id == contract.doctor_id
    rules = tuple(rule for c, rule in FOLLOW_UP_RULES.items() if c in resident.conditions)
    return DoctorReadings(
        resident_id=resident_id,
        summary=summarise(resident.display_name, rows, zone),
        follow_up_rules=rules if own else (),
        can_record=own,
        last_follow_up=max(
            (h.done_on for h in history if h.rule_id in FOLLOW_UP_RULES.values()), default=None
        ),
    )


async def alerts_all_hours(uow: UnitOfWork, settings: Settings, doctor_telegram_id: int) -> bool:
    """Whether the doctor gets urgent-reading alerts at any hour (else outside quiet hours,
    21:00–08:00)."""
    async with uow:
        actor = await require_doctor(uow, doctor_telegram_id, settings)
        if actor.doctor_id is None:
            raise NotAllowed("admin_not_a_doctor")
        return await uow.doctors.urgent_alerts_all_hours(actor.doctor_id)


async def set_alerts_all_hours(
    uow: UnitOfWork, settings: Settings, doctor_telegram_id: int, all_hours: bool
) -> None:
    async with uow:
        await uow.begin_write()
        actor = await require_doctor(uow, doctor_telegram_id, settings)
        if actor.doctor_id is None:
            raise NotAllowed("admin_not_a_doctor")
        await uow.doctors.set_urgent_alerts_all_hours(actor.doctor_id, all_hours)
        await uow.commit()
