"""The operator's doctors page: panel sizes, invite with a QR code, revoke, deactivate, move
residents — through the same services as `jiayi doctor …`, on both databases."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest

from jiayi.services import doctors, residents
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.errors import DomainError
from tests.console.conftest import ConsoleClientFactory, make_bound_doctor
from tests.factories import CENTRE_NAME_EN, make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
WANG_USER = 9_501
LI_USER = 9_502
NEW_DOCTOR_USER = 9_503
INVITE_URL = re.compile(r'href="(https://t\.me/jiayi_test_bot\?start=inv_[A-Za-z0-9_-]+)"')


def _row(page: str, name: str) -> str:
    """The table row of the doctor named `name`."""
    start = page.index(f"<td>{name}</td>")
    return page[start : page.index("</tr>", start)]


async def _practice(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> tuple[str, str]:
    """王医生 with two residents, 李医生 with one; their link codes."""
    wang = await make_bound_doctor(uow_factory, clock, WANG_USER, name="王医生")
    li = await make_bound_doctor(uow_factory, clock, LI_USER, name="李医生")
    for user, doctor in ((9_511, wang), (9_512, wang), (9_513, li)):
        await make_resident(uow_factory, clock, user, name=f"居民{user}")
        await residents.choose_doctor(uow_factory(), clock, user, doctor, SHANGHAI)
    codes = []
    for user in (WANG_USER, LI_USER):
        found = await doctors.doctor_for_user(uow_factory(), user)
        assert found is not None
        codes.append(found.link_code)
    return codes[0], codes[1]


async def test_operator_sees_each_doctors_panel_and_state(
    console_client: ConsoleClientFactory, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await _practice(uow_factory, clock)
    operator = await console_client()
    page = await operator.page("/doctors")
    wang = _row(page, "王医生")
    assert '<td class="num">2</td>' in wang
    assert "Active" in wang
    assert '<td class="num">1</td>' in _row(page, "李医生")
    assert CENTRE_NAME_EN in wang
    await operator.use_locale("zh-CN")
    page = await operator.page("/doctors")
    assert "在岗" in _row(page, "王医生")
    assert "邀请新医生" in page


async def test_invite_shows_a_link_and_qr_code_that_make_a_doctor(
    console_client: ConsoleClientFactory, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await _practice(uow_factory, clock)
    operator = await console_client()
    await operator.page("/doctors")
    page = await operator.submit("/doctors/invite", {"name": "赵医生", "centre": "sunshine"})
    assert "Invite for 赵医生" in page
    assert "<svg" in page  # the QR code, inline
    url = INVITE_URL.search(page)
    assert url is not None
    token = url.group(1).rsplit("inv_", 1)[1]
    doctor = await doctors.accept_invite(
        uow_factory(), clock, token=token, telegram_user_id=NEW_DOCTOR_USER
    )
    assert doctor.display_name == "赵医生"
    assert "Active" in _row(await operator.page("/doctors"), "赵医生")


async def test_an_invite_without_a_name_is_refused_with_the_reason(
    console_client: ConsoleClientFactory, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await _practice(uow_factory, clock)
    operator = await console_client(locale="zh-CN")
    await operator.page("/doctors")
    response = await operator.post("/doctors/invite", {"name": "  ", "centre": "sunshine"})
    assert response.status == 400
    assert "请输入新医生的姓名" in await response.text()


async def test_revoked_invites_no_longer_work(
    console_client: ConsoleClientFactory, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    wang_code, _ = await _practice(uow_factory, clock)
    operator = await console_client()
    await operator.page("/doctors")
    page = await operator.submit(f"/doctors/{wang_code}/rebind")
    assert "Whoever opens this link becomes this doctor, with their 2 resident(s)" in page
    url = INVITE_URL.search(page)
    assert url is not None
    assert "Revoke invites" in _row(await operator.page("/doctors"), "王医生")
    page = await operator.submit(f"/doctors/{wang_code}/revoke")
    assert "1 open invite(s) revoked." in page
    with pytest.raises(DomainError):
        await doctors.accept_invite(
            uow_factory(),
            clock,
            token=url.group(1).rsplit("inv_", 1)[1],
            telegram_user_id=NEW_DOCTOR_USER,
        )
    # By pasting the link, too.
    page = await operator.submit(f"/doctors/{wang_code}/rebind")
    url = INVITE_URL.search(page)
    assert url is not None
    page = await operator.submit("/doctors/revoke-link", {"link": url.group(1)})
    assert "1 open invite(s) revoked." in page


async def test_deactivate_then_move_the_residents(
    console_client: ConsoleClientFactory, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    wang_code, li_code = await _practice(uow_factory, clock)
    operator = await console_client()
    await operator.page("/doctors")
    unconfirmed = await operator.post(f"/doctors/{wang_code}/deactivate")
    assert unconfirmed.status == 400
    assert "Tick the box" in await unconfirmed.text()
    assert await doctors.doctor_for_user(uow_factory(), WANG_USER) is not None

    page = await operator.submit(f"/doctors/{wang_code}/deactivate", {"confirm": "yes"})
    assert "2 resident(s) need a new doctor" in page
    assert "Deactivated" in _row(page, "王医生")
    assert await doctors.doctor_for_user(uow_factory(), WANG_USER) is None

    page = await operator.submit("/doctors/move", {"from": wang_code, "to": li_code})
    assert "2 resident(s) moved." in page
    assert '<td class="num">3</td>' in _row(page, "李医生")
    assert '<td class="num">0</td>' in _row(page, "王医生")
    assert await doctors.residents_without_doctor(uow_factory()) == []


async def test_a_doctor_cannot_use_the_doctors_page(
    console_client: ConsoleClientFactory, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    wang_code, li_code = await _practice(uow_factory, clock)
    doctor = await console_client(doctor_user=WANG_USER)
    await doctor.page("/doctors", status=403)
    for path, form in (
        ("/doctors/invite", {"name": "X", "centre": "sunshine"}),
        (f"/doctors/{li_code}/deactivate", {"confirm": "yes"}),
        ("/doctors/move", {"from": li_code, "to": wang_code}),
        (f"/doctors/{li_code}/rebind", {}),
    ):
        assert (await doctor.post(path, form)).status == 403
    assert await doctors.doctor_for_user(uow_factory(), LI_USER) is not None
