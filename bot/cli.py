"""The `jiayi` command. Every sub-command builds what it needs here, never at import time."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Annotated

import typer
from services.clock import SystemClock
from services.errors import DomainError
from services.settings import ConfigError, Settings, load_settings

app = typer.Typer(
    name="jiayi",
    help="家医 jiayi — a Telegram health-push service for community health centres.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
doctor_app = typer.Typer(help="Family doctors.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(doctor_app, name="doctor")

CONFIG_ERROR = 2


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as error:
        typer.echo(f"Configuration error: {error}", err=True)
        raise typer.Exit(CONFIG_ERROR) from None


def _logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


@app.command()
def run() -> None:
    """Apply pending migrations, then run the bot (long polling) until Ctrl-C."""
    settings = _settings()
    if settings.bot_token is None:
        typer.echo(
            "Configuration error: JIAYI_BOT_TOKEN: not set (get one from @BotFather, "
            "then put it in the environment or .env)",
            err=True,
        )
        raise typer.Exit(CONFIG_ERROR)
    _logging(settings)
    from bot.app import run as run_bot

    asyncio.run(run_bot(settings))


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration to JIAYI_DATABASE_URL."""
    settings = _settings()
    from services.database import migrate

    asyncio.run(migrate(settings.database_url))
    typer.echo("Database is up to date.")


@app.command("seed-demo")
def seed_demo() -> None:
    """Create a demo centre, doctors and residents. Safe to run again: nothing is duplicated."""
    settings = _settings()

    async def _seed() -> None:
        from services.database import migrate, open_database
        from services.demo import seed_demo as seed

        await migrate(settings.database_url)
        database = open_database(settings.database_url)
        try:
            report = await seed(database.uow_factory(), SystemClock(), timezone=settings.timezone)
        finally:
            await database.dispose()
        typer.echo(
            f"Demo data ready: centre {'created' if report.centre_created else 'existed'}, "
            f"{report.doctors_created} doctor(s) and {report.residents_created} resident(s) added."
        )

    asyncio.run(_seed())


@doctor_app.command("invite")
def doctor_invite(
    name: Annotated[str, typer.Option("--name", help="The doctor's name as residents see it.")],
    centre: Annotated[str, typer.Option("--centre", help="The centre's code, e.g. demo.")],
    ttl_hours: Annotated[
        int | None, typer.Option("--ttl-hours", help="Hours the link stays valid.")
    ] = None,
) -> None:
    """Print a one-time deep link that makes its opener the named doctor."""
    settings = _settings()

    async def _invite() -> str:
        from services import doctors
        from services.database import migrate, open_database

        await migrate(settings.database_url)
        database = open_database(settings.database_url)
        try:
            link = await doctors.create_invite(
                database.uow_factory(),
                SystemClock(),
                name=name,
                centre_code=centre,
                ttl=timedelta(hours=ttl_hours or settings.invite_ttl_hours),
            )
        finally:
            await database.dispose()
        username = settings.bot_username or await _bot_username(settings)
        if username:
            return f"https://t.me/{username}?start={link.payload}"
        return f"/start {link.payload}   (set JIAYI_BOT_USERNAME to get a t.me link)"

    try:
        typer.echo(asyncio.run(_invite()))
    except DomainError as error:
        messages = {
            "centre_not_found": f"No centre with code {centre!r}. Run `jiayi seed-demo` "
            "for the demo centre, or check the code.",
            "doctor_name_empty": "The doctor's name must not be empty.",
        }
        typer.echo(messages.get(error.code, error.code), err=True)
        raise typer.Exit(1) from None


async def _bot_username(settings: Settings) -> str | None:
    if settings.bot_token is None:
        return None
    from bot.app import build_bot

    bot = build_bot(settings)
    try:
        return (await bot.me()).username
    except Exception:
        return None
    finally:
        await bot.session.close()


def main() -> None:
    app()
