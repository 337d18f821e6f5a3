"""The "12 a year" promise, measured on delivered pushes, per family doctor."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update

from jiayi.content.tips import Library
from jiayi.services import pushes, residents
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.pushes import PushSchedule
from jiayi.storage import models as m
from tests.factories import make_doctor, make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCHEDULE = PushSchedule(zone=SHANGHAI)


async def test_coverage_counts_delivered_tips_per_doctor(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, test_library: Library
) -> None:
    clock.set(datetime(2026, 1, 12, 2, tzinfo=UTC))  # 12 Jan: one push expected by now
    wang = await make_doctor(uow_factory, clock, "王医生")
    await make_resident(uow_factory, clock, 1)
    await make_resident(uow_factory, clock, 2)
    await make_resident(uow_factory, clock, 3)
    for user in (1, 2):
        await residents.choose_doctor(uow_factory(), clock, user, wang.id, SHANGHAI)
    await pushes.plan_catch_up(uow_factory(), test_library, SCHEDULE, clock, date(2026, 1, 12))
    # Only resident 1's push was delivered; planned-but-unsent does not count.
    async with uow_factory() as uow:
        await uow.begin_write()  # reads, then writes
        resident = await uow.residents.by_telegram_user(1)
        assert resident is not None
        await uow.session.execute(
            update(m.OutboxMessage)
            .where(m.OutboxMessage.resident_id == resident.id)
            .values(status="sent", sent_at=clock.now())
        )
        await uow.commit()
    report = await pushes.coverage(uow_factory(), SCHEDULE, clock)
    assert report.target == 1
    by_doctor = {d.doctor_name: (d.residents, d.on_track, d.behind) for d in report.doctors}
    assert by_doctor == {"王医生": (2, 1, 1), None: (1, 0, 1)}
    delivered = {row[0]: row[3] for row in report.rows}
    assert sorted(delivered.values()) == [0, 0, 1]

    # Last year's deliveries don't count for this year.
    clock.advance(timedelta(days=365))
    next_year = await pushes.coverage(uow_factory(), SCHEDULE, clock)
    assert all(row[3] == 0 for row in next_year.rows)
