"""A voucher redeemed at the desk, through the bot: the redemption is in the resident's
audit log (and so their /mydata export), whoever their own doctor is."""

from __future__ import annotations

from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services import console, points, residents
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from tests.e2e.conftest import RunningBot, make_chat
from tests.factories import OTHER_DOCTOR_NAME, make_doctor, make_resident
from tests.integration.booking_support import DOCTOR_USER, SHANGHAI
from tests.integration.test_points import TCM, give, reward_id, setup_centre

WALK_IN = 6101  # a colleague's resident at the desk doctor's centre


async def test_redeeming_a_voucher_at_the_desk_is_audited(
    botapi: BotAPIServer, jiayi: RunningBot, clock: ManualClock, uow_factory: UnitOfWorkFactory
) -> None:
    """Mutation tried: drop the `console.audit_desk_action` call in `cmd_redeem`
    (bot/doctor/points.py) → the voucher is redeemed and the resident's log stays empty."""
    await setup_centre(uow_factory, clock)
    colleague = await make_doctor(uow_factory, clock, OTHER_DOCTOR_NAME)
    resident = await make_resident(uow_factory, clock, WALK_IN, birth_year=1975)
    await residents.choose_doctor(uow_factory(), clock, WALK_IN, colleague.id, SHANGHAI)
    await give(uow_factory, clock, resident.id, "appointment:1")
    voucher = await points.redeem(
        uow_factory(), clock, WALK_IN, await reward_id(uow_factory, WALK_IN, TCM), SHANGHAI
    )

    desk = make_chat(botapi, DOCTOR_USER, language_code="en")
    await desk.send(f"/redeem {voucher.code}")
    await desk.wait_for(f"Voucher {voucher.code} redeemed ✓")

    entries = await console.audit_entries_for_resident(uow_factory(), resident.id)
    assert [(e.action, e.actor_doctor_name) for e in entries] == [("voucher_redeemed", "王医生")]
