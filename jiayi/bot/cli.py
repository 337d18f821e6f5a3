"""The `jiayi` command. Every sub-command builds what it needs here, never at import time."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from jiayi.bot.logs import keep_personal_data_out
from jiayi.services.clock import SystemClock
from jiayi.services.errors import DomainError
from jiayi.services.settings import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from jiayi.services.database import UnitOfWorkFactory

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
_T = TypeVar("_T")


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
    if settings.log_format == "json":
        from jiayi.bot.logformat import use_json_logs

        use_json_logs()
    keep_personal_data_out()


@app.command()
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
    settings = _settings()
    if workers is not None:
        settings = settings.model_copy(update={"workers": workers})
    _logging(settings)
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


@app.command()
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
    settings = _settings()
    _logging(settings)
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


@app.command()
def console() -> None:
    """Serve the centre's web console alone on JIAYI_CONSOLE_LISTEN (default
    127.0.0.1:8766). Sign in with the one-time link `/console` sends in the bot."""
    settings = _settings()
    _logging(settings)
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


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration to JIAYI_DATABASE_URL."""
    settings = _settings()
    from jiayi.services.database import migrate

    asyncio.run(migrate(settings.database_url))
    typer.echo("Database is up to date.")


@app.command("seed-demo")
def seed_demo() -> None:
    """Create a demo centre, doctors and residents. Safe to run again: nothing is duplicated."""
    settings = _settings()

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


_DOCTOR_ERRORS = {
    "centre_not_found": "No centre with code {centre!r}. Run `jiayi seed-demo` for the demo "
    "centre, or check the code.",
    "doctor_name_empty": "Give the new doctor's name with --name (or --rebind a link code).",
    "doctor_not_found": "No doctor with link code {doctor!r} at this centre.",
    "doctor_inactive": "Doctor {doctor!r} is deactivated.",
    "rebind_name_mismatch": "Link code {doctor!r} belongs to {name!r}, not the --name given.",
    "invite_invalid": "No such invite (paste the link or token the invite command printed).",
    "doctor_move_invalid": "Residents move only to another doctor of the same centre.",
}


def _doctor_command(settings: Settings, work: Callable[[UnitOfWorkFactory], Awaitable[_T]]) -> _T:
    """Runs a doctor-account service on the configured database; domain errors become one
    clear line on stderr and exit code 1."""

    async def _run() -> _T:
        from jiayi.services.database import migrate, open_database

        await migrate(settings.database_url)
        database = open_database(settings.database_url)
        try:
            return await work(database.uow_factory)
        finally:
            await database.dispose()

    try:
        return asyncio.run(_run())
    except DomainError as error:
        message = _DOCTOR_ERRORS.get(error.code, error.code)
        typer.echo(message.format_map(defaultdict(str, error.params)), err=True)
        raise typer.Exit(1) from None


@doctor_app.command("invite")
def doctor_invite(
    centre: Annotated[str, typer.Option("--centre", help="The centre's code, e.g. demo.")],
    name: Annotated[
        str | None,
        typer.Option("--name", help="A NEW doctor's name as residents see it."),
    ] = None,
    rebind: Annotated[
        str | None,
        typer.Option(
            "--rebind",
            help="Link code of an EXISTING doctor whose account (and residents) the link "
            "moves to whoever opens it.",
        ),
    ] = None,
    ttl_hours: Annotated[
        int | None, typer.Option("--ttl-hours", help="Hours the link stays valid.")
    ] = None,
) -> None:
    """Print a one-time deep link that makes its opener a new doctor (--name), or, with
    --rebind, the existing doctor with that link code."""
    settings = _settings()
    from jiayi.services import doctors

    link = _doctor_command(
        settings,
        lambda uow_factory: doctors.create_invite(
            uow_factory(),
            SystemClock(),
            name=name,
            centre_code=centre,
            ttl=timedelta(hours=ttl_hours or settings.invite_ttl_hours),
            rebind=rebind,
        ),
    )
    who = f"{link.doctor.display_name} (link code {link.doctor.link_code})"
    if link.rebind:
        typer.echo(
            f"Invite to RE-BIND existing doctor {who}, who has {link.residents} resident(s). "
            "Whoever opens it becomes this doctor with these residents; the Telegram account "
            "bound to them so far loses the doctor console."
        )
    else:
        typer.echo(f"Invite for a NEW doctor {who}, with 0 residents.")
    for other in link.namesakes:
        typer.echo(
            f"Note: another doctor with this name exists (link code {other.link_code}, "
            f"{other.residents} resident(s)); this invite does not touch them."
        )
    username = settings.bot_username or asyncio.run(_bot_username(settings))
    if username:
        typer.echo(f"https://t.me/{username}?start={link.payload}")
    else:
        typer.echo(f"/start {link.payload}   (set JIAYI_BOT_USERNAME to get a t.me link)")


