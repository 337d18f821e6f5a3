"""Doctors' accounts: an invite makes a new doctor unless the operator names the one to
re-bind; invites can be revoked and doctors deactivated (their residents stay, listed as
needing a new doctor, and can be moved) — through the services and the `jiayi` command, on
SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from jiayi.services import console, doctors, residents
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.errors import InvalidInput, NotAllowed, NotFound
from jiayi.services.settings import Settings
from jiayi.storage import models as m
from tests.factories import CENTRE_CODE, INVITE_TTL, make_centre, make_doctor, make_resident
from tests.unit.test_settings import _run

SHANGHAI = ZoneInfo("Asia/Shanghai")
WANG = "王医生"
WANG_CODE = "wang01"
WANG_USER = 7001  # the original 王医生's own Telegram account
NEWCOMER = 7002  # a new colleague, also called 王医生
SUCCESSOR = 7003
PATIENTS = (8001, 8002, 8003)
SETTINGS = Settings(_env_file=None)  # type: ignore[call-arg]


async def make_wang_practice(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> int:
    """王医生 bound to his Telegram account, with three contracted residents; his id."""
    wang = await make_doctor(uow_factory, clock, WANG, link_code=WANG_CODE)
    async with uow_factory() as uow:
        await uow.begin_write()
        await uow.doctors.bind_telegram_user(wang.id, WANG_USER)
        await uow.commit()
    for user in PATIENTS:
        await make_resident(uow_factory, clock, user, name=f"居民{user}")
        await residents.choose_doctor(uow_factory(), clock, user, wang.id, SHANGHAI)
    return wang.id


async def practice_size(uow_factory: UnitOfWorkFactory, doctor_id: int) -> int:
    async with uow_factory() as uow:
        return await uow.console.resident_count(doctor_id)


async def events(uow_factory: UnitOfWorkFactory, doctor_id: int) -> list[str]:
    async with uow_factory() as uow:
        return [e.action for e in await uow.console.account_events(doctor_id)]


async def test_a_newcomer_with_the_same_name_does_not_take_over_wang(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """The reproduced case: `jiayi doctor invite --name 王医生` for a new colleague used to
    re-bind the existing 王医生, so the newcomer got his residents and he lost the console.
    Mutation tried: reuse `uow.doctors.by_name(...)` in `create_invite` as before → the
    invite is for Wang's doctor id and this test fails on every assertion below."""
    wang_id = await make_wang_practice(uow_factory, clock)

    link = await doctors.create_invite(
        uow_factory(), clock, name=WANG, centre_code=CENTRE_CODE, ttl=INVITE_TTL
    )
    newcomer = await doctors.accept_invite(
        uow_factory(), clock, token=link.token, telegram_user_id=NEWCOMER
    )

    assert (link.rebind, link.residents) == (False, 0)
    assert [(n.link_code, n.residents) for n in link.namesakes] == [(WANG_CODE, 3)]
    assert newcomer.id != wang_id
    assert newcomer.display_name == WANG
    assert await practice_size(uow_factory, newcomer.id) == 0
    assert await practice_size(uow_factory, wang_id) == 3
    wang = await doctors.doctor_for_user(uow_factory(), WANG_USER)
    assert wang is not None
    assert wang.id == wang_id  # he keeps his console
    assert await console.is_doctor_or_admin(uow_factory(), SETTINGS, WANG_USER)
    assert await events(uow_factory, newcomer.id) == ["invited", "invite_accepted"]


