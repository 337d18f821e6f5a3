"""The console's locks, over real HTTP on both databases: one-time links, sessions, CSRF,
the sign-in rate limit, security headers, and a doctor's scope."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from jiayi.services import doctors, residents, webconsole
from jiayi.services.clock import ManualClock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.settings import Settings
from jiayi.storage import models as m
from jiayi.webconsole.security import SESSION_COOKIE
from tests.console.conftest import (
    OPERATOR_USER,
    ConsoleClientFactory,
    make_bound_doctor,
    sign_in_with_link,
)
from tests.factories import make_resident

SHANGHAI = ZoneInfo("Asia/Shanghai")
Browser = Callable[[], Awaitable[TestClient[web.Request, web.Application]]]
WANG_USER = 9_401
LI_USER = 9_402
WANGS_RESIDENT = "王的居民甲"
LIS_RESIDENT = "李的居民乙"
CANNOT_USE_EN = "This sign-in link cannot be used"
SIGN_IN_FIRST_ZH = "请先登录"


async def _login_path(
    uow_factory: UnitOfWorkFactory, clock: ManualClock, settings: Settings, user: int
) -> str:
    link = await webconsole.create_login(uow_factory(), clock, settings, user)
    return link.url.removeprefix("http://console.test")


async def _english(http: TestClient[web.Request, web.Application]) -> None:
    await http.get("/lang/en", allow_redirects=False)


async def test_a_used_link_is_refused(
    console_http: Browser,
    console_settings: Settings,
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
) -> None:
    path = await _login_path(uow_factory, clock, console_settings, OPERATOR_USER)
    first = await console_http()
    assert (await sign_in_with_link(first, path)).status == 303

    second = await console_http()
    await _english(second)
    page = await second.get(path)
    assert page.status == 403
    assert CANNOT_USE_EN in await page.text()
    again = await second.post(path, allow_redirects=False)
    assert again.status == 403
    assert CANNOT_USE_EN in await again.text()
    assert SESSION_COOKIE not in again.cookies
    assert (await second.get("/", allow_redirects=False)).status == 401


async def test_a_link_older_than_ten_minutes_is_refused(
    console_http: Browser,
    console_settings: Settings,
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
) -> None:
    path = await _login_path(uow_factory, clock, console_settings, OPERATOR_USER)
    clock.advance(timedelta(minutes=11))
    http = await console_http()
    await _english(http)
    assert (await http.get(path)).status == 403
    refused = await http.post(path, allow_redirects=False)
    assert refused.status == 403
    assert "more than 10 minutes old" in await refused.text()
    assert (await http.get("/", allow_redirects=False)).status == 401


async def test_a_link_nine_minutes_old_still_works(
    console_http: Browser,
    console_settings: Settings,
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
) -> None:
    path = await _login_path(uow_factory, clock, console_settings, OPERATOR_USER)
    clock.advance(timedelta(minutes=9))
    assert (await sign_in_with_link(await console_http(), path)).status == 303


async def test_a_post_without_or_with_a_wrong_csrf_token_is_refused(
    console_client: ConsoleClientFactory,
) -> None:
    operator = await console_client()
    for form in ({}, {"csrf": ""}, {"csrf": "0" * 64}):
        refused = await operator.http.post("/logout", data=form, allow_redirects=False)
        assert refused.status == 403
        assert "Not allowed" in await refused.text()
    # The session is still there: nothing was done.
    await operator.page("/")
    # Another session's token does not fit this one.
    other = await console_client()
    refused = await operator.post("/logout", {"csrf": other.csrf})
    assert refused.status == 403
    signed_out = await operator.post("/logout")
    assert signed_out.status == 200


async def test_a_forged_or_unknown_session_cookie_is_refused(
    console_http: Browser, console_client: ConsoleClientFactory
) -> None:
    await console_client()  # a real session exists
    http = await console_http()
    for forged in ("", "forged", "A" * 43):
        http.session.cookie_jar.update_cookies({SESSION_COOKIE: forged})
        response = await http.get("/", allow_redirects=False)
        assert response.status == 401
        assert SIGN_IN_FIRST_ZH in await response.text()
        posted = await http.post("/logout", data={"csrf": "x"}, allow_redirects=False)
        assert posted.status == 401


async def test_sign_out_ends_the_session_on_the_server(
    console_client: ConsoleClientFactory, console_http: Browser
) -> None:
    operator = await console_client()
    token = next(c.value for c in operator.http.session.cookie_jar if c.key == SESSION_COOKIE)
    page = await operator.submit("/logout")
    assert "You are signed out" in page
    assert (await operator.get("/")).status == 401
    # Even a copy of the old cookie (kept by an attacker) no longer works.
    thief = await console_http()
    thief.session.cookie_jar.update_cookies({SESSION_COOKIE: token})
    assert (await thief.get("/", allow_redirects=False)).status == 401


async def test_sessions_expire_when_idle_and_after_twelve_hours(
    console_client: ConsoleClientFactory, clock: ManualClock
) -> None:
    quiet = await console_client()
    clock.advance(timedelta(hours=7, minutes=59))
    await quiet.page("/")  # 7 h 59 min without a request: still signed in
    idle = await console_client()
    clock.advance(timedelta(hours=8))  # 8 idle hours, 4 short of the absolute limit
    assert (await idle.get("/")).status == 401

    busy = await console_client()
    for _ in range(12):
        clock.advance(timedelta(minutes=59))
        await busy.page("/")
    clock.advance(timedelta(minutes=13))  # 12 hours after signing in
    assert (await busy.get("/")).status == 401


async def test_a_deactivated_doctor_is_signed_out_at_once(
    console_client: ConsoleClientFactory,
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
) -> None:
    doctor = await console_client(doctor_user=WANG_USER)
    record = await doctors.doctor_for_user(uow_factory(), WANG_USER)
    assert record is not None
    await doctors.deactivate(uow_factory(), clock, doctor=record.link_code)
    assert (await doctor.get("/")).status == 401


async def test_sign_in_attempts_are_rate_limited_per_address(
    console_http: Browser,
    console_settings: Settings,
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
) -> None:
    http = await console_http()
    await _english(http)
    for n in range(10):
        assert (await http.post(f"/login/guess{n}", allow_redirects=False)).status == 403
    limited = await http.get("/login/guess", allow_redirects=False)
    assert limited.status == 429
    assert "Too many sign-in attempts" in await limited.text()
    # Even a good link waits: the limit is on the address, not on the token.
    path = await _login_path(uow_factory, clock, console_settings, OPERATOR_USER)
    assert (await http.post(path, allow_redirects=False)).status == 429


async def test_every_answer_carries_the_security_headers(
    console_client: ConsoleClientFactory, console_http: Browser
) -> None:
    operator = await console_client()
    anonymous = await console_http()
    for response in (
        await operator.get("/"),
        await anonymous.get("/", allow_redirects=False),
        await anonymous.get("/login/unknown", allow_redirects=False),
        await anonymous.get("/static/console.css", allow_redirects=False),
    ):
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "script-src 'self'" in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_the_cookie_is_secure_behind_an_https_proxy(
    console_http: Browser,
    console_settings: Settings,
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
) -> None:
    path = await _login_path(uow_factory, clock, console_settings, OPERATOR_USER)
    http = await console_http()
    response = await http.post(path, headers={"X-Forwarded-Proto": "https"}, allow_redirects=False)
    assert response.status == 303
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


async def test_a_doctor_sees_only_their_own_residents_and_the_view_is_audited(
    console_client: ConsoleClientFactory,
    uow_factory: UnitOfWorkFactory,
    clock: ManualClock,
) -> None:
    wang_id = await make_bound_doctor(uow_factory, clock, WANG_USER, name="王医生")
    li_id = await make_bound_doctor(uow_factory, clock, LI_USER, name="李医生")
    mine = await make_resident(uow_factory, clock, 9_411, name=WANGS_RESIDENT)
    theirs = await make_resident(uow_factory, clock, 9_412, name=LIS_RESIDENT)
    await residents.choose_doctor(uow_factory(), clock, 9_411, wang_id, SHANGHAI)
    await residents.choose_doctor(uow_factory(), clock, 9_412, li_id, SHANGHAI)

    wang = await console_client(doctor_user=WANG_USER)
    page = await wang.page("/residents")
    assert WANGS_RESIDENT in page
    assert LIS_RESIDENT not in page
    searched = await wang.page(f"/residents?name={LIS_RESIDENT}")
    assert f"<td>{LIS_RESIDENT}</td>" not in searched
    assert "0 resident(s)." in searched
    await wang.page("/doctors", status=403)

    operator = await console_client()
    page = await operator.page("/residents")
    assert WANGS_RESIDENT in page
    assert LIS_RESIDENT in page

    async with uow_factory() as uow:
        rows = (
            await uow.session.execute(
                select(m.AuditEntry.actor_user_id, m.AuditEntry.resident_id, func.count())
                .group_by(m.AuditEntry.actor_user_id, m.AuditEntry.resident_id)
                .order_by(m.AuditEntry.actor_user_id, m.AuditEntry.resident_id)
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        (OPERATOR_USER, mine.id, 1),
        (OPERATOR_USER, theirs.id, 1),
        (WANG_USER, mine.id, 1),
    ]


async def test_only_hashes_are_stored_and_dead_sessions_are_deleted_after_a_day(
    console_client: ConsoleClientFactory, uow_factory: UnitOfWorkFactory, clock: ManualClock
) -> None:
    first = await console_client()
    token = next(c.value for c in first.http.session.cookie_jar if c.key == SESSION_COOKIE)
    async with uow_factory() as uow:
        hashes = set(await uow.session.scalars(select(m.ConsoleSession.token_hash)))
    assert token not in hashes
    assert len(hashes) == 1
    clock.advance(timedelta(hours=12, minutes=1) + timedelta(days=1))
    await console_client()
    async with uow_factory() as uow:
        sessions = await uow.session.scalar(select(func.count()).select_from(m.ConsoleSession))
        logins = await uow.session.scalar(select(func.count()).select_from(m.ConsoleLogin))
    assert (sessions, logins) == (1, 1)  # only the new sign-in's
