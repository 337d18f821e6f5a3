"""A pregnancy's dates for care plans: the expected delivery date (antenatal visits are
counted from it) and, once known, the delivery date (postnatal visits at about 7 and 42
days). Stored per person in `care_pregnancies`; a recorded expected date also counts the
person as pregnant for care rules (the flu vaccine in pregnancy) until the delivery.

This is the one place care plans read these dates from: a profile screen that asks for the
expected date should call `record_pregnancy`.
"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from jiayi.services.careplans import PREGNANCY_DAYS, local_today
from jiayi.services.careplans.households import household_for
from jiayi.services.clock import Clock
from jiayi.services.errors import InvalidInput, NotAllowed
from jiayi.services.people import require_resident
from jiayi.services.push.care import CARD_EDIT, item_prefix
from jiayi.storage.records import Sex
from jiayi.storage.uow import UnitOfWork

# An expected date more than this far ahead, or a delivery this long ago, is a typing error.
LATEST_EXPECTED = timedelta(days=PREGNANCY_DAYS + 14)
OLDEST_DELIVERY = timedelta(days=84)


async def record_pregnancy(
    uow: UnitOfWork,
    clock: Clock,
    telegram_user_id: int,
    member_id: int | None,
    expected_on: date,
    zone: ZoneInfo,
    delivered_on: date | None = None,
) -> None:
    """Records (or replaces) the expected delivery date of the resident (`member_id` None)
    or of a family member they manage, and the delivery date once known. Cancels pending
    care reminders counted from the previous dates."""
    now, today = clock.now(), local_today(clock, zone)
    if not today - OLDEST_DELIVERY <= expected_on <= today + LATEST_EXPECTED:
        raise InvalidInput("pregnancy_date")
    if delivered_on is not None and not today - OLDEST_DELIVERY <= delivered_on <= today:
        raise InvalidInput("pregnancy_date")
    async with uow:
        await uow.begin_write()
        household = await household_for(uow, await require_resident(uow, telegram_user_id), zone)
        person = household.person(member_id)
        if person is None:
            raise NotAllowed("member_not_yours")
        if person.sex is Sex.MALE:
            raise InvalidInput("pregnancy_date")
        await uow.careplans.set_pregnancy(
            resident_id=person.resident_id,
            member_id=member_id,
            person_key=person.key,
            expected_on=expected_on,
            delivered_on=delivered_on,
            now=now,
        )
        for rule_id in ("antenatal", "postpartum"):
            await uow.careplans.cancel_pending(item_prefix(person.key, rule_id), cards=CARD_EDIT)
        await uow.commit()
