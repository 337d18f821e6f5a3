"""What every `jiayi` sub-command shares: settings (a configuration error exits 2) and
logging."""

from __future__ import annotations

import logging

import typer

from jiayi.bot.logs import keep_personal_data_out
from jiayi.services.settings import ConfigError, Settings, load_settings

CONFIG_ERROR = 2


def cli_settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as error:
        typer.echo(f"Configuration error: {error}", err=True)
        raise typer.Exit(CONFIG_ERROR) from None


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if settings.log_format == "json":
        from jiayi.bot.logformat import use_json_logs

        use_json_logs()
    keep_personal_data_out()
