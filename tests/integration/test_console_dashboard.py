"""The console's dashboard figures and the district report, on a real database (SQLite and
PostgreSQL), against data made here: what an operator and a doctor read."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from jiayi.content.tips import Library
from jiayi.services import booking, pushes, residents
from jiayi.services.clock import ManualClock
from jiayi.services.console import Actor
from jiayi.services.dashboard import Period, build_dashboard
from jiayi.services.dashboard_export import (
    chart_svg,
    district_report_csv,
    district_report_xlsx,
    figure_csv,
)
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.errors import DomainError
from jiayi.services.schedules import create_service, parse_blocks, parse_service, replace_schedule
from jiayi.storage import models as m
from tests.factories import make_centre, make_doctor, make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # Monday 23 Nov, 10:00 local
PERIOD = Period(date(2026, 11, 1), date(2026, 11, 30))
OPERATOR = Actor(telegram_user_id=9001, doctor_id=None, doctor_name=None, is_admin=True)
WANG_USER, LI_USER = 3001, 3002
ANNA, BAO, CHEN = 1, 2, 3  # Anna and Bao are Wang's residents, Chen is Li's


def identity(text: str) -> str:
    return text


async def _world(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, library: Library
) -> tuple[Actor, Actor]:
    clock.set(NOW)
    centre = await make_centre(uow_factory, clock)
    wang = await make_doctor(uow_factory, clock, "王医生")
    li = await make_doctor(uow_factory, clock, "李医生")
    async with uow_factory() as uow:
        await uow.begin_write()
        await uow.doctors.bind_telegram_user(wang.id, WANG_USER)
        await uow.doctors.bind_telegram_user(li.id, LI_USER)
        await uow.commit()
    for user, name, doctor in ((ANNA, "安娜", wang), (BAO, "宝", wang), (CHEN, "陈", li)):
        await make_resident(uow_factory, clock, user, name=name)
        await residents.choose_doctor(uow_factory(), clock, user, doctor.id, SHANGHAI)
    # Tips: Anna's delivered (and rated helpful), Chen's failed.
    await pushes.plan_catch_up(
        uow_factory(), library, pushes.PushSchedule(zone=SHANGHAI), clock, NOW.date()
    )
    async with uow_factory() as uow:
        await uow.begin_write()
        ids = {
            r.telegram_user_id: r.id
            for r in [await uow.residents.by_telegram_user(u) for u in (ANNA, BAO, CHEN)]
            if r is not None
        }
        o = m.OutboxMessage
        await uow.session.execute(
            update(o)
            .where(o.resident_id == ids[ANNA], o.kind == "tip")
            .values(status="sent", sent_at=NOW)
        )
        await uow.session.execute(
            update(o).where(o.resident_id == ids[CHEN], o.kind == "tip").values(status="failed")
        )
        await uow.commit()
        anna_tip = await uow.session.scalar(
            select(o.id).where(o.resident_id == ids[ANNA], o.kind == "tip")
        )
    assert anna_tip is not None
    await pushes.record_feedback(uow_factory(), clock, ANNA, anna_tip, helpful=True)
    # A service with a schedule made through the console's service code; Bao books and
    # doesn't come, Chen books and comes.
    service = await create_service(
        uow_factory(),
        OPERATOR,
        centre.id,
        parse_service(
            {
                "code": "bp_check",
                "kind": "checkup",
                "name": {"zh-CN": "血压检查", "en": "BP check"},
            }
        ),
    )
    await replace_schedule(
        uow_factory(),
        clock,
        OPERATOR,
        service.id,
        parse_blocks(
            [
                {
                    "weekdays": ["tue"],
                    "start": "08:30",
                    "end": "09:30",
                    "slot_minutes": 30,
                    "capacity": 2,
                }
            ]
        ),
        SHANGHAI,
    )
    async with uow_factory() as uow:
        slots = await uow.booking.open_slots(service.id, NOW, NOW + timedelta(days=2))
    slot = slots[0]
    bao = await booking.book(uow_factory(), clock, BAO, slot.id, None, SHANGHAI)
    chen = await booking.book(uow_factory(), clock, CHEN, slot.id, None, SHANGHAI)
    clock.set(slot.starts_at + timedelta(hours=2))
    await booking.mark_attendance(uow_factory(), clock, WANG_USER, bao.id, attended=False)
    await booking.mark_attendance(uow_factory(), clock, WANG_USER, chen.id, attended=True)
    wang_actor = Actor(WANG_USER, wang.id, wang.display_name, is_admin=False)
    li_actor = Actor(LI_USER, li.id, li.display_name, is_admin=False)
    return wang_actor, li_actor


def _rows(figure_rows: tuple[tuple[object, ...], ...], index: int) -> list[object]:
    return [row[index] for row in figure_rows]


async def test_operator_sees_the_centre_and_a_doctor_only_their_own(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, test_library: Library
) -> None:
    wang, li = await _world(uow_factory, clock, test_library)

    centre = await build_dashboard(uow_factory(), clock, OPERATOR, SHANGHAI, PERIOD)
    people = centre.figure("residents")
    assert set(_rows(people.rows, 0)) == {"宝", "安娜", "陈"}
    delivered = {row[0]: row[2] for row in people.rows}
    assert delivered["安娜"] >= 1
    assert delivered["宝"] == 0
    assert delivered["陈"] == 0
    weeks = centre.figure("deliveries")
    assert weeks.total("delivered") == delivered["安娜"]
    assert weeks.total("failed") >= 1  # Chen's
    assert {r[0]: r[1] for r in centre.figure("ratings").rows}  # Anna's 👍
    assert centre.figure("ratings").total("helpful") == 1
    bookings = centre.figure("bookings").rows
    assert [(r[0], r[1], r[2], r[3]) for r in bookings] == [("血压检查 / BP check", 2, 1, 1)]
    coverage = {r[0]: (r[1], r[2]) for r in centre.figure("coverage").rows}
    assert coverage["王医生"][0] == 2
    assert coverage["李医生"][0] == 1

    own = await build_dashboard(uow_factory(), clock, wang, SHANGHAI, PERIOD)
    assert set(_rows(own.figure("residents").rows, 0)) == {"宝", "安娜"}
    assert own.figure("deliveries").total("failed") == 0  # Chen's failure is Li's
    assert [(r[1], r[2], r[3]) for r in own.figure("bookings").rows] == [(1, 0, 1)]
    assert own.doctors == ()  # a doctor gets no doctor picker
    # Asking for another doctor's figures is refused, not silently widened.
    with pytest.raises(DomainError) as refused:
        await build_dashboard(uow_factory(), clock, wang, SHANGHAI, PERIOD, doctor_id=li.doctor_id)
    assert refused.value.code == "resident_not_yours"
    # An operator can look at one doctor.
    li_view = await build_dashboard(
        uow_factory(), clock, OPERATOR, SHANGHAI, PERIOD, doctor_id=li.doctor_id
    )
    assert _rows(li_view.figure("residents").rows, 0) == ["陈"]

    # Every resident listed is in the audit log, as in the bot's doctor console.
    async with uow_factory() as uow:
        audited = await uow.session.scalar(
            select(func.count()).where(
                m.AuditEntry.action == "console_dashboard",
                m.AuditEntry.actor_user_id == WANG_USER,
            )
        )
    assert audited == 2


async def test_district_report_figures_match_the_database(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, test_library: Library
) -> None:
    await _world(uow_factory, clock, test_library)
    report = await build_dashboard(uow_factory(), clock, OPERATOR, SHANGHAI, PERIOD)
    book = load_workbook(io.BytesIO(district_report_xlsx(report, identity)))
    assert book.sheetnames[0] == "Summary"
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=3, values_only=True)}
    start, end = PERIOD.bounds(SHANGHAI)
    o, a, s = m.OutboxMessage, m.Appointment, m.Slot
    async with uow_factory() as uow:
        count = uow.session.scalar
        signed_up = await count(select(func.count()).where(m.Resident.onboarded_at.is_not(None)))
        delivered = await count(
            select(func.count()).where(
                o.kind == "tip", o.status == "sent", o.sent_at >= start, o.sent_at < end
            )
        )
        booked = await count(
            select(func.count())
            .select_from(a)
            .join(s, s.id == a.slot_id)
            .where(
                s.starts_at >= start,
                s.starts_at < end,
                a.status.in_(("booked", "attended", "no_show")),
            )
        )
        attended = await count(select(func.count()).where(a.status == "attended"))
        no_show = await count(select(func.count()).where(a.status == "no_show"))
    assert summary["Residents signed up"] == signed_up == 3
    assert summary["Pushes delivered"] == delivered
    assert delivered >= 1
    assert summary["Appointments booked"] == booked == 2
    assert summary["Appointments attended"] == attended == 1
    assert summary["No-shows"] == no_show == 1
    # One sheet per figure after the summary, each with its table.
    sheet = book["Bookings"]
    assert sheet["A1"].value == "Bookings, attendance and no-shows per service"
    assert [c.value for c in sheet[2]] == ["Service", "Booked", "Attended", "No-show", "Cancelled"]
    assert [c.value for c in sheet[3]] == ["血压检查 / BP check", 2, 1, 1, 0]
    # The CSV forms carry the same numbers.
    text = district_report_csv(report, identity).decode("utf-8-sig")
    assert "血压检查 / BP check,2,1,1,0" in text
    assert figure_csv(report.figure("bookings"), identity).decode("utf-8-sig").splitlines()[1] == (
        "血压检查 / BP check,2,1,1,0"
    )
    svg = chart_svg(report.figure("bookings"), identity)
    assert svg is not None
    assert svg.startswith("<svg")
    assert 'aria-label="Bookings' in svg


async def test_period_bounds_are_local_days() -> None:
    first, last = Period(date(2026, 11, 1), date(2026, 11, 30)).bounds(SHANGHAI)
    assert first == datetime.combine(date(2026, 11, 1), time(), SHANGHAI)
    assert last - first == timedelta(days=30)


async def test_exports_never_run_a_residents_name_as_a_formula(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, test_library: Library
) -> None:
    clock.set(NOW)
    hostile = '=HYPERLINK("http://evil.example","点我")'
    await make_resident(uow_factory, clock, 77, name=hostile)
    report = await build_dashboard(uow_factory(), clock, OPERATOR, SHANGHAI, PERIOD)
    figure = report.figure("residents")
    assert (
        figure_csv(figure, identity)
        .decode("utf-8-sig")
        .splitlines()[1]
        .startswith("\"'=HYPERLINK(")
    )
    from jiayi.services.dashboard_export import figure_xlsx

    sheet = load_workbook(io.BytesIO(figure_xlsx(figure, identity))).worksheets[0]
    assert sheet["A3"].value == hostile
    assert sheet["A3"].data_type == "s"
