"""Roster import (CSV in UTF-8 and GBK, XLSX) and matching a signed-up resident to it — on
SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from jiayi.services import privacy, residents, roster
from jiayi.services.clock import ManualClock
from jiayi.services.console import Actor
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.errors import DomainError, InvalidInput, NotAllowed
from jiayi.services.residents import Condition, Sex
from jiayi.services.roster import RowAction
from jiayi.storage import models as m
from tests.factories import OTHER_DOCTOR_NAME, make_doctor, make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
OPERATOR = Actor(telegram_user_id=9000, doctor_id=None, doctor_name=None, is_admin=True)
PHONE = "13812345678"
E164 = "+8613812345678"
HEADER_ZH = "姓名,手机号,出生日期,性别,慢病,签约医生,签约日期,到期日期"


def doctor_actor(doctor_id: int) -> Actor:
    return Actor(telegram_user_id=7000, doctor_id=doctor_id, doctor_name="x", is_admin=False)


def zh_csv(*rows: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join([HEADER_ZH, *rows]) + "\n").encode(encoding)


async def preview(uow_factory: UnitOfWorkFactory, clock: ManualClock, data: bytes, **kw: object):  # type: ignore[no-untyped-def]
    actor = kw.pop("actor", OPERATOR)
    return await roster.dry_run(uow_factory(), clock, SHANGHAI, actor, data, **kw)  # type: ignore[arg-type]


async def test_gbk_csv_dry_run_reports_each_bad_row_and_changes_nothing(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_doctor(uow_factory, clock, "王医生", link_code="wang01")
    data = zh_csv(
        f"张阿姨,{PHONE},1955-04-02,女,高血压、糖尿病,王医生,2026-01-01,2026-12-31",
        "李叔,1234,1950,男,,王医生,,",
        "赵大爷,13900001111,1948,男,高血压,刘医生,,",
        "张阿姨2,138 1234 5678,1955,女,,王医生,,",
        ",13700001111,1960,女,,王医生,,",
        "孙阿姨,13600001111,1960/13/40,女,,wang01,2026-05-01,2026-04-01",
        encoding="gbk",
    )
    result = await preview(uow_factory, clock, data, filename="签约居民.csv")
    by_row = {r.row: r for r in result.rows}
    assert by_row[2].action is RowAction.CREATE
    assert by_row[2].phone == E164
    assert by_row[2].doctor_name == "王医生"
    assert by_row[2].parsed is not None
    assert by_row[2].parsed.conditions == {Condition.HYPERTENSION, Condition.DIABETES}
    assert by_row[2].parsed.birth_date == date(1955, 4, 2)
    assert [e.code for e in by_row[3].errors] == ["bad_phone"]
    assert [e.code for e in by_row[4].errors] == ["unknown_doctor"]
    assert by_row[4].errors[0].value == "刘医生"
    assert [(e.code, e.other_row) for e in by_row[5].errors] == [("duplicate_row", 2)]
    assert [e.code for e in by_row[6].errors] == ["missing_name"]
    assert [e.code for e in by_row[7].errors] == ["bad_birth", "contract_dates"]
    assert result.errors == 5
    assert not result.can_apply
    async with uow_factory() as uow:
        assert await uow.roster.for_centre(by_row[2].parsed.doctor_id or 0) == []
    with pytest.raises(InvalidInput):
        await roster.apply(uow_factory(), clock, SHANGHAI, OPERATOR, data, result.token)


async def test_utf8_bom_csv_with_english_headers_applies_in_one_go(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    wang = await make_doctor(uow_factory, clock, "王医生", link_code="wang01")
    data = (
        "Name,Phone,Birth year,Sex,Conditions,Doctor,Contract start,Contract end\n"
        f"Zhang,{PHONE},1955,female,hypertension,wang01,2026-01-01,2026-12-31\n"
        "Li,+86 139 0000 1111,1950,M,none,王医生,,\n"
    ).encode("utf-8-sig")
    result = await preview(uow_factory, clock, data)
    assert [r.action for r in result.rows] == [RowAction.CREATE, RowAction.CREATE]
    applied = await roster.apply(uow_factory(), clock, SHANGHAI, OPERATOR, data, result.token)
    assert applied.applied
    async with uow_factory() as uow:
        entries = await uow.roster.for_centre(wang.centre_id)
        # Nobody imported is messaged: nothing is queued for anyone.
        assert await uow.session.scalar(select(func.count()).select_from(m.OutboxMessage)) == 0
    assert [(e.name, e.phone, e.doctor_id, e.conditions) for e in entries] == [
        ("Zhang", E164, wang.id, ("hypertension",)),
        ("Li", "+8613900001111", wang.id, ()),
    ]
    # The same file again: nothing to do.
    again = await preview(uow_factory, clock, data)
    assert [r.action for r in again.rows] == [RowAction.UNCHANGED, RowAction.UNCHANGED]


async def test_xlsx_reimport_updates_and_drops_unlisted_unmatched_entries(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    wang = await make_doctor(uow_factory, clock, "王医生")
    first = xlsx(
        ["姓名", "手机号", "出生日期", "性别", "慢病", "签约医生"],
        ["张阿姨", 13812345678, date(1955, 4, 2), "女", "高血压", "王医生"],
        ["李叔", "13900001111", 1950, "男", "", "王医生"],
    )
    result = await preview(uow_factory, clock, first, filename="roster.xlsx")
    assert [r.action for r in result.rows] == [RowAction.CREATE, RowAction.CREATE]
    assert result.rows[0].phone == E164
    await roster.apply(uow_factory(), clock, SHANGHAI, OPERATOR, first, result.token)
    second = xlsx(
        ["姓名", "手机号", "出生日期", "性别", "慢病", "签约医生"],
        ["张阿姨", "13812345678", date(1955, 4, 2), "女", "高血压,高血脂", "王医生"],
    )
    result = await preview(uow_factory, clock, second, filename="roster.xlsx")
    assert [r.action for r in result.rows] == [RowAction.UPDATE]
    assert result.rows[0].changed == ("conditions",)
    assert result.removed == 1
    await roster.apply(uow_factory(), clock, SHANGHAI, OPERATOR, second, result.token)
    async with uow_factory() as uow:
        entries = await uow.roster.for_centre(wang.centre_id)
    assert [(e.name, e.conditions) for e in entries] == [
        ("张阿姨", ("hyperlipidaemia", "hypertension"))
    ]


async def test_apply_refuses_a_token_of_another_preview(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_doctor(uow_factory, clock, "王医生")
    data = zh_csv(f"张阿姨,{PHONE},1955,女,高血压,王医生,,")
    result = await preview(uow_factory, clock, data)
    other = zh_csv(f"张阿姨,{PHONE},1956,女,高血压,王医生,,")
    with pytest.raises(DomainError) as refused:
        await roster.apply(uow_factory(), clock, SHANGHAI, OPERATOR, other, result.token)
    assert refused.value.code == "roster_changed"


async def test_a_doctor_imports_only_their_own_residents(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    wang = await make_doctor(uow_factory, clock, "王医生")
    await make_doctor(uow_factory, clock, OTHER_DOCTOR_NAME)
    data = zh_csv(
        f"张阿姨,{PHONE},1955,女,高血压,王医生,,",
        f"李叔,13900001111,1950,男,,{OTHER_DOCTOR_NAME},,",
        "赵大爷,13700001111,1948,男,,,,",
    )
    result = await preview(uow_factory, clock, data, actor=doctor_actor(wang.id))
    assert [r.action for r in result.rows] == [
        RowAction.CREATE,
        RowAction.ERROR,
        RowAction.CREATE,
    ]
    assert [e.code for e in result.rows[1].errors] == ["other_doctor"]
    # A row without a doctor is the importing doctor's own.
    assert result.rows[2].parsed is not None
    assert result.rows[2].parsed.doctor_id == wang.id


async def test_a_resident_who_shares_their_phone_is_offered_and_linked_only_on_confirm(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    wang = await make_doctor(uow_factory, clock, "王医生")
    data = zh_csv(f"张阿姨,{PHONE},1955-04-02,女,高血压,王医生,2026-01-01,2026-12-31")
    result = await preview(uow_factory, clock, data)
    await roster.apply(uow_factory(), clock, SHANGHAI, OPERATOR, data, result.token)
    await make_resident(uow_factory, clock, 501, birth_year=None, sex=None, onboarded=False)
    with pytest.raises(NotAllowed):
        await roster.offer_for_contact(
            uow_factory(), 501, contact_user_id=502, phone="8613812345678"
        )
    offer = await roster.offer_for_contact(
        uow_factory(), 501, contact_user_id=501, phone="8613812345678"
    )
    assert offer is not None
    assert offer.doctor_name == "王医生"
    assert offer.conditions == {Condition.HYPERTENSION}
    profile = await residents.get_profile(uow_factory(), 501)
    assert profile.contract is None  # an offer links nothing
    await roster.confirm_match(uow_factory(), clock, SHANGHAI, 501, offer.entry_id)
    profile = await residents.get_profile(uow_factory(), 501)
    assert profile.doctor is not None
    assert profile.doctor.id == wang.id
    assert profile.resident.birth_year == 1955
    assert profile.resident.sex is Sex.FEMALE
    assert profile.resident.conditions == {Condition.HYPERTENSION}
    # The record is theirs now: in /mydata, and nobody else is offered it.
    export = await privacy.export_my_data(uow_factory(), clock, 501)
    [record] = export.sections["roster_record"]  # type: ignore[misc]
    assert record["phone"] == E164
    await make_resident(uow_factory, clock, 601, onboarded=False)
    assert (
        await roster.offer_for_contact(uow_factory(), 601, contact_user_id=601, phone=PHONE)
        is None
    )
    # /forget erases it.
    await privacy.erase_my_data(uow_factory(), clock, 501)
    async with uow_factory() as uow:
        assert await uow.roster.for_centre(wang.centre_id) == []


async def test_no_match_offers_nothing(uow_factory: UnitOfWorkFactory, clock: ManualClock) -> None:
    await make_resident(uow_factory, clock, 501, onboarded=False)
    assert (
        await roster.offer_for_contact(uow_factory(), 501, contact_user_id=501, phone=PHONE)
        is None
    )


async def test_retention_deletes_unmatched_entries_long_after_their_contract(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    wang = await make_doctor(uow_factory, clock, "王医生")
    today = clock.now().astimezone(SHANGHAI).date()
    ended = (today - timedelta(days=roster.RETENTION_DAYS + 2)).isoformat()
    started = (today - timedelta(days=roster.RETENTION_DAYS + 400)).isoformat()
    data = zh_csv(
        f"张阿姨,{PHONE},1955,女,高血压,王医生,{started},{ended}",
        "李叔,13900001111,1950,男,,王医生,,",
    )
    result = await preview(uow_factory, clock, data)
    await roster.apply(uow_factory(), clock, SHANGHAI, OPERATOR, data, result.token)
    assert await roster.prune_roster(uow_factory(), clock, SHANGHAI) == 1
    async with uow_factory() as uow:
        assert [e.name for e in await uow.roster.for_centre(wang.centre_id)] == ["李叔"]


async def test_missing_columns_are_reported(
    uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    await make_doctor(uow_factory, clock, "王医生")
    result = await preview(uow_factory, clock, "姓名,出生日期\n张阿姨,1955\n".encode())
    assert set(result.missing_columns) == {roster.Field.PHONE, roster.Field.DOCTOR}
    assert not result.can_apply


def xlsx(*rows: list[object]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_phone_numbers_are_normalised_to_e164() -> None:
    assert roster.normalise_phone("138-1234-5678") == E164
    assert roster.normalise_phone("+86 138 1234 5678") == E164
    assert roster.normalise_phone("12345") is None
    assert roster.normalise_phone("") is None
