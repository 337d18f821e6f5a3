"""`jiayi content …` and `jiayi calendar`: the health-tip library and its push calendar."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from jiayi.bot.cli.common import cli_settings

content_app = typer.Typer(help="Health-tip content.", no_args_is_help=True)


@content_app.command("check")
def content_check(
    today: Annotated[
        str | None,
        typer.Option(
            "--today",
            help="Check as of this day, YYYY-MM-DD (default: today in the centre's time zone).",
        ),
    ] = None,
    overdue_reviews: Annotated[
        str,
        typer.Option(
            "--overdue-reviews",
            help="'fail' (default) or 'warn': what an overdue tip review is. The build "
            "(make test) warns, so CI never turns red just because a date passed.",
        ),
    ] = "fail",
) -> None:
    """Validate every tip and template: both languages render, ids are unique, nothing is too
    long, reviews are not overdue (warnings from half a year before), and every audience gets
    at least 12 pushes a year."""
    settings = cli_settings()
    from jiayi.content.render import Renderer
    from jiayi.services.clock import SystemClock
    from jiayi.services.content_check import check_content

    if today is None:
        day = SystemClock().now().astimezone(settings.zone).date()
    else:
        try:
            day = date.fromisoformat(today)
        except ValueError:
            typer.echo(f"--today must be a date like 2026-11-23, not {today!r}", err=True)
            raise typer.Exit(2) from None
    if overdue_reviews not in ("fail", "warn"):
        typer.echo(
            f"--overdue-reviews must be 'fail' or 'warn', not {overdue_reviews!r}", err=True
        )
        raise typer.Exit(2)
    report = check_content(
        Renderer(default_locale=settings.default_locale),
        settings.zone,
        day,
        overdue_reviews_fail=overdue_reviews == "fail",
    )
    for warning in report.warnings:
        typer.echo(f"warning: {warning}")
    if report.pending:
        typer.echo(
            f"pending clinical review: {len(report.pending)} of {report.tips} tips "
            f"({', '.join(report.pending)})"
        )
    for year, counts in sorted(report.pushes_per_year.items()):
        summary = ", ".join(f"{label} {count}" for label, count in counts.items())
        typer.echo(f"{year} dated pushes per audience: {summary}")
    if not report.ok:
        for problem in report.problems:
            typer.echo(f"error: {problem}", err=True)
        typer.echo(f"{len(report.problems)} problem(s) found.", err=True)
        raise typer.Exit(1)
    typer.echo(f"Content OK: {report.tips} tips, {report.variants} variants, both languages.")


@content_app.command("coverage")
def content_coverage(
    year: Annotated[int | None, typer.Argument(help="Calendar year (default: this year).")] = None,
) -> None:
    """Per audience, the distinct pushes written for it in the year (dated tips and planned
    evergreen slots; catch-up not counted). The target is 12 for every audience."""
    settings = cli_settings()
    from jiayi.content.render import Renderer
    from jiayi.content.tips import load_library
    from jiayi.services.clock import SystemClock
    from jiayi.services.content_check import audience_coverage

    year = year or SystemClock().now().astimezone(settings.zone).year
    counts = audience_coverage(load_library(Renderer().env), year, settings.zone)
    typer.echo(f"Distinct pushes written for each audience in {year} (target 12):")
    for label, count in counts.items():
        mark = "" if count >= 12 else "  <- below target"
        typer.echo(f"  {label:<32} {count:>3}{mark}")
    if min(counts.values()) < 12:
        raise typer.Exit(1)


def push_calendar(
    year: Annotated[int | None, typer.Argument(help="Calendar year (default: this year).")] = None,
) -> None:
    """Print the year's push calendar: every trigger date in the centre's time zone and which
    tips fire for which audience."""
    settings = cli_settings()
    from jiayi.content import calendar as cal
    from jiayi.content.render import Renderer
    from jiayi.content.tips import load_library
    from jiayi.services.clock import SystemClock
    from jiayi.services.content_check import push_calendar as build

    year = year or SystemClock().now().astimezone(settings.zone).year
    library = load_library(Renderer().env)
    tips_by_day: dict[object, list[str]] = {}
    planned_days: set[object] = set()
    for entry in build(library, year, settings.zone):
        offset = f" ({entry.offset_days:+d} d)" if entry.offset_days else ""
        if library.get(entry.tip_id).evergreen:
            planned_days.add(entry.day)
        tips_by_day.setdefault(entry.day, []).append(
            f"{entry.tip_id}{offset} → {', '.join(entry.audiences)}"
        )
    typer.echo(f"Push calendar {year} ({settings.timezone}, pushes at {settings.push_hour}:00)")
    for occurrence in cal.occurrences(year, settings.zone):
        typer.echo(
            f"{occurrence.day.isoformat()}  {occurrence.kind.value:<10}  "
            f"{occurrence.name_zh} {occurrence.name_en}"
        )
        for line in tips_by_day.pop(occurrence.day, []):
            typer.echo(f"{'':14}tip {line}")
    # Offset tips and evergreen slots, on days without a trigger.
    for day, lines in sorted(tips_by_day.items()):
        label = "planned" if day in planned_days else "offset"
        for line in lines:
            typer.echo(f"{day}  {label:<10}  tip {line}")
