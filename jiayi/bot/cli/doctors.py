"""`jiayi doctor …`: invite, re-bind, deactivate and move family doctors."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from jiayi.bot.cli.common import CONFIG_ERROR, cli_settings
from jiayi.services.clock import SystemClock
from jiayi.services.errors import DomainError
from jiayi.services.settings import Settings

if TYPE_CHECKING:
    from jiayi.services.database import UnitOfWorkFactory

doctor_app = typer.Typer(help="Family doctors.", no_args_is_help=True)

_T = TypeVar("_T")


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
    settings = cli_settings()
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
    settings = cli_settings()
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
    settings = cli_settings()
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
    settings = cli_settings()
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
    settings = cli_settings()
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
