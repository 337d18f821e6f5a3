"""A child's age for the consent basis is counted on the centre's local date (both DBs)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from jiayi.services import family
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.family import NewMember, Relation
from jiayi.services.residents import Sex
from jiayi.storage.records import ConsentBasis
from tests.factories import make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 14 on 8 December 2026: in Beijing that day starts at 2026-12-07 16:00 UTC.
TEEN = NewMember(Relation.CHILD, "小明", date(2012, 12, 8), Sex.MALE)


async def test_a_child_turning_14_today_in_beijing_needs_no_guardian(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """01:00 in Beijing, still 7 December in UTC. Mutation caught: `consent_basis_for(...,
    now.date())` (the UTC date: the child is 13 and gets a guardian basis)."""
    clock.set(datetime(2026, 12, 7, 17, 0, tzinfo=UTC))
    await make_resident(uow_factory, clock)
    teen = await family.add_member(uow_factory(), clock, 1001, TEEN, zone=SHANGHAI)
    assert teen.consent_basis is ConsentBasis.AUTHORISED
    # Editing the birth date counts on the local date too: one day younger is 13.
    younger = await family.update_member(
        uow_factory(), clock, 1001, teen.id, birth_date=date(2012, 12, 9), zone=SHANGHAI
    )
    assert younger.consent_basis is ConsentBasis.GUARDIAN
    back = await family.update_member(
        uow_factory(), clock, 1001, teen.id, birth_date=date(2012, 12, 8), zone=SHANGHAI
    )
    assert back.consent_basis is ConsentBasis.AUTHORISED