@doctor_app.command("revoke-invite")
def doctor_revoke_invite(
    link: Annotated[
        str | None, typer.Option("--link", help="The link (or token) the invite printed.")
    ] = None,
    doctor: Annotated[
        str | None, typer.Option("--doctor", help="Revoke every open invite of this link code.")
    ] = None,
) -> None:
    """Make an invite link stop working (a forwarded link, a mistake)."""
    if (link is None) == (doctor is None):
        typer.echo("Give exactly one of --link or --doctor.", err=True)
        raise typer.Exit(CONFIG_ERROR)
    settings = _settings()
    from jiayi.services import doctors

    revoked = _doctor_command(
        settings,
        lambda uow_factory: doctors.revoke_invite(
            uow_factory(), SystemClock(), link=link, doctor=doctor
        ),
    )
    typer.echo(f"{revoked} open invite(s) revoked.")


@doctor_app.command("deactivate")
def doctor_deactivate(
    doctor: Annotated[str, typer.Option("--doctor", help="The doctor's link code.")],
) -> None:
    """A doctor who left: the console is gone at once, open invites are revoked, residents
    stay and are listed by `residents-without-doctor` until moved."""
    settings = _settings()
    from jiayi.services import doctors

    done = _doctor_command(
        settings,
        lambda uow_factory: doctors.deactivate(uow_factory(), SystemClock(), doctor=doctor),
    )
    typer.echo(
        f"Deactivated {done.doctor.display_name} (link code {done.doctor.link_code}); "
        f"{done.invites_revoked} open invite(s) revoked. {done.residents} resident(s) need a "
        f"new doctor: jiayi doctor move --from {done.doctor.link_code} --to <link code>"
    )


@doctor_app.command("residents-without-doctor")
def doctor_residents_without_doctor() -> None:
    """Residents still contracted with a deactivated doctor, per doctor."""
    settings = _settings()
    from jiayi.services import doctors

    practices = _doctor_command(
        settings, lambda uow_factory: doctors.residents_without_doctor(uow_factory())
    )
    if not practices:
        typer.echo("Every contracted resident has an active doctor.")
    for practice in practices:
        ids = ", ".join(str(i) for i in practice.resident_ids)
        typer.echo(
            f"{practice.display_name} (link code {practice.link_code}, deactivated): "
            f"{len(practice.resident_ids)} resident(s), ids {ids}"
        )


@doctor_app.command("move")
def doctor_move(
    from_doctor: Annotated[str, typer.Option("--from", help="Link code they move from.")],
    to_doctor: Annotated[str, typer.Option("--to", help="Link code of their new doctor.")],
) -> None:
    """Move every contracted resident of one doctor to another of the same centre."""
    settings = _settings()
    from jiayi.services import doctors

    moved = _doctor_command(
        settings,
        lambda uow_factory: doctors.move_residents(
            uow_factory(), SystemClock(), from_doctor=from_doctor, to_doctor=to_doctor
        ),
    )
    typer.echo(f"{moved} resident(s) moved from {from_doctor} to {to_doctor}.")


async def _bot_username(settings: Settings) -> str | None:
    if settings.bot_token is None:
        return None
    from jiayi.bot.app import build_bot

    bot = build_bot(settings)
    try:
        return (await bot.me()).username
    except Exception:
        return None
    finally:
        await bot.session.close()


content_app = typer.Typer(help="Health-tip content.", no_args_is_help=True)
report_app = typer.Typer(help="Reports for the centre.", no_args_is_help=True)
app.add_typer(content_app, name="content")
app.add_typer(report_app, name="report")


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
    settings = _settings()
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
    settings = _settings()
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


@app.command("calendar")
def push_calendar(
    year: Annotated[int | None, typer.Argument(help="Calendar year (default: this year).")] = None,
) -> None:
    """Print the year's push calendar: every trigger date in the centre's time zone and which
    tips fire for which audience."""
    settings = _settings()
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


@report_app.command("coverage")
def report_coverage(
    year: Annotated[int | None, typer.Option(help="Calendar year (default: this year).")] = None,
    csv_path: Annotated[
        str | None, typer.Option("--csv", help="Also write one row per resident to this file.")
    ] = None,
) -> None:
    """Per family doctor: residents on track for 12 delivered pushes this year, and behind."""
    settings = _settings()

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


booking_app = typer.Typer(help="Bookable services, schedules and closures.", no_args_is_help=True)
app.add_typer(booking_app, name="booking")


@booking_app.command("load")
def booking_load(
    path: Annotated[str, typer.Argument(help="YAML file: a centre's services and schedules.")],
) -> None:
    """Add a centre's bookable services and weekly schedules from a YAML file (see
    services/booking_setup.py for the format). Existing services are left unchanged."""
    settings = _settings()
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


