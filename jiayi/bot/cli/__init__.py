"""The `jiayi` command. Every sub-command builds what it needs in its own module, never at
import time; this module assembles them into one Typer ``app`` (the `jiayi` entry point)."""

from __future__ import annotations

import typer

from jiayi.bot.cli import booking, content, database, doctors, holidays, points, reports, serve

app = typer.Typer(
    name="jiayi",
    help="家医 jiayi — a Telegram health-push service for community health centres.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


# Commands first, then groups: Typer lists them in this order in `jiayi --help`.
app.command()(serve.run)
app.command()(serve.sandbox)
app.command()(serve.console)
app.command("seed-demo")(database.seed_demo)
app.command("calendar")(content.push_calendar)
app.add_typer(database.db_app, name="db")
app.add_typer(doctors.doctor_app, name="doctor")
app.add_typer(content.content_app, name="content")
app.add_typer(reports.report_app, name="report")
app.add_typer(booking.booking_app, name="booking")
app.add_typer(points.points_app, name="points")
app.add_typer(holidays.holidays_app, name="holidays")


def main() -> None:
    app()
