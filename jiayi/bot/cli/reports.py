"""`jiayi report …`: push coverage per doctor and the anonymised privacy counts."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from jiayi.bot.cli.common import cli_settings
from jiayi.bot.cli.holidays import holiday_warning
from jiayi.services.clock import SystemClock

report_app = typer.Typer(help="Reports for the centre.", no_args_is_help=True)


@report_app.callback()
def report_group() -> None:
    """Reports for the centre."""
    holiday_warning()


@report_app.command("coverage")
def report_coverage(
    year: Annotated[int | None, typer.Option(help="Calendar year (default: this year).")] = None,
    csv_path: Annotated[
        str | None, typer.Option("--csv", help="Also write one row per resident to this file.")
    ] = None,
) -> None:
    """Per family doctor: residents on track for 12 delivered pushes this year, and behind."""
    settings = cli_settings()

    from jiayi.services import pushes

    async def _report() -> pushes.CoverageReport:
        from jiayi.services.database import migrate, open_database

        await migrate(settings.database_url)
        database = open_database(settings.database_url)
        schedule = pushes.PushSchedule(zone=settings.zone)
        try:
            return await pushes.coverage(database.uow_factory(), schedule, SystemClock(), year)
        finally:
            await database.dispose()

    report = asyncio.run(_report())
    typer.echo(
        f"Coverage {report.year} as of {report.as_of}: on track = at least "
        f"{report.target} delivered"
    )
    typer.echo(f"{'doctor':<24}{'residents':>10}{'on track':>10}{'behind':>10}")
    for row in report.doctors:
        name = row.doctor_name or "(no family doctor)"
        typer.echo(f"{name:<24}{row.residents:>10}{row.on_track:>10}{row.behind:>10}")
    if csv_path:
        import csv

        with open(csv_path, "w", newline="", encoding="utf-8") as fp:
            writer = csv.writer(fp)
            writer.writerow(
                [
                    "resident_id",
                    "doctor_id",
                    "doctor",
                    "delivered",
                    "on_track",
                    "reachable",
                    "paused",
                ]
            )
            writer.writerows(report.rows)
        typer.echo(f"Wrote {len(report.rows)} rows to {csv_path}")


@report_app.command("privacy")
def report_privacy() -> None:
    """Anonymised counts kept after erasures and outbox pruning (no personal data)."""
    settings = cli_settings()
    from jiayi.services import privacy
    from jiayi.services.database import migrate, open_database

    async def _report() -> list[tuple[str, str, str, int]]:
        await migrate(settings.database_url)
        database = open_database(settings.database_url)
        try:
            return await privacy.all_statistics(database.uow_factory())
        finally:
            await database.dispose()

    rows = asyncio.run(_report())
    if not rows:
        typer.echo("No anonymised counts yet.")
    for metric, period, dimension, count in rows:
        typer.echo(f"{metric}\t{period}\t{dimension or '-'}\t{count}")
