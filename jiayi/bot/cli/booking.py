"""`jiayi booking …`: bookable services, weekly schedules and closures."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sized
from typing import TYPE_CHECKING, Annotated

import typer

from jiayi.bot.cli.common import CONFIG_ERROR, cli_settings
from jiayi.bot.cli.holidays import holiday_warning
from jiayi.services.clock import SystemClock
from jiayi.services.errors import DomainError

if TYPE_CHECKING:
    from jiayi.services.database import UnitOfWork
    from jiayi.services.settings import Settings

booking_app = typer.Typer(help="Bookable services, schedules and closures.", no_args_is_help=True)


@booking_app.callback()
def booking_group() -> None:
    """Bookable services, schedules and closures."""
    holiday_warning()


@booking_app.command("load")
def booking_load(
    path: Annotated[str, typer.Argument(help="YAML file: a centre's services and schedules.")],
) -> None:
    """Add a centre's bookable services and weekly schedules from a YAML file (see
    services/booking_setup.py for the format). Existing services are left unchanged."""
    settings = cli_settings()
    from pathlib import Path

    from jiayi.services import booking, booking_setup
    from jiayi.services.database import migrate, open_database

    async def _load() -> tuple[booking_setup.LoadReport, int]:
        await migrate(settings.database_url)
        database = open_database(settings.database_url)
        try:
            report = await booking_setup.load_booking_file(database.uow_factory(), Path(path))
            slots = await booking.materialize_slots(
                database.uow_factory(), SystemClock(), settings.zone
            )
        finally:
            await database.dispose()
        return report, slots

    try:
        report, slots = asyncio.run(_load())
    except DomainError as error:
        typer.echo(f"{error.code}: {error.params.get('detail') or error.params}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"Services added: {', '.join(report.created) or 'none'}; already there: "
        f"{', '.join(report.existing) or 'none'}; {report.schedules} weekly schedule(s); "
        f"{slots} slot(s) opened."
    )


@booking_app.command("close-day")
def booking_close_day(
    centre: Annotated[str, typer.Option("--centre", help="The centre's code.")],
    day: Annotated[str, typer.Option("--day", help="Local date, YYYY-MM-DD.")],
    reason: Annotated[str, typer.Option("--reason", help="Shown to residents.")] = "",
) -> None:
    """Close a centre for a day: its appointments are cancelled, and everyone booked is told
    and offered another time."""
    settings = cli_settings()
    from datetime import date as date_type

    from jiayi.services import booking_setup

    try:
        when = date_type.fromisoformat(day)
    except ValueError:
        typer.echo(f"--day: expected YYYY-MM-DD, got {day!r}", err=True)
        raise typer.Exit(CONFIG_ERROR) from None

    count = _cancelled_count(
        settings,
        lambda uow: booking_setup.close_centre_day(
            uow, SystemClock(), centre, when, settings.zone, reason
        ),
    )
    typer.echo(f"Closed {centre} on {when}: {count} appointment(s) cancelled and notified.")


@booking_app.command("close-slot")
def booking_close_slot(
    centre: Annotated[str, typer.Option("--centre", help="The centre's code.")],
    service: Annotated[str, typer.Option("--service", help="The service's code.")],
    at: Annotated[str, typer.Option("--at", help="Local start, 'YYYY-MM-DD HH:MM'.")],
    reason: Annotated[str, typer.Option("--reason", help="Shown to residents.")] = "",
) -> None:
    """Close one slot: its appointments are cancelled, and everyone booked is told and offered
    another time."""
    settings = cli_settings()
    from datetime import datetime as datetime_type

    from jiayi.services import booking_setup

    try:
        local = datetime_type.strptime(at, "%Y-%m-%d %H:%M").replace(tzinfo=settings.zone)
    except ValueError:
        typer.echo(f"--at: expected 'YYYY-MM-DD HH:MM', got {at!r}", err=True)
        raise typer.Exit(CONFIG_ERROR) from None

    count = _cancelled_count(
        settings,
        lambda uow: booking_setup.close_centre_slot(
            uow, SystemClock(), centre, service, local, reason
        ),
    )
    typer.echo(f"Closed {service} at {at}: {count} appointment(s) cancelled and notified.")


def _cancelled_count(settings: Settings, close: Callable[[UnitOfWork], Awaitable[Sized]]) -> int:
    """Runs a closure on the migrated database: how many appointments it cancelled. A refusal
    (an unknown centre, service or slot) is printed and exits 1."""
    from jiayi.services.database import migrate, open_database

    async def _close() -> int:
        await migrate(settings.database_url)
        database = open_database(settings.database_url)
        try:
            cancelled = await close(database.uow_factory())
        finally:
            await database.dispose()
        return len(cancelled)

    try:
        return asyncio.run(_close())
    except DomainError as error:
        typer.echo(f"{error.code}: {error.params}", err=True)
        raise typer.Exit(1) from None
