"""`jiayi run`, `jiayi sandbox` and `jiayi console`: the long-running processes."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Annotated

import typer

from jiayi.bot.cli.common import CONFIG_ERROR, cli_settings, configure_logging
from jiayi.services.clock import SystemClock
from jiayi.services.settings import Settings


def run(
    webhook: Annotated[
        bool,
        typer.Option(
            "--webhook",
            help="Receive updates by webhook (JIAYI_WEBHOOK_URL, JIAYI_WEBHOOK_SECRET, "
            "JIAYI_WEBHOOK_LISTEN) instead of long polling.",
        ),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Worker processes sharing the webhook port (default JIAYI_WORKERS; more "
            "than one needs PostgreSQL and Redis).",
        ),
    ] = None,
) -> None:
    """Apply pending migrations, then run the bot (long polling) until Ctrl-C. Without
    JIAYI_BOT_TOKEN, start the local sandbox instead (see `jiayi sandbox`)."""
    settings = cli_settings()
    if workers is not None:
        settings = settings.model_copy(update={"workers": workers})
    configure_logging(settings)
    log = logging.getLogger("jiayi")
    if webhook or settings.workers > 1:
        _run_webhook(settings, webhook=webhook)
        return
    if settings.bot_token is None:
        log.warning(
            "JIAYI_BOT_TOKEN is not set: starting the local sandbox (a web chat with the bot, "
            "no Telegram). Set JIAYI_BOT_TOKEN to run the real bot."
        )
        _serve_sandbox(settings, host="127.0.0.1", port=settings.sandbox_port, start=None)
        return
    log.info(
        "JIAYI_BOT_TOKEN is set: running the real bot against %s",
        settings.telegram_api_url or "Telegram (api.telegram.org)",
    )
    asyncio.run(_run_bot_and_console(settings))


async def _run_bot_and_console(settings: Settings) -> None:
    """The bot (long polling) and, unless JIAYI_CONSOLE_LISTEN is empty, the centre's web
    console beside it in the same process and event loop."""
    from jiayi.bot.app import run as run_bot

    address = settings.console_address
    if address is None:
        await run_bot(settings)
        return
    from jiayi.services.database import migrate, open_database
    from jiayi.webconsole.app import build_console_app, start_console

    await migrate(settings.database_url)
    database = open_database(settings.database_url)
    log = logging.getLogger("jiayi")
    runner = None
    try:
        runner, url = await start_console(
            build_console_app(settings, database.uow_factory, SystemClock()), *address
        )
    except OSError as error:
        # The bot matters more than its console: residents' pushes go on either way.
        log.error(
            "the centre console cannot listen on %s (%s); the bot runs without it",
            settings.console_listen,
            error.strerror,
        )
    else:
        log.info(
            "the centre console is at %s (sign in: /console in the bot); "
            "set JIAYI_CONSOLE_LISTEN= (empty) to run the bot without it",
            url,
        )
    try:
        await run_bot(settings)
    finally:
        if runner is not None:
            await runner.cleanup()
        await database.dispose()


def _run_webhook(settings: Settings, *, webhook: bool) -> None:
    problem = None
    if not webhook:
        problem = "JIAYI_WORKERS > 1 needs webhook mode: add --webhook"
    elif settings.bot_token is None:
        problem = "JIAYI_BOT_TOKEN is required for webhook mode"
    elif settings.webhook_url is None:
        problem = "JIAYI_WEBHOOK_URL is required for webhook mode (the public HTTPS URL)"
    elif settings.webhook_secret is None:
        problem = "JIAYI_WEBHOOK_SECRET is required for webhook mode"
    elif settings.workers > 1:
        problem = settings.shared_state_missing()
    if problem:
        typer.echo(f"Configuration error: {problem}", err=True)
        raise typer.Exit(CONFIG_ERROR)
    from jiayi.bot.webhook import serve

    serve(settings)


def sandbox(
    host: Annotated[str, typer.Option(help="Address the web chat listens on.")] = "127.0.0.1",
    port: Annotated[
        int | None,
        typer.Option(help="Port of the web chat (default JIAYI_SANDBOX_PORT; 0: any free)."),
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(help="Start the sandbox clock at this local time, 'YYYY-MM-DD HH:MM'."),
    ] = None,
) -> None:
    """Try jiayi without Telegram: the real bot, scheduler and dispatcher on a fresh demo
    database, talking to a local Bot API server; prints the URL of a web chat with it."""
    settings = cli_settings()
    configure_logging(settings)
    begin = None
    if start is not None:
        try:
            begin = datetime.strptime(start, "%Y-%m-%d %H:%M").replace(tzinfo=settings.zone)
        except ValueError:
            typer.echo(f"--start: expected 'YYYY-MM-DD HH:MM', got {start!r}", err=True)
            raise typer.Exit(CONFIG_ERROR) from None
    _serve_sandbox(
        settings,
        host=host,
        port=settings.sandbox_port if port is None else port,
        start=begin,
    )


def _serve_sandbox(settings: Settings, *, host: str, port: int, start: datetime | None) -> None:
    from jiayi.sandbox.web.runner import serve

    def announce(url: str) -> None:
        typer.echo(f"jiayi sandbox is running: open {url}  (Ctrl-C to stop)")

    # The console beside the chat, on the next port (any free one when the chat's is).
    console_port = port + 1 if 0 < port < 65535 else 0
    try:
        asyncio.run(
            serve(
                settings,
                host=host,
                port=port,
                announce=announce,
                start=start,
                console_port=console_port,
            )
        )
    except OSError as error:
        typer.echo(f"Cannot start the sandbox on {host}:{port}: {error.strerror}", err=True)
        raise typer.Exit(1) from None


def console() -> None:
    """Serve the centre's web console alone on JIAYI_CONSOLE_LISTEN (default
    127.0.0.1:8766). Sign in with the one-time link `/console` sends in the bot."""
    settings = cli_settings()
    configure_logging(settings)
    from jiayi.webconsole.app import serve

    def announce(url: str) -> None:
        typer.echo(f"jiayi console is running: {url}  (sign in: send /console to the bot)")

    try:
        asyncio.run(serve(settings, announce))
    except OSError as error:
        typer.echo(f"Cannot start the console on {settings.console_listen}: {error}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        pass
