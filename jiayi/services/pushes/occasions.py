"""A delivered tip's follow-ups: "more on this" and the name of the occasion it was for."""

from __future__ import annotations

from jiayi.content.localized import pick
from jiayi.content.tips import Library
from jiayi.services.clock import Clock
from jiayi.services.errors import NotAllowed, NotFound
from jiayi.services.people import require_onboarded_resident
from jiayi.services.pushes.planning import PushSchedule
from jiayi.services.tip_parts import TipParts, render_tip
from jiayi.storage.uow import UnitOfWork


async def tip_more(
    uow: UnitOfWork,
    library: Library,
    schedule: PushSchedule,
    clock: Clock,
    telegram_user_id: int,
    outbox_id: int,
) -> str:
    """The rest of a tip the resident received (the "More" button): only their own."""
    async with uow:
        resident = await require_onboarded_resident(uow, telegram_user_id)
        row = await uow.outbox.tip_row(outbox_id)
        profile_doctor = None
        contract = await uow.contracts.open_for(resident.id)
        if contract is not None:
            doctor = await uow.doctors.get(contract.doctor_id)
            profile_doctor = doctor.display_name if doctor else None
    if row is None or row[1] not in library.tips:
        raise NotFound("tip_not_found")
    if row[0] != resident.id:
        raise NotAllowed("not_allowed")
    today = schedule.local_today(clock)
    text, _ = render_tip(
        library,
        TipParts.from_payload(row[1], row[2]),
        resident.locale,
        full=True,
        name=resident.display_name,
        age=today.year - resident.birth_year if resident.birth_year else None,
        doctor=profile_doctor,
        conditions=sorted(c.value for c in resident.conditions),
    )
    return text


def occasion_name(library: Library, tip_id: str, locale: str) -> str | None:
    """What a tip is for, in words: "立冬", "World Diabetes Day"; None for evergreen tips."""
    from jiayi.content import calendar as cal

    tip = library.tips.get(tip_id)
    if tip is None or tip.trigger.name is None:
        return None
    zh, en = cal.names(tip.trigger.kind, tip.trigger.name)
    return pick(zh, en, locale)
