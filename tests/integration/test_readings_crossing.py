"""Home readings where they meet other features: a family member taking over their own
account keeps their readings, and erasing one's data also removes the urgent-reading alert
that went to the doctor with one's name and value."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from content import CONSENT_NOTICE_VERSION
from services import family, privacy, readings
from services.clock import ManualClock
from services.database import UnitOfWorkFactory
from services.family import NewMember, Relation
from services.readings import BloodPressure
from services.residents import Sex
from storage import models as m
from tests.integration.test_readings import RESIDENT, SHANGHAI, _alerts, _setup

FATHER_USER = 1003


async def test_a_parent_who_takes_over_keeps_their_readings(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation caught (the state merged): the take-over moved care history but not home
    readings, and removing the family member deleted them (ON DELETE CASCADE): the father's
    weeks of blood pressure were gone from his own /readings."""
    await _setup(uow_factory, clock)
    father = await family.add_member(
        uow_factory(),
        clock,
        RESIDENT,
        NewMember(Relation.PARENT, "张爸爸", date(1944, 5, 1), Sex.MALE),
    )
    await readings.record_reading(
        uow_factory(), clock, SHANGHAI, RESIDENT, father.id, BloodPressure(152, 94)
    )
    token = await privacy.create_takeover(uow_factory(), clock, RESIDENT, father.id)
    await privacy.accept_takeover(
        uow_factory(),
        clock,
        token=token,
        telegram_user_id=FATHER_USER,
        locale="zh-CN",
        notice_version=CONSENT_NOTICE_VERSION,
    )

    his = await readings.summary(uow_factory(), clock, SHANGHAI, FATHER_USER, None)
    assert (his.person_name, his.bp_count) == ("张爸爸", 1)
    mine = await readings.summary(uow_factory(), clock, SHANGHAI, RESIDENT, None)
    assert mine.bp_count == 0


async def test_erasure_removes_the_doctors_urgent_reading_alert(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation caught (the state merged): erasure deleted the resident's rows but the alert
    is addressed to the doctor (resident_id NULL) and carries the name and "191/118": it
    stayed in the outbox, and a pending one would still have reached the doctor."""
    await _setup(uow_factory, clock)
    await readings.record_reading(
        uow_factory(), clock, SHANGHAI, RESIDENT, None, BloodPressure(191, 118)
    )
    assert len(await _alerts(uow_factory)) == 1
    await privacy.erase_my_data(uow_factory(), clock, RESIDENT)
    assert await _alerts(uow_factory) == []
    async with uow_factory() as uow:
        o = m.OutboxMessage
        left = await uow.session.scalar(
            select(func.count()).select_from(o).where(o.payload.contains("191/118"))
        )
    assert left == 0


async def test_removing_a_member_removes_the_alert_about_them(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation caught: without the member's alert prefix in remove_member, the alert naming
    the removed father with "188/116" stayed (and would still reach the doctor); the
    resident's own alert is kept."""
    await _setup(uow_factory, clock)
    father = await family.add_member(
        uow_factory(), clock, RESIDENT, NewMember(Relation.PARENT, "张爸爸", date(1944, 5, 1))
    )
    await readings.record_reading(
        uow_factory(), clock, SHANGHAI, RESIDENT, father.id, BloodPressure(188, 116)
    )
    await readings.record_reading(
        uow_factory(), clock, SHANGHAI, RESIDENT, None, BloodPressure(185, 112)
    )
    assert len(await _alerts(uow_factory)) == 2
    await family.remove_member(uow_factory(), clock, RESIDENT, father.id)
    [(_doctor, _resident, payload)] = await _alerts(uow_factory)
    assert "185/112" in payload
