"""The dashboard, services-and-schedules and content-review pages over real HTTP on a real
database (both dialects): what an operator and a doctor see, what they may change."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlalchemy import func, select, update

from jiayi.content.tips import Library
from jiayi.services import pushes, residents
from jiayi.services.clock import ManualClock
from jiayi.services.content_review import default_library
from jiayi.services.database import UnitOfWorkFactory
from jiayi.storage import models as m
from tests.console.conftest import ConsoleClientFactory, make_bound_doctor
from tests.factories import make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
WANG_USER, LI_USER = 9_201, 9_202
ANNA, CHEN = 1, 3  # Anna is Wang's resident, Chen is Li's


async def _residents(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, library: Library
) -> tuple[int, int]:
    """Wang (Anna, one tip delivered) and Li (Chen, nothing delivered); their doctor ids."""
    wang = await make_bound_doctor(uow_factory, clock, WANG_USER, "王医生")
    li = await make_bound_doctor(uow_factory, clock, LI_USER, "李医生")
    for user, name, doctor in ((ANNA, "安娜", wang), (CHEN, "陈", li)):
        await make_resident(uow_factory, clock, user, name=name)
        await residents.choose_doctor(uow_factory(), clock, user, doctor, SHANGHAI)
    schedule = pushes.PushSchedule(zone=SHANGHAI)
    await pushes.plan_catch_up(uow_factory(), library, schedule, clock, clock.now().date())
    async with uow_factory() as uow:
        await uow.begin_write()
        anna = await uow.residents.by_telegram_user(ANNA)
        assert anna is not None
        o = m.OutboxMessage
        first = await uow.session.scalar(
            select(func.min(o.id)).where(o.resident_id == anna.id, o.kind == "tip")
        )
        await uow.session.execute(
            update(o).where(o.id == first).values(status="sent", sent_at=clock.now())
        )
        await uow.commit()
    return wang, li


def _row(page: str, name: str) -> str:
    found = re.search(r"<tr><td>" + re.escape(name) + r"</td>.*?</tr>", page, re.S)
    assert found, name
    return found.group(0)


async def test_operator_dashboard_shows_residents_and_their_delivered_pushes(
    console_client: ConsoleClientFactory,
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    test_library: Library,
) -> None:
    _wang, li = await _residents(uow_factory, clock, test_library)
    operator = await console_client()
    page = await operator.page("/dashboard")
    assert "Residents and their delivered pushes" in page
    assert '<td class="num">1</td>' in _row(page, "安娜")
    assert '<td class="num">0</td>' in _row(page, "陈")
    assert "<svg" in page  # charts are inline SVG, drawn on the server
    # One doctor's figures, chosen by the operator.
    page = await operator.page(f"/dashboard?preset=4w&doctor={li}")
    assert "陈" in page
    assert "安娜" not in page
    # Chinese too.
    await operator.use_locale("zh-CN")
    page = await operator.page("/dashboard")
    assert "居民及其已送达的推送" in page


async def test_doctor_sees_only_their_own_figures(
    console_client: ConsoleClientFactory,
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    test_library: Library,
) -> None:
    _wang, li = await _residents(uow_factory, clock, test_library)
    doctor = await console_client(doctor_user=WANG_USER)
    page = await doctor.page("/dashboard")
    assert "安娜" in page
    assert "陈" not in page
    assert 'name="doctor"' not in page  # no doctor picker for a doctor
    await doctor.page(f"/dashboard?doctor={li}", status=403)
    report = await doctor.get(f"/dashboard/district-report.xlsx?doctor={li}")
    assert report.status == 403
    # Their own district report holds their residents only.
    report = await doctor.get("/dashboard/district-report.xlsx")
    assert report.status == 200
    book = load_workbook(io.BytesIO(await report.read()))
    summary = {r[0]: r[1] for r in book.worksheets[0].iter_rows(min_row=3, values_only=True)}
    assert summary["Residents signed up"] == 1


async def test_district_report_download_matches_the_database(
    console_client: ConsoleClientFactory,
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    test_library: Library,
) -> None:
    await _residents(uow_factory, clock, test_library)
    operator = await console_client()
    response = await operator.get("/dashboard/district-report.xlsx?preset=year")
    assert response.status == 200
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(await response.read()))
    summary = {r[0]: r[1] for r in book.worksheets[0].iter_rows(min_row=3, values_only=True)}
    async with uow_factory() as uow:
        sent = await uow.session.scalar(
            select(func.count()).where(
                m.OutboxMessage.status == "sent", m.OutboxMessage.kind == "tip"
            )
        )
        signed_up = await uow.session.scalar(
            select(func.count()).where(m.Resident.onboarded_at.is_not(None))
        )
    assert summary["Pushes delivered"] == sent == 1
    assert summary["Residents signed up"] == signed_up == 2
    csv = await operator.get("/dashboard/figure/bookings.csv")
    assert csv.status == 200
    assert (await csv.text()).lstrip("\ufeff").startswith("Service,Booked,Attended")


async def test_schedule_edit_needs_the_operator_and_the_csrf_token_and_cuts_slots(
    console_client: ConsoleClientFactory, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_bound_doctor(uow_factory, clock, WANG_USER)
    operator = await console_client()
    await operator.page("/schedules")
    page = await operator.submit(
        "/schedules/services",
        {"code": "bp_check", "kind": "checkup", "name_zh": "血压检查", "name_en": "BP check"},
    )
    assert "Saved" in page
    service_id = int(re.search(r'action="/schedules/services/(\d+)/schedule"', page).group(1))  # type: ignore[union-attr]
    week = {
        "blocks": "1",
        "b0_days": "tue",
        "b0_start": "14:00",
        "b0_end": "15:00",
        "b0_slot_minutes": "30",
        "b0_capacity": "3",
    }
    path = f"/schedules/services/{service_id}/schedule"
    # Without the form's token the change is refused and nothing is cut.
    refused = await operator.post(path, week, csrf=False)
    assert refused.status == 403
    async with uow_factory() as uow:
        assert await uow.schedules.schedules_of(service_id) == []
    # A doctor may look, not change.
    doctor = await console_client(doctor_user=WANG_USER)
    await doctor.page(f"/schedules/services/{service_id}")
    assert (await doctor.post(path, week)).status == 403
    # The operator's edit: the new slots are there for residents at once.
    page = await operator.submit(path, week)
    assert "Residents see the new times" in page
    async with uow_factory() as uow:
        slots = await uow.booking.open_slots(
            service_id, clock.now(), clock.now() + timedelta(days=8)
        )
    local = sorted({s.starts_at.astimezone(SHANGHAI).strftime("%a %H:%M") for s in slots})
    assert local == ["Tue 14:00", "Tue 14:30"]
    assert all(s.capacity == 3 for s in slots)
    # The day's page lists them; a bad schedule is refused with the reason.
    tuesday = (clock.now().astimezone(SHANGHAI) + timedelta(days=1)).date()
    day = await operator.page(f"/schedules/day?day={tuesday.isoformat()}")
    assert "14:00–14:30" in day
    bad = await operator.post(path, {**week, "b0_end": "13:00"})
    assert bad.status == 400
    assert "end must be after start" in await bad.text()
    await operator.use_locale("zh-CN")
    page = await operator.page(f"/schedules/services/{service_id}")
    assert "保存每周排班" in page
    assert "周二" in page


async def test_content_review_preview_and_sign_off(
    console_client: ConsoleClientFactory, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_bound_doctor(uow_factory, clock, WANG_USER)
    library = default_library()
    tip = next(t for t in library if t.review.pending)
    doctor = await console_client(doctor_user=WANG_USER)
    page = await doctor.page("/content")
    assert tip.id in page
    assert "Planned in the next 30 days" in page
    page = await doctor.page(f"/content/tips/{tip.id}")
    assert "Pending clinical review" in page
    assert 'id="preview-zh-CN"' in page
    assert 'id="preview-en"' in page
    section = tip.sources[0].section or tip.sources[0].cite
    # Nothing ticked: refused with the reason.
    refused = await doctor.post(f"/content/tips/{tip.id}/signoff", {})
    assert refused.status == 400
    assert "Tick the source sections you checked." in await refused.text()
    page = await doctor.submit(f"/content/tips/{tip.id}/signoff", {"section": section})
    assert "Sign-off recorded." in page
    assert "Signed off (console)" in page
    assert "signed off by 王医生 on 2026-11-23" in page
    async with uow_factory() as uow:
        signoffs = await uow.reviews.latest_signoffs()
    assert signoffs[tip.id].clinician == "王医生"
    assert signoffs[tip.id].signed_by_user_id == WANG_USER
    assert signoffs[tip.id].sections == (section,)
    await doctor.use_locale("zh-CN")
    page = await doctor.page(f"/content/tips/{tip.id}")
    assert "已审核（控制台）" in page
