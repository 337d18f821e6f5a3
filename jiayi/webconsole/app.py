"""Builds and serves the console's aiohttp application."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from jiayi.content.i18n import load_translations
from jiayi.services.clock import Clock
from jiayi.services.database import UnitOfWorkFactory
from jiayi.services.settings import Settings
from jiayi.webconsole import security
from jiayi.webconsole.context import CLOCK, ENVIRONMENTS, SETTINGS, UOW_FACTORY, build_environments
from jiayi.webconsole.pages import (
    auth,
    content,
    dashboard,
    doctors,
    home,
    residents,
    rewards,
    roster,
    schedules,
)

STATIC_DIR = Path(__file__).parent / "static"
# One module per area, each with `routes = web.RouteTableDef()`. Add yours here.
PAGES = (auth, home, residents, doctors, roster, rewards, dashboard, schedules, content)


def build_console_app(
    settings: Settings,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    *,
    login_limiter: security.SlidingWindow | None = None,
) -> web.Application:
    app = web.Application(
        middlewares=[security.errors_middleware, security.session_middleware],
        client_max_size=20 * 1024 * 1024,  # spreadsheets to import
    )
    app[SETTINGS] = settings
    app[UOW_FACTORY] = uow_factory
    app[CLOCK] = clock
    app[ENVIRONMENTS] = build_environments(load_translations())
    app[security.LOGIN_LIMITER] = login_limiter or security.SlidingWindow()
    for page in PAGES:
        app.router.add_routes(page.routes)
    app.router.add_static("/static", STATIC_DIR)
    app.on_response_prepare.append(security.on_prepare)
    return app


async def start_console(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, str]:
    """Starts serving; returns the runner (call `cleanup()` to stop) and the bound address."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    bound = int(sockets[0].getsockname()[1]) if sockets else port
    return runner, f"http://{host}:{bound}"


async def serve(settings: Settings, announce: Callable[[str], None]) -> None:
    """`jiayi console`: the console alone, on JIAYI_CONSOLE_LISTEN, until SIGINT/SIGTERM."""
    from jiayi.services.clock import SystemClock
    from jiayi.services.database import migrate, open_database

    address = settings.console_address or ("127.0.0.1", 8766)
    await migrate(settings.database_url)
    database = open_database(settings.database_url)
    runner, url = await start_console(
        build_console_app(settings, database.uow_factory, SystemClock()), *address
    )
    announce(url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await runner.cleanup()
        await database.dispose()
