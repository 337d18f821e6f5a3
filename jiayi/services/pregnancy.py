"""Pregnancy as a stage, not a flag: the resident records the expected date of delivery, and
the stage (pregnant, postpartum, none) follows from it and the day — so it ends by itself."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from jiayi.services.clock import Clock
from jiayi.services.errors import InvalidInput
from jiayi.services.people import require_onboarded_resident
from jiayi.services.pushes import pregnancy_stage
from jiayi.storage.records import POSTPARTUM_DAYS, Condition, PregnancyStage
from jiayi.storage.uow import UnitOfWork

__all__ = ["PregnancyStage", "pregnancy_stage", "set_due_date"]

# A pregnancy lasts about 280 days from the last period: a due date further ahead is a typo.
LONGEST_AHEAD = timedelta(days=300)
_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")


def parse_due_date(text: str, today: date) -> date:
    """ "2027-05-20", "2027/5/20" or "2027年5月20日"; within the pregnancy or the year after."""
    match = _DATE.match(text)
    if match is None:
        raise InvalidInput("due_date_format")
    try:
        due = date(*(int(part) for part in match.groups()))
    except ValueError:
        raise InvalidInput("due_date_format") from None
    if due > today + LONGEST_AHEAD or due < today - timedelta(days=POSTPARTUM_DAYS):
        raise InvalidInput("due_date_range")
    return due


async def set_due_date(
    uow: UnitOfWork, clock: Clock, zone: ZoneInfo, telegram_user_id: int, text: str
) -> tuple[date, PregnancyStage | None]:
    """Records the expected date (typed by the resident); returns it and today's stage."""
    today = clock.now().astimezone(zone).date()
    due = parse_due_date(text, today)
    async with uow:
        await uow.begin_write()
        resident = await require_onboarded_resident(uow, telegram_user_id)
        await uow.residents.update(resident.id, clock.now(), pregnancy_due=due)
        await uow.commit()
    return due, pregnancy_stage(replace(resident, pregnancy_due=due), today)


def wants_due_date(conditions: frozenset[Condition]) -> bool:
    return Condition.PREGNANT in conditions
