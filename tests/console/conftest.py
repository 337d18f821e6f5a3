"""The web console over real HTTP (aiohttp's TestServer) on a real database, both dialects.

`console_client` signs a browser in the way a person does: a one-time link from the service
`/console` calls, its confirmation page, then the POST that starts a session.

    async def test_x(console_client: ConsoleClientFactory) -> None:
        operator = await console_client()                    # the centre's operator
        doctor = await console_client(doctor_user=WANG_USER)  # an active, bound doctor
        page = await operator.page("/doctors")                # GET, 200 expected, the HTML
        await operator.submit("/doctors/invite", {"name": "…"})  # POST with the CSRF token
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from jiayi.services import doctors, webconsole
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.settings import Settings, load_settings
from jiayi.webconsole.app import build_console_app
from tests.factories import CENTRE_CODE, INVITE_TTL, make_centre

OPERATOR_USER = 9_100  # in JIAYI_ADMIN_IDS of the console's settings
DOCTOR_USER = 9_200  # bound by `make_bound_doctor` (name 王医生)
CSRF_INPUT = re.compile(r'name="csrf" value="([^"]+)"')


async def make_bound_doctor(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, user: int, name: str = "王医生"
) -> int:
    """A doctor who accepted an invite from Telegram account `user`; the doctor's id."""
    await make_centre(uow_factory, clock)
    link = await doctors.create_invite(
        uow_factory(), clock, name=name, centre_code=CENTRE_CODE, ttl=INVITE_TTL
    )
    doctor = await doctors.accept_invite(
        uow_factory(), clock, token=link.token, telegram_user_id=user, locale="en"
    )
    return doctor.id


@dataclass
class ConsoleClient:
    """A browser signed in to the console (its cookie jar holds the session)."""

    http: TestClient[web.Request, web.Application]
    user: int
    csrf: str = ""
    locale: str = "en"
    extra: dict[str, Any] = field(default_factory=dict)

    async def get(self, path: str, **kwargs: Any) -> ClientResponse:
        return await self.http.get(path, allow_redirects=False, **kwargs)

    async def page(self, path: str, status: int = 200) -> str:
        """The page's HTML; asserts the status (a refused page is a failure unless expected)."""
        response = await self.http.get(path)
        text = await response.text()
        assert response.status == status, (response.status, text[:500])
        match = CSRF_INPUT.search(text)
        if match:
            self.csrf = match.group(1)
        return text

    async def post(
        self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any
    ) -> ClientResponse:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf", self.csrf)
        return await self.http.post(path, data=form, allow_redirects=False, **kwargs)

    async def submit(self, path: str, data: dict[str, Any] | None = None) -> str:
        """POSTs a form as the browser does and follows the redirect; the resulting HTML."""
        form = dict(data or {})
        form.setdefault("csrf", self.csrf)
        response = await self.http.post(path, data=form)
        text = await response.text()
        assert response.status == 200, (response.status, text[:500])
        return text

    async def use_locale(self, locale: str) -> None:
        response = await self.http.get(f"/lang/{locale}", allow_redirects=False)
        assert response.status == 303
        self.locale = locale


class ConsoleClientFactory(Protocol):
    def __call__(
        self, *, doctor_user: int | None = None, locale: str = "en"
    ) -> Awaitable[ConsoleClient]: ...


@pytest.fixture
def console_settings() -> Settings:
    return load_settings(
        admin_ids=str(OPERATOR_USER),
        default_locale="zh-CN",
        console_url="http://console.test",
        bot_username="jiayi_test_bot",
        _env_file=None,
    )


@pytest.fixture
def console_app(
    console_settings: Settings, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> web.Application:
    return build_console_app(console_settings, uow_factory, clock)


@pytest.fixture
async def console_http(
    console_app: web.Application,
) -> AsyncIterator[Callable[[], Awaitable[TestClient[web.Request, web.Application]]]]:
    """`await make()`: a fresh browser (own cookie jar) on the one console server."""
    server = TestServer(console_app)
    await server.start_server()
    clients: list[TestClient[web.Request, web.Application]] = []

    async def make() -> TestClient[web.Request, web.Application]:
        client: TestClient[web.Request, web.Application] = TestClient(server)
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()
    await server.close()


async def sign_in_with_link(
    http: TestClient[web.Request, web.Application], url: str
) -> ClientResponse:
    """Opens a sign-in link (the confirmation page) and presses "Sign in"."""
    path = url.removeprefix("http://console.test")
    confirm = await http.get(path)
    assert confirm.status == 200, await confirm.text()
    return await http.post(path, allow_redirects=False)


@pytest.fixture
def console_client(
    console_settings: Settings,
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
    console_http: Callable[[], Awaitable[TestClient[web.Request, web.Application]]],
) -> ConsoleClientFactory:
    async def make(*, doctor_user: int | None = None, locale: str = "en") -> ConsoleClient:
        user = OPERATOR_USER
        if doctor_user is not None:
            user = doctor_user
            if await doctors.doctor_for_user(uow_factory(), user) is None:
                await make_bound_doctor(uow_factory, clock, user)
        link = await webconsole.create_login(uow_factory(), clock, console_settings, user)
        http = await console_http()
        client = ConsoleClient(http=http, user=user)
        await client.use_locale(locale)
        signed_in = await sign_in_with_link(http, link.url)
        assert signed_in.status == 303, await signed_in.text()
        await client.page("/")
        return client

    return make
