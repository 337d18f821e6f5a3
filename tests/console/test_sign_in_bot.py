"""`/console` in the bot, end to end: the real bot polling the Bot API test server, the console
over real HTTP on the same database (both dialects)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from jiayi.sandbox.botapi import BotAPIServer
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.settings import Settings
from jiayi.webconsole.app import build_console_app
from tests.conftest import IDLE_TIMERS
from tests.console.conftest import make_bound_doctor
from tests.e2e.conftest import TOKEN, RunningBot, make_chat
from tests.factories import make_resident

OPERATOR = 9_300
DOCTOR = 9_301
RESIDENT = 9_302
BASE = "http://console.test"
REFUSAL_ZH = "中心管理台仅供中心工作人员（管理员和家庭医生）使用"
REFUSAL_EN = "The centre console is for the centre's staff"


@pytest.fixture
def settings(database_url: str, botapi: BotAPIServer) -> Settings:
    return Settings(
        bot_token=TOKEN,  # type: ignore[arg-type]
        database_url=database_url,
        telegram_api_url=botapi.base_url,  # type: ignore[arg-type]
        admin_ids=frozenset({OPERATOR}),
        console_url=BASE,  # type: ignore[arg-type]
        **IDLE_TIMERS,  # type: ignore[arg-type]
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
async def jiayi(settings: Settings, clock: ManualClock) -> AsyncIterator[RunningBot]:
    running = RunningBot(settings, clock)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def browser(
    settings: Settings, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    client: TestClient[web.Request, web.Application] = TestClient(
        TestServer(build_console_app(settings, uow_factory, clock))
    )
    await client.start_server()
    yield client
    await client.close()


def _path(text: str) -> str:
    start = text.index(f"{BASE}/login/")
    return text[start:].split()[0].removeprefix(BASE)


async def test_operator_and_doctor_get_a_one_time_link_and_sign_in_with_it(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    browser: TestClient[web.Request, web.Application],
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
) -> None:
    operator = make_chat(botapi, OPERATOR, first_name="Operator", language_code="en")
    await operator.send("/console")
    message = await operator.wait_for("Centre console")
    assert "works once, for 10 minutes" in message.text
    assert message.link_preview_options == {"is_disabled": True}
    path = _path(message.text)

    # A link preview (or the person) opening it only sees the confirmation page (in the
    # centre's default language, zh-CN, until the person picks one).
    for _ in range(2):
        confirm = await browser.get(path)
        assert confirm.status == 200
        assert "登录中心管理台" in await confirm.text()
    signed_in = await browser.post(path, allow_redirects=False)
    assert signed_in.status == 303
    cookie = signed_in.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http on this test server
    # The console speaks the language of the chat the link was asked for in.
    home = await browser.get("/")
    assert "signed in as the centre&#39;s operator" in await home.text()

    await make_bound_doctor(uow_factory, clock, DOCTOR)
    doctor = make_chat(botapi, DOCTOR, first_name="王", language_code="zh-hans")
    await doctor.send("/console")
    message = await doctor.wait_for("中心管理台")
    assert "仅能使用一次，10 分钟内有效" in message.text


async def test_a_residents_telegram_account_cannot_sign_in(
    botapi: BotAPIServer,
    jiayi: RunningBot,
    clock: ManualClock,
    uow_factory: UnitOfWorkFactory,
) -> None:
    await make_resident(uow_factory, clock, RESIDENT, locale="zh-CN")
    resident = make_chat(botapi, RESIDENT)
    await resident.send("/console")
    refusal = await resident.wait_for(REFUSAL_ZH)
    assert "/login/" not in refusal.text
    await make_resident(uow_factory, clock, RESIDENT + 1, locale="en", name="Ann")
    english = make_chat(botapi, RESIDENT + 1, first_name="Ann", language_code="en")
    await english.send("/console")
    await english.wait_for(REFUSAL_EN)
    # A stranger who never signed up is refused too.
    stranger = make_chat(botapi, RESIDENT + 2, first_name="Bob", language_code="en")
    await stranger.send("/console")
    reply = await stranger.wait_reply()
    assert "/login/" not in reply.text