points_app = typer.Typer(help="Health points: rewards per centre.", no_args_is_help=True)
app.add_typer(points_app, name="points")


@points_app.command("load")
def points_load(
    path: Annotated[str, typer.Argument(help="YAML file: a centre's rewards for points.")],
) -> None:
    """Add or update a centre's rewards (cost, stock, voucher validity) from a YAML file; see
    content/points/catalogue.yaml for the format."""
    settings = _settings()
    from pathlib import Path

    from jiayi.services import points
    from jiayi.services.database import migrate, open_database

    async def _load() -> points.CatalogueReport:
        spec = points.load_catalogue_file(Path(path))
        await migrate(settings.database_url)
        database = open_database(settings.database_url)
        try:
            return await points.load_catalogue(database.uow_factory(), spec)
        finally:
            await database.dispose()

    try:
        report = asyncio.run(_load())
    except DomainError as error:
        typer.echo(f"{error.code}: {error.params.get('detail') or error.params}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"Rewards added: {', '.join(report.created) or 'none'}; updated: "
        f"{', '.join(report.updated) or 'none'}."
    )


@booking_app.command("close-day")
def booking_close_day(
    centre: Annotated[str, typer.Option("--centre", help="The centre's code.")],
    day: Annotated[str, typer.Option("--day", help="Local date, YYYY-MM-DD.")],
    reason: Annotated[str, typer.Option("--reason", help="Shown to residents.")] = "",
) -> None:
    """Close a centre for a day: its appointments are cancelled, and everyone booked is told
    and offered another time."""
    settings = _settings()
    from datetime import date as date_type

    from jiayi.services import booking_setup
    from jiayi.services.database import migrate, open_database

    try:
        when = date_type.fromisoformat(day)
    except ValueError:
        typer.echo(f"--day: expected YYYY-MM-DD, got {day!r}", err=True)
        raise typer.Exit(CONFIG_ERROR) from None

    async def _close() -> int:
        await migrate(settings.database_url)
        database = open_database(settings.database_url)
        try:
            cancelled = await booking_setup.close_centre_day(
                database.uow_factory(), SystemClock(), centre, when, settings.zone, reason
            )
        finally:
            await database.dispose()
        return len(cancelled)

    try:
        count = asyncio.run(_close())
    except DomainError as error:
        typer.echo(f"{error.code}: {error.params}", err=True)
        raise typer.Exit(1) from None
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
    settings = _settings()
    from datetime import datetime as datetime_type

    from jiayi.services import booking_setup
    from jiayi.services.database import migrate, open_database

    try:
        local = datetime_type.strptime(at, "%Y-%m-%d %H:%M").replace(tzinfo=settings.zone)
    except ValueError:
        typer.echo(f"--at: expected 'YYYY-MM-DD HH:MM', got {at!r}", err=True)
        raise typer.Exit(CONFIG_ERROR) from None

    async def _close() -> int:
        await migrate(settings.database_url)
        database = open_database(settings.database_url)
        try:
            cancelled = await booking_setup.close_centre_slot(
                database.uow_factory(), SystemClock(), centre, service, local, reason
            )
        finally:
            await database.dispose()
        return len(cancelled)

    try:
        count = asyncio.run(_close())
    except DomainError as error:
        typer.echo(f"{error.code}: {error.params}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Closed {service} at {at}: {count} appointment(s) cancelled and notified.")


@report_app.command("privacy")
def report_privacy() -> None:
    """Anonymised counts kept after erasures and outbox pruning (no personal data)."""
    settings = _settings()
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


holidays_app = typer.Typer(
    help="Public-holiday schedules (content/holidays/<year>.yaml).", no_args_is_help=True
)
app.add_typer(holidays_app, name="holidays")


def _holiday_warning() -> None:
    """Says on stderr when the booking horizon reaches a year without a holiday schedule."""
    from jiayi.services import holidays

    settings = _settings()
    today = datetime.now(settings.zone).date()
    warning = holidays.missing_years_warning(
        holidays.missing_years(today, today + holidays.BOOKING_HORIZON)
    )
    if warning:
        typer.secho(warning, err=True, fg=typer.colors.RED, bold=True)


@booking_app.callback()
def booking_group() -> None:
    """Bookable services, schedules and closures."""
    _holiday_warning()


@report_app.callback()
def report_group() -> None:
    """Reports for the centre."""
    _holiday_warning()


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
    settings = _settings()
    today = datetime.now(settings.zone).date()
    if not holidays.missing_years(today, today + holidays.BOOKING_HORIZON):
        typer.echo("Every year in the booking horizon has a schedule.")
    else:
        _holiday_warning()


def main() -> None:
    app()
