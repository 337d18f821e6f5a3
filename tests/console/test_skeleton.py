"""The console answers a signed-in operator and doctor with the start page, in both languages."""

from __future__ import annotations

from tests.console.conftest import ConsoleClientFactory

DOCTOR = 9_201


async def test_operator_sees_the_home_page_in_both_languages(
    console_client: ConsoleClientFactory,
) -> None:
    operator = await console_client(locale="en")
    page = await operator.page("/")
    assert "signed in as the centre&#39;s operator" in page
    assert 'href="/doctors"' in page
    await operator.use_locale("zh-CN")
    page = await operator.page("/")
    assert "您以中心管理员身份登录" in page


async def test_doctor_sees_the_home_page_without_the_operator_pages(
    console_client: ConsoleClientFactory,
) -> None:
    doctor = await console_client(doctor_user=DOCTOR)
    page = await doctor.page("/")
    assert "signed in as a family doctor" in page
    assert 'href="/doctors"' not in page
    await doctor.page("/doctors", status=403)
