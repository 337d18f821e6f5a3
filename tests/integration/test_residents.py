"""Residents: consent, profile, doctor contracts — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from jiayi.services import residents
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.errors import InvalidInput, NotFound, NotRegistered
from jiayi.services.residents import Condition, Sex
from tests.factories import NOTICE, make_doctor, make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def test_register_creates_resident_with_consent(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    resident = await residents.register(
        uow_factory(),
        clock,
        telegram_user_id=42,
        display_name="  Li   Hua ",
        locale="en",
        notice_version=NOTICE,
    )
    assert resident.display_name == "Li Hua"
    assert resident.locale == "en"
    assert resident.consent_version == NOTICE
    assert resident.consented_at == clock.now()
    assert resident.onboarded_at is None
    assert resident.reachable is True


async def test_registering_twice_keeps_one_resident(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    first = await make_resident(uow_factory, clock, 42)
    clock.advance(timedelta(days=1))
    again = await residents.register(
        uow_factory(),
        clock,
        telegram_user_id=42,
        display_name="x",
        locale="en",
        notice_version="v2",
    )
    assert again.id == first.id
    assert again.consent_version == "v2"
    assert again.birth_year == first.birth_year
    async with uow_factory() as uow:
        assert await uow.residents.count() == 1


async def test_refusal_stores_no_personal_data(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await residents.record_refusal(uow_factory(), clock, notice_version=NOTICE, locale="zh-CN")
    async with uow_factory() as uow:
        assert await uow.consents.refusal_count() == 1
        assert await uow.residents.count() == 0


@pytest.mark.parametrize(
    ("text", "year"), [("1956", 1956), (" 1990年 ", 1990), ("2026", 2026), ("1906", 1906)]
)
async def test_birth_year_accepts_plausible_years(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, text: str, year: int
) -> None:
    await make_resident(uow_factory, clock, birth_year=None)
    assert await residents.set_birth_year(uow_factory(), clock, 1001, text) == year
    resident = await residents.get_resident(uow_factory(), 1001)
    assert resident is not None
    assert resident.birth_year == year


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("abc", "birth_year_format"),
        ("56", "birth_year_format"),
        ("1899", "birth_year_range"),
        ("2030", "birth_year_range"),
        ("", "birth_year_format"),
    ],
)
async def test_birth_year_rejects_nonsense_and_keeps_old_value(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, text: str, code: str
) -> None:
    await make_resident(uow_factory, clock, birth_year=1970)
    with pytest.raises(InvalidInput) as caught:
        await residents.set_birth_year(uow_factory(), clock, 1001, text)
    assert caught.value.code == code
    resident = await residents.get_resident(uow_factory(), 1001)
    assert resident is not None
    assert resident.birth_year == 1970


async def test_conditions_replace_previous_choice(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, conditions=(Condition.HYPERTENSION,))
    await residents.set_conditions(
        uow_factory(), clock, 1001, [Condition.DIABETES, Condition.HYPERLIPIDAEMIA]
    )
    resident = await residents.get_resident(uow_factory(), 1001)
    assert resident is not None
    assert resident.conditions == {Condition.DIABETES, Condition.HYPERLIPIDAEMIA}
    await residents.set_conditions(uow_factory(), clock, 1001, [])
    resident = await residents.get_resident(uow_factory(), 1001)
    assert resident is not None
    assert resident.conditions == frozenset()


async def test_pregnant_is_refused_for_a_man(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock, sex=Sex.MALE)
    with pytest.raises(InvalidInput) as caught:
        await residents.set_conditions(uow_factory(), clock, 1001, [Condition.PREGNANT])
    assert caught.value.code == "pregnant_male"


async def test_changes_before_signing_up_are_refused(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    with pytest.raises(NotRegistered) as caught:
        await residents.set_birth_year(uow_factory(), clock, 777, "1960")
    assert caught.value.code == "not_registered"
    with pytest.raises(NotRegistered) as caught:
        await residents.get_profile(uow_factory(), 777)
    assert caught.value.code == "not_registered"


async def test_choosing_a_doctor_signs_a_one_year_contract(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock)
    doctor = await make_doctor(uow_factory, clock)
    await residents.choose_doctor(uow_factory(), clock, 1001, doctor.id, SHANGHAI)
    profile = await residents.get_profile(uow_factory(), 1001)
    assert profile.doctor == doctor
    assert profile.contract is not None
    assert profile.contract.starts_on == date(2026, 11, 23)
    assert profile.contract.ends_on == date(2027, 11, 22)


async def test_switching_doctor_ends_the_old_contract(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock)
    first = await make_doctor(uow_factory, clock, "王医生")
    second = await make_doctor(uow_factory, clock, "李医生")
    await residents.choose_doctor(uow_factory(), clock, 1001, first.id, SHANGHAI)
    await residents.choose_doctor(uow_factory(), clock, 1001, second.id, SHANGHAI)
    # Choosing the same doctor again is a no-op, not a second contract.
    await residents.choose_doctor(uow_factory(), clock, 1001, second.id, SHANGHAI)
    profile = await residents.get_profile(uow_factory(), 1001)
    assert profile.doctor is not None
    assert profile.doctor.id == second.id


async def test_unknown_doctor_is_refused(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_resident(uow_factory, clock)
    with pytest.raises(NotFound) as caught:
        await residents.choose_doctor(uow_factory(), clock, 1001, 99999, SHANGHAI)
    assert caught.value.code == "doctor_not_found"
    profile = await residents.get_profile(uow_factory(), 1001)
    assert profile.doctor is None


def test_locale_from_telegram_language_codes() -> None:
    assert residents.locale_from_telegram("zh-hans", "en") == "zh-CN"
    assert residents.locale_from_telegram("zh-hant", "en") == "zh-CN"
    assert residents.locale_from_telegram("en-US", "zh-CN") == "en"
    assert residents.locale_from_telegram("ru", "zh-CN") == "zh-CN"
    assert residents.locale_from_telegram(None, "en") == "en"


async def test_the_update_reads_its_resident_once_and_a_write_reads_afresh(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """The middleware's record serves the handler's reads (issue #14), but never a writer, and
    not after a write. Mutations tried: `begin_write` not forgetting the record (the writer's
    read sees 'zh-CN' after another update set 'en'); `commit` not forgetting it (the read after
    the update's own write is stale); the record kept for the wrong user."""
    await make_resident(uow_factory, clock, 1001, conditions=(Condition.HYPERTENSION,))
    await make_resident(uow_factory, clock, 1002, locale="en")
    update_uow = uow_factory()
    sender = await residents.sender(update_uow, 1001)
    assert sender is not None
    assert sender.locale == "zh-CN"
    assert sender.conditions == frozenset({Condition.HYPERTENSION})
    # Another update changes the row meanwhile.
    await residents.set_locale(uow_factory(), clock, 1001, "en")
    # The handler's reads in the same update: the record read at its start.
    assert (await residents.get_resident(update_uow, 1001)) == sender
    other = await residents.get_resident(update_uow, 1002)
    assert other is not None
    assert other.locale == "en"
    # A writer reads the row in its own transaction.
    async with update_uow:
        await update_uow.begin_write()
        fresh = await update_uow.residents.by_telegram_user(1001)
        assert fresh is not None
        assert fresh.locale == "en"
    # Once the update wrote, its later reads are fresh too.
    await residents.set_locale(update_uow, clock, 1001, "zh-CN")
    after = await residents.get_resident(update_uow, 1001)
    assert after is not None
    assert after.locale == "zh-CN"


async def test_a_resident_marked_unreachable_is_reachable_once_they_write(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    """The update's sender lookup marks a resident who had blocked the bot reachable, and
    hands the handler the record as it now is."""
    await make_resident(uow_factory, clock, 1001)
    await residents.set_reachable(uow_factory(), clock, 1001, False)
    blocked = await residents.get_resident(uow_factory(), 1001)
    assert blocked is not None
    assert not blocked.reachable
    sender = await residents.sender(uow_factory(), 1001)
    assert sender is not None
    assert sender.reachable
    stored = await residents.get_resident(uow_factory(), 1001)
    assert stored is not None
    assert stored.reachable
    assert await residents.sender(uow_factory(), 4242) is None
