"""`jiayi db upgrade` and `jiayi seed-demo`."""

from __future__ import annotations

import asyncio

import typer

from jiayi.bot.cli.common import cli_settings
from jiayi.services.clock import SystemClock

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration to JIAYI_DATABASE_URL."""
    settings = cli_settings()
    from jiayi.services.database import migrate

    asyncio.run(migrate(settings.database_url))
    typer.echo("Database is up to date.")


def seed_demo() -> None:
    """Create a demo centre, doctors and residents. Safe to run again: nothing is duplicated."""
    settings = cli_settings()

    async def _seed() -> None:
        from jiayi.services.database import migrate, open_database
        from jiayi.services.demo import seed_demo as seed

        await migrate(settings.database_url)
        database = open_database(settings.database_url)
        try:
            report = await seed(database.uow_factory(), SystemClock(), timezone=settings.timezone)
        finally:
            await database.dispose()
        typer.echo(
            f"Demo data ready: centre {'created' if report.centre_created else 'existed'}, "
            f"{report.doctors_created} doctor(s) and {report.residents_created} resident(s) "
            f"added, {report.services_created} bookable service(s), "
            f"{report.slots_created} slot(s) opened, {report.rewards_created} points reward(s)."
        )

    asyncio.run(_seed())
