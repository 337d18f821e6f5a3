"""The Rewards page (operators only): the catalogue with stock, editing a reward through the
catalogue loader's rules, and the vouchers issued and redeemed with filters."""

from __future__ import annotations

import html

from jiayi.services import points
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.points import Rule
from tests.console.conftest import ConsoleClientFactory
from tests.integration.test_points import (
    DOCTOR_USER,
    SHANGHAI,
    TCM,
    give,
    make_member,
    reward_id,
    setup_centre,
    stock,
)

RESIDENT = 6101
NEIGHBOUR = 6102
DOCTOR = 9_203


async def issue_vouchers(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> tuple[int, str]:
    await setup_centre(uow_factory, clock)
    ids = []
    for user in (RESIDENT, NEIGHBOUR):
        rid = await make_member(uow_factory, clock, user)
        ids.append(rid)
        await give(uow_factory, clock, rid, f"test:{user}", Rule.CHECKUP)
    tcm = await reward_id(uow_factory, RESIDENT, TCM)
    first = await points.redeem(uow_factory(), clock, RESIDENT, tcm, SHANGHAI)
    await points.redeem(uow_factory(), clock, NEIGHBOUR, tcm, SHANGHAI)
    await points.redeem_voucher(uow_factory(), clock, DOCTOR_USER, first.code)
    return tcm, first.code


async def test_operator_sees_stock_and_vouchers_and_filters_them(
    console_client: ConsoleClientFactory, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    tcm, redeemed_code = await issue_vouchers(uow_factory, clock)
    operator = await console_client(locale="en")
    page = html.unescape(await operator.page("/rewards"))
    assert "Rewards and vouchers" in page
    row = page.split(f'id="reward-{TCM}"', 1)[1].split("</tr>", 1)[0]
    assert f'value="{await stock(uow_factory, tcm)}"' in row
    assert "2 voucher(s)." in page
    page = html.unescape(await operator.page(f"/rewards?status=redeemed&reward={tcm}"))
    assert "1 voucher(s)." in page
    assert redeemed_code in page
    await operator.use_locale("zh-CN")
    page = html.unescape(await operator.page("/rewards?status=active"))
    assert "积分奖品与兑换券" in page
    assert "共 1 张兑换券。" in page
    assert redeemed_code not in page


async def test_operator_edits_a_reward_within_the_catalogue_rules(
    console_client: ConsoleClientFactory, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await setup_centre(uow_factory, clock)
    await make_member(uow_factory, clock, RESIDENT)
    tcm = await reward_id(uow_factory, RESIDENT, TCM)
    operator = await console_client(locale="en")
    await operator.page("/rewards")
    form = {
        "name_zh": "艾灸",
        "name_en": "Moxibustion",
        "cost": "45",
        "stock": "7",
        "valid_days": "30",
        "action": "save",
    }
    page = html.unescape(await operator.submit(f"/rewards/{tcm}", form))
    assert "Saved." in page
    async with uow_factory() as uow:
        reward = await uow.points.reward(tcm)
    assert reward is not None
    assert (reward.name_en, reward.cost, reward.stock, reward.valid_days) == (
        "Moxibustion",
        45,
        7,
        30,
    )
    page = html.unescape(await operator.submit(f"/rewards/{tcm}", {**form, "stock": "-3"}))
    assert "Check these fields: stock" in page
    assert await stock(uow_factory, tcm) == 7
    await operator.submit(f"/rewards/{tcm}", {"action": "withdraw"})
    assert TCM not in {r.code for r in await points.catalogue(uow_factory(), RESIDENT)}


async def test_a_doctor_cannot_open_or_post_to_the_rewards_page(
    console_client: ConsoleClientFactory, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await setup_centre(uow_factory, clock)
    await make_member(uow_factory, clock, RESIDENT)
    tcm = await reward_id(uow_factory, RESIDENT, TCM)
    doctor = await console_client(doctor_user=DOCTOR)
    page = await doctor.page("/", status=200)
    assert 'href="/rewards"' not in page
    await doctor.page("/rewards", status=403)
    refused = await doctor.post(f"/rewards/{tcm}", {"action": "withdraw"})
    assert refused.status == 403
    assert TCM in {r.code for r in await points.catalogue(uow_factory(), RESIDENT)}
