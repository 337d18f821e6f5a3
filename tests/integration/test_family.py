"""Family members: only the managing resident may read or change them."""

from __future__ import annotations

from datetime import date

import pytest

from jiayi.services import family
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.errors import InvalidInput, NotAllowed, NotFound
from jiayi.services.family import NewMember, Relation
from jiayi.services.residents import Condition, Sex
from jiayi.storage.records import ConsentBasis
from tests.factories import make_resident

TODDLER = NewMember(
    relation=Relation.CHILD, display_name="小宝", birth_date=date(2024, 3, 15), sex=Sex.MALE
)
FATHER = NewMember(
    relation=Relation.PARENT,
    display_name="爸爸",
    birth_date=date(1944, 6, 1),
    sex=Sex.MALE,
    conditions=frozenset({Condition.HYPERTENSION}),
)


async def test_add_child_records_guardian_consent(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock)
    child = await family.add_member(uow_factory(), clock, 1001, TODDLER)
    assert child.consent_basis is ConsentBasis.GUARDIAN
    assert child.consent_recorded_at == clock.now()
    parent = await family.add_member(uow_factory(), clock, 1001, FATHER)
    assert parent.consent_basis is ConsentBasis.AUTHORISED
    assert parent.conditions == {Condition.HYPERTENSION}
    members = await family.list_members(uow_factory(), 1001)
    assert [m.display_name for m in members] == ["小宝", "爸爸"]


async def test_other_resident_cannot_see_change_or_remove_a_member(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, 1001)
    await make_resident(uow_factory, clock, 2002, name="Intruder")
    child = await family.add_member(uow_factory(), clock, 1001, TODDLER)
    with pytest.raises(NotAllowed):
        await family.get_member(uow_factory(), 2002, child.id)
    with pytest.raises(NotAllowed):
        await family.update_member(uow_factory(), clock, 2002, child.id, display_name="x")
    with pytest.raises(NotAllowed):
        await family.remove_member(uow_factory(), clock, 2002, child.id)
    assert await family.list_members(uow_factory(), 2002) == []
    unchanged = await family.get_member(uow_factory(), 1001, child.id)
    assert unchanged.display_name == "小宝"


async def test_update_and_remove_member(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock)
    child = await family.add_member(uow_factory(), clock, 1001, TODDLER)
    updated = await family.update_member(
        uow_factory(), clock, 1001, child.id, display_name="大宝", conditions=[Condition.DIABETES]
    )
    assert updated.display_name == "大宝"
    assert updated.conditions == {Condition.DIABETES}
    removed = await family.remove_member(uow_factory(), clock, 1001, child.id)
    assert removed == family.RemovedMember(name="大宝", bookings_cancelled=0)
    with pytest.raises(NotFound):
        await family.get_member(uow_factory(), 1001, child.id)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-03-05", date(2021, 3, 5)),
        ("2021.3.5", date(2021, 3, 5)),
        ("2021/03/05", date(2021, 3, 5)),
        ("2021年3月5日", date(2021, 3, 5)),
    ],
)
def test_parse_birth_date_formats(text: str, expected: date) -> None:
    assert family.parse_birth_date(text, date(2026, 11, 23)) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2021-02-30", "birth_date_format"),
        ("yesterday", "birth_date_format"),
        ("2027-01-01", "birth_date_future"),
        ("1880-01-01", "birth_date_too_old"),
    ],
)
def test_parse_birth_date_rejects(text: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        family.parse_birth_date(text, date(2026, 11, 23))
    assert caught.value.code == code
