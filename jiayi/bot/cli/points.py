"""`jiayi points load`: a centre's rewards for health points."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from jiayi.bot.cli.common import cli_settings
from jiayi.services.errors import DomainError

points_app = typer.Typer(help="Health points: rewards per centre.", no_args_is_help=True)


@points_app.command("load")
def points_load(
    path: Annotated[str, typer.Argument(help="YAML file: a centre's rewards for points.")],
) -> None:
    """Add or update a centre's rewards (cost, stock, voucher validity) from a YAML file; see
    content/points/catalogue.yaml for the format."""
    settings = cli_settings()
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
