"""The Import page: upload → dry-run preview with row errors in the operator's language →
apply with the preview's token; a doctor imports only their own residents."""

from __future__ import annotations

import html
import re

from aiohttp import FormData

from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from tests.console.conftest import ConsoleClient, ConsoleClientFactory, make_bound_doctor
from tests.factories import make_doctor

DOCTOR = 9_202
HEADER = "姓名,手机号,出生日期,性别,慢病,签约医生\n"
GOOD = "张阿姨,13812345678,1955-04-02,女,高血压,王医生\n"
BAD_PHONE = "李叔,1234,1950,男,,王医生\n"


async def upload(client: ConsoleClient, body: str, *, encoding: str = "gbk") -> str:
    form = FormData()
    form.add_field("csrf", client.csrf)
    form.add_field("file", body.encode(encoding), filename="签约居民.csv", content_type="text/csv")
    response = await client.http.post("/roster/preview", data=form)
    text = await response.text()
    assert response.status == 200, text[:500]
    return html.unescape(text)


def apply_form(page: str) -> dict[str, str]:
    form = page.split('action="/roster/apply"', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'name="(token|filename|data)" value="([^"]*)"', form))


async def test_operator_sees_row_errors_fixes_the_file_and_applies(
    console_client: ConsoleClientFactory, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    wang = await make_doctor(uow_factory, clock, "王医生")
    operator = await console_client(locale="en")
    await operator.page("/roster")
    page = await upload(operator, HEADER + GOOD + BAD_PHONE)
    assert "Row" in page
    assert "not a valid phone number: “1234”" in page
    assert "will be created" in page
    assert 'action="/roster/apply"' not in page  # nothing to apply while a row is wrong
    await operator.use_locale("zh-CN")
    await operator.page("/roster")
    page = await upload(operator, HEADER + GOOD + BAD_PHONE)
    assert "手机号无效：“1234”" in page
    page = await upload(operator, HEADER + GOOD + "李叔,13900001111,1950,男,,王医生\n")
    assert "将新增" in page
    form = apply_form(page)
    done = html.unescape(await operator.submit("/roster/apply", form))
    assert "已导入：新增 2 条" in done
    async with uow_factory() as uow:
        entries = await uow.roster.for_centre(wang.centre_id)
    assert sorted(e.phone for e in entries) == ["+8613812345678", "+8613900001111"]


async def test_apply_without_csrf_or_with_a_stale_token_is_refused(
    console_client: ConsoleClientFactory, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    wang = await make_doctor(uow_factory, clock, "王医生")
    operator = await console_client(locale="en")
    await operator.page("/roster")
    page = await upload(operator, HEADER + GOOD, encoding="utf-8")
    form = apply_form(page)
    refused = await operator.post("/roster/apply", form, csrf=False)
    assert refused.status == 403
    stale = {**form, "token": "0" * 32}
    page = html.unescape(await operator.submit("/roster/apply", stale))
    assert "changed since this preview" in page
    async with uow_factory() as uow:
        assert await uow.roster.for_centre(wang.centre_id) == []


async def test_a_doctor_imports_only_their_own_residents(
    console_client: ConsoleClientFactory, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    wang_id = await make_bound_doctor(uow_factory, clock, DOCTOR, "王医生")
    await make_doctor(uow_factory, clock, "李医生")
    doctor = await console_client(doctor_user=DOCTOR, locale="en")
    await doctor.page("/roster")
    page = await upload(doctor, HEADER + GOOD + "李叔,13900001111,1950,男,,李医生\n")
    assert "names another doctor: you can import only your own residents" in page
    page = await upload(doctor, HEADER + GOOD + "赵大爷,13700001111,1948,男,,\n")
    done = html.unescape(await doctor.submit("/roster/apply", apply_form(page)))
    assert "Imported: 2 new" in done
    async with uow_factory() as uow:
        doctor_rec = await uow.doctors.get(wang_id)
        assert doctor_rec is not None
        entries = await uow.roster.for_centre(doctor_rec.centre_id)
    assert {e.doctor_id for e in entries} == {wang_id}