async def test_rebinding_is_explicit_and_moves_the_console(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Re-binding takes the doctor's link code; the opener becomes that doctor with the
    residents and the old account loses the console. Mutation tried: ignore `rebind` in
    `create_invite` (always a new doctor) → the successor gets no residents."""
    wang_id = await make_wang_practice(uow_factory, clock)
    with pytest.raises(InvalidInput) as caught:
        await doctors.create_invite(
            uow_factory(),
            clock,
            name="李医生",
            centre_code=CENTRE_CODE,
            ttl=INVITE_TTL,
            rebind=WANG_CODE,
        )
    assert caught.value.code == "rebind_name_mismatch"
    with pytest.raises(NotFound):
        await doctors.create_invite(
            uow_factory(), clock, name=None, centre_code=CENTRE_CODE, ttl=INVITE_TTL, rebind="x"
        )

    link = await doctors.create_invite(
        uow_factory(), clock, name=None, centre_code=CENTRE_CODE, ttl=INVITE_TTL, rebind=WANG_CODE
    )
    assert (link.rebind, link.residents, link.doctor.id) == (True, 3, wang_id)
    taken = await doctors.accept_invite(
        uow_factory(), clock, token=link.token, telegram_user_id=SUCCESSOR
    )

    assert taken.id == wang_id
    assert await doctors.doctor_for_user(uow_factory(), WANG_USER) is None
    assert not await console.is_doctor_or_admin(uow_factory(), SETTINGS, WANG_USER)
    assert await practice_size(uow_factory, wang_id) == 3
    assert await events(uow_factory, wang_id) == ["rebind_invited", "rebound"]


async def test_a_plain_invite_never_takes_over_a_bound_doctor(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """A new doctor's first link, still open after a re-bind link bound them, must not hand
    the account to a third person. Mutation tried: drop the `taking_over and not
    invite.rebind` check in `accept_invite` → the forwarded first link takes the account."""
    await make_centre(uow_factory, clock)
    first = await doctors.create_invite(
        uow_factory(), clock, name="赵医生", centre_code=CENTRE_CODE, ttl=INVITE_TTL
    )
    code = first.doctor.link_code
    again = await doctors.create_invite(
        uow_factory(), clock, name=None, centre_code=CENTRE_CODE, ttl=INVITE_TTL, rebind=code
    )
    await doctors.accept_invite(uow_factory(), clock, token=again.token, telegram_user_id=NEWCOMER)

    with pytest.raises(InvalidInput) as caught:
        await doctors.accept_invite(
            uow_factory(), clock, token=first.token, telegram_user_id=SUCCESSOR
        )

    assert caught.value.code == "invite_used"
    bound = await doctors.doctor_for_user(uow_factory(), NEWCOMER)
    assert bound is not None
    assert bound.link_code == code
    assert await doctors.doctor_for_user(uow_factory(), SUCCESSOR) is None


async def test_a_revoked_invite_stops_working(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation tried: drop the `revoked_at` check in `accept_invite` and in
    `ConsoleRepository.use_invite` → the forwarded link still makes its opener a doctor."""
    await make_wang_practice(uow_factory, clock)
    one = await doctors.create_invite(
        uow_factory(), clock, name="赵医生", centre_code=CENTRE_CODE, ttl=INVITE_TTL
    )
    two = await doctors.create_invite(
        uow_factory(), clock, name=None, centre_code=CENTRE_CODE, ttl=INVITE_TTL, rebind=WANG_CODE
    )
    printed = f"https://t.me/jiayi_test_bot?start={one.payload}"

    assert await doctors.revoke_invite(uow_factory(), clock, link=printed) == 1
    assert await doctors.revoke_invite(uow_factory(), clock, link=printed) == 0
    assert await doctors.revoke_invite(uow_factory(), clock, doctor=WANG_CODE) == 1

    for link in (one, two):
        with pytest.raises(NotFound) as caught:
            await doctors.accept_invite(
                uow_factory(), clock, token=link.token, telegram_user_id=SUCCESSOR
            )
        assert caught.value.code == "invite_invalid"
    assert await doctors.doctor_for_user(uow_factory(), SUCCESSOR) is None
    assert await doctors.doctor_for_user(uow_factory(), WANG_USER) is not None
    assert await events(uow_factory, one.doctor.id) == ["invited", "invite_revoked"]


async def test_a_deactivated_doctor_loses_the_console_and_residents_are_moved(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """Mutation tried: leave `active` true in `deactivate_doctor` → Wang keeps the console
    (and the residents aren't listed as needing a new doctor)."""
    wang_id = await make_wang_practice(uow_factory, clock)
    pending = await doctors.create_invite(
        uow_factory(), clock, name=None, centre_code=CENTRE_CODE, ttl=INVITE_TTL, rebind=WANG_CODE
    )
    li = await doctors.create_invite(
        uow_factory(), clock, name="李医生", centre_code=CENTRE_CODE, ttl=INVITE_TTL
    )

    done = await doctors.deactivate(uow_factory(), clock, doctor=WANG_CODE)

    assert (done.residents, done.invites_revoked) == (3, 1)
    assert not await console.is_doctor_or_admin(uow_factory(), SETTINGS, WANG_USER)
    with pytest.raises(NotAllowed):
        await console.actor(uow_factory(), SETTINGS, WANG_USER)
    assert await doctors.doctor_by_link(uow_factory(), WANG_CODE) is None  # out of the list
    with pytest.raises(NotFound):
        await doctors.accept_invite(
            uow_factory(), clock, token=pending.token, telegram_user_id=SUCCESSOR
        )
    with pytest.raises(InvalidInput):
        await doctors.deactivate(uow_factory(), clock, doctor=WANG_CODE)
    [orphaned] = await doctors.residents_without_doctor(uow_factory())
    assert (orphaned.doctor_id, len(orphaned.resident_ids)) == (wang_id, 3)
    with pytest.raises(InvalidInput):  # nobody moves to a deactivated doctor
        await doctors.move_residents(
            uow_factory(), clock, from_doctor=li.doctor.link_code, to_doctor=WANG_CODE
        )

    moved = await doctors.move_residents(
        uow_factory(), clock, from_doctor=WANG_CODE, to_doctor=li.doctor.link_code
    )

    assert moved == 3
    assert await doctors.residents_without_doctor(uow_factory()) == []
    assert await practice_size(uow_factory, li.doctor.id) == 3
    async with uow_factory() as uow:
        history = list(
            await uow.session.scalars(
                select(m.Contract.doctor_id).order_by(m.Contract.resident_id, m.Contract.id)
            )
        )
    assert history == [wang_id, li.doctor.id] * 3  # the old contracts end, new ones open
    assert await events(uow_factory, wang_id) == [
        "rebind_invited",
        "deactivated",
        "residents_moved",
    ]


async def test_the_jiayi_command_says_who_each_invite_is_for(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, database_url: str, tmp_path: Path
) -> None:
    """Mutation tried: print only the link (as before) → the NEW / RE-BIND lines and the
    resident counts are missing; drop the doctor sub-commands → exit code 2."""
    await make_wang_practice(uow_factory, clock)
    env = {"JIAYI_DATABASE_URL": database_url, "JIAYI_BOT_USERNAME": "jiayi_test_bot"}

    def jiayi(*args: str) -> str:
        done = _run(["doctor", *args], env, tmp_path)
        assert done.returncode == 0, done.stderr
        return done.stdout

    new = jiayi("invite", "--name", WANG, "--centre", CENTRE_CODE)
    assert f"Invite for a NEW doctor {WANG} (link code " in new
    assert f"another doctor with this name exists (link code {WANG_CODE}, 3 resident(s))" in new
    assert "https://t.me/jiayi_test_bot?start=inv_" in new
    again = jiayi("invite", "--rebind", WANG_CODE, "--centre", CENTRE_CODE)
    assert f"RE-BIND existing doctor {WANG} (link code {WANG_CODE}), who has 3 resident(s)" in (
        again
    )
    link = again.strip().splitlines()[-1]
    assert jiayi("revoke-invite", "--link", link) == "1 open invite(s) revoked.\n"

    deactivated = jiayi("deactivate", "--doctor", WANG_CODE)
    assert "3 resident(s) need a new doctor" in deactivated
    assert f"{WANG} (link code {WANG_CODE}, deactivated): 3 resident(s)" in jiayi(
        "residents-without-doctor"
    )
    newcomer_code = new.split("(link code ")[1].split(")")[0]
    moved = jiayi("move", "--from", WANG_CODE, "--to", newcomer_code)
    assert moved == f"3 resident(s) moved from {WANG_CODE} to {newcomer_code}.\n"
    assert "Every contracted resident has an active doctor." in jiayi("residents-without-doctor")

    refused = _run(
        ["doctor", "invite", "--rebind", "nobody", "--centre", CENTRE_CODE], env, tmp_path
    )
    assert (refused.returncode, refused.stderr.strip()) == (
        1,
        "No doctor with link code 'nobody' at this centre.",
    )
