"""Doctor directory, deep links and one-time invites."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jiayi.services import doctors
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.errors import InvalidInput, NotFound
from tests.factories import CENTRE_CODE, INVITE_TTL, make_centre, make_doctor


async def test_invite_works_once(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> None:
    await make_centre(uow_factory, clock)
    link = await doctors.create_invite(
        uow_factory(), clock, name="赵医生", centre_code=CENTRE_CODE, ttl=INVITE_TTL
    )
    assert link.payload.startswith("inv_")
    doctor = await doctors.accept_invite(
        uow_factory(), clock, token=link.token, telegram_user_id=5
    )
    assert doctor.display_name == "赵医生"
    assert doctor.telegram_user_id == 5
    assert await doctors.doctor_for_user(uow_factory(), 5) == doctor
    with pytest.raises(InvalidInput) as caught:
        await doctors.accept_invite(uow_factory(), clock, token=link.token, telegram_user_id=6)
    assert caught.value.code == "invite_used"
    assert await doctors.doctor_for_user(uow_factory(), 6) is None


async def test_invite_expires(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> None:
    await make_centre(uow_factory, clock)
    link = await doctors.create_invite(
        uow_factory(), clock, name="赵医生", centre_code=CENTRE_CODE, ttl=INVITE_TTL
    )
    clock.advance(INVITE_TTL + timedelta(seconds=1))
    with pytest.raises(InvalidInput) as caught:
        await doctors.accept_invite(uow_factory(), clock, token=link.token, telegram_user_id=5)
    assert caught.value.code == "invite_expired"


async def test_forged_invite_and_unknown_centre(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    with pytest.raises(NotFound) as caught:
        await doctors.accept_invite(uow_factory(), clock, token="forged", telegram_user_id=5)
    assert caught.value.code == "invite_invalid"
    with pytest.raises(NotFound) as caught:
        await doctors.create_invite(
            uow_factory(), clock, name="x", centre_code="nowhere", ttl=INVITE_TTL
        )
    assert caught.value.code == "centre_not_found"


async def test_second_invite_for_same_name_makes_a_new_doctor(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Two colleagues with the same name are normal: a second plain invite is a new doctor
    (re-binding takes `rebind=`; see test_doctor_accounts.py)."""
    await make_centre(uow_factory, clock)
    first = await doctors.create_invite(
        uow_factory(), clock, name="赵医生", centre_code=CENTRE_CODE, ttl=INVITE_TTL
    )
    second = await doctors.create_invite(
        uow_factory(), clock, name="赵医生", centre_code=CENTRE_CODE, ttl=INVITE_TTL
    )
    assert first.doctor.id != second.doctor.id
    assert first.token != second.token
    assert [n.link_code for n in second.namesakes] == [first.doctor.link_code]


async def test_doctor_list_pages(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> None:
    for i in range(doctors.DOCTOR_PAGE_SIZE + 2):
        await make_doctor(uow_factory, clock, f"Dr {i:02d}")
    first = await doctors.list_doctors(uow_factory(), 0)
    second = await doctors.list_doctors(uow_factory(), 1)
    beyond = await doctors.list_doctors(uow_factory(), 99)
    assert first.pages == second.pages == 2
    assert len(first.doctors) == doctors.DOCTOR_PAGE_SIZE
    assert len(second.doctors) == 2
    assert beyond.page == 1
    assert not {d.id for d in first.doctors} & {d.id for d in second.doctors}


async def test_link_code_lookup(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> None:
    doctor = await make_doctor(uow_factory, clock, link_code="wang01")
    assert await doctors.doctor_by_link(uow_factory(), "wang01") == doctor
    assert await doctors.doctor_by_link(uow_factory(), "nobody") is None


def test_start_payloads() -> None:
    assert doctors.parse_start_payload("doc_wang01") == doctors.StartPayload("doctor", "wang01")
    assert doctors.parse_start_payload("inv_abc") == doctors.StartPayload("invite", "abc")
    assert doctors.parse_start_payload("doc_").kind == "none"
    assert doctors.parse_start_payload(None).kind == "none"
    assert doctors.parse_start_payload("hello").kind == "none"
