"""`jiayi holidays …`: public-holiday schedules, and the warning booking and reports
print when the booking horizon reaches a year without one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from jiayi.bot.cli.common import cli_settings

holidays_app = typer.Typer(
    help="Public-holiday schedules (content/holidays/<year>.yaml).", no_args_is_help=True
)


def holiday_warning() -> None:
    """Says on stderr when the booking horizon reaches a year without a holiday schedule."""
    from jiayi.services import holidays

    settings = cli_settings()
    today = datetime.now(settings.zone).date()
    warning = holidays.missing_years_warning(
        holidays.missing_years(today, today + holidays.BOOKING_HORIZON)
    )
    if warning:
        typer.secho(warning, err=True, fg=typer.colors.RED, bold=True)


@holidays_app.command("load")
def holidays_load(
    path: Annotated[str, typer.Argument(help="YAML file: one year's State Council schedule.")],
) -> None:
    """Check a year's holiday schedule and install it as content/holidays/<year>.yaml; booking
    uses it from the next slot planning on (no restart needed). Slots already opened on a
    day that is now a holiday stay: close that day with `jiayi booking close-day`."""
    from pathlib import Path

    from jiayi.services import holidays

    try:
        loaded = holidays.install(Path(path))
    except holidays.HolidayFileError as error:
        typer.echo(f"Not loaded: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"Holidays {loaded.year} loaded from “{loaded.source}”: {len(loaded.closed)} day(s) "
        f"off, {len(loaded.workdays)} weekend day(s) worked."
    )


@holidays_app.command("status")
def holidays_status() -> None:
    """Which years have a schedule, and whether the booking horizon reaches one without."""
    from jiayi.services import holidays

    for year, loaded in sorted(holidays.loaded_years().items()):
        typer.echo(f"{year}\t{len(loaded.closed)} day(s) off\t{loaded.source}")
    settings = cli_settings()
    today = datetime.now(settings.zone).date()
    if not holidays.missing_years(today, today + holidays.BOOKING_HORIZON):
        typer.echo("Every year in the booking horizon has a schedule.")
    else:
        holiday_warning()
