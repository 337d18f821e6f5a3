"""Configuration from the environment (prefix JIAYI_) and an optional .env file."""

from __future__ import annotations

import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    HttpUrl,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

Locale = Literal["zh-CN", "en"]
LOCALES: tuple[Locale, ...] = ("zh-CN", "en")

_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_DB_SCHEMES = ("sqlite", "postgresql", "postgres")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="JIAYI_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    bot_token: SecretStr | None = None
    database_url: str = "sqlite+aiosqlite:///./jiayi.db"
    telegram_api_url: HttpUrl | None = None
    timezone: str = "Asia/Shanghai"
    default_locale: Locale = "zh-CN"
    admin_ids: Annotated[frozenset[int], NoDecode] = Field(default_factory=frozenset)
    redis_url: str | None = None
    bot_username: str | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    invite_ttl_hours: int = Field(default=72, ge=1, le=24 * 30)
    push_hour: int = Field(default=9, ge=6, le=20)
    plan_grace_days: int = Field(default=3, ge=0, le=14)
    # False: tips still awaiting clinical sign-off (review state `pending`) are not sent.
    send_pending_content: bool = True
    push_rate: float = Field(default=25.0, gt=0, le=30)
    # How often each scheduler job runs (scheduler/app.py). Tests set them all to an hour or
    # more so no timer fires during a test: they run the jobs themselves on a manual clock.
    dispatch_interval_seconds: float = Field(default=2.0, gt=0, le=3600)
    # How long a dispatcher holds the outbox rows it claimed: a dead worker's unsent rows are
    # sent by another once it runs out. Sends stop at four fifths of it (services/delivery.py).
    dispatch_lease_seconds: float = Field(default=300.0, ge=5, le=3600)
    plan_interval_minutes: int = Field(default=10, ge=1, le=240)
    slots_interval_hours: float = Field(default=6.0, gt=0, le=48)
    offers_interval_seconds: float = Field(default=60.0, gt=0, le=3600)
    care_interval_hours: float = Field(default=3.0, gt=0, le=48)
    retention_interval_hours: float = Field(default=24.0, gt=0, le=168)
    points_interval_minutes: float = Field(default=60.0, gt=0, le=1440)
    broadcast_progress_interval_seconds: float = Field(default=30.0, gt=0, le=3600)
    # Finished pushes older than this are deleted; only their counts are kept.
    outbox_retention_months: int = Field(default=13, ge=1, le=120)
    # Home blood-pressure and glucose readings are deleted after this (default: a contract).
    readings_retention_months: int = Field(default=12, ge=1, le=120)
    # The local sandbox's web chat (`jiayi sandbox`, or `jiayi run` without a token); 0 = any.
    sandbox_port: int = Field(default=8765, ge=0, le=65535)
    # Webhook mode (`jiayi run --webhook`): the public HTTPS URL Telegram calls, the secret it
    # must send with every update, and where the workers listen (behind a TLS proxy).
    webhook_url: HttpUrl | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1:8080"
    # Worker processes sharing the webhook port; more than one needs PostgreSQL and Redis.
    workers: int = Field(default=1, ge=1, le=64)
    log_format: Literal["text", "json"] = "text"
    # The centre's web console (`jiayi console`; `jiayi run` starts it too). Empty: not started
    # by `jiayi run`. JIAYI_CONSOLE_URL is the address people open (behind a TLS proxy, the
    # public https:// one); sign-in links sent by `/console` in the bot start with it.
    console_listen: str = "127.0.0.1:8766"
    console_url: HttpUrl | None = None

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _TOKEN.match(value.get_secret_value()):
            # Never echo the token back: it is a credential.
            raise ValueError("expected the form 123456789:ABC-def from @BotFather")
        return value

    @field_validator("database_url")
    @classmethod
    def _db_scheme(cls, value: str) -> str:
        scheme = value.split(":", 1)[0].split("+", 1)[0]
        if scheme not in _DB_SCHEMES or "://" not in value:
            raise ValueError(
                "expected sqlite+aiosqlite:///path.db or postgresql+asyncpg://user@host/db"
            )
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's rule for secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -.
        if value is not None and not _SECRET.match(value.get_secret_value()):
            raise ValueError("expected 1-256 characters from A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("webhook_listen", "console_listen")
    @classmethod
    def _listen_shape(cls, value: str, info: ValidationInfo) -> str:
        if info.field_name == "console_listen" and not value:
            return value
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("expected host:port, e.g. 127.0.0.1:8080")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in re.split(r"[,\s]+", value.strip()) if p]
            if not all(p.lstrip("-").isdigit() for p in parts):
                raise ValueError("expected Telegram user ids separated by commas, e.g. 123,456")
            return frozenset(int(p) for p in parts)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def listen(self) -> tuple[str, int]:
        host, _, port = self.webhook_listen.rpartition(":")
        return host.strip("[]"), int(port)

    @property
    def console_address(self) -> tuple[str, int] | None:
        """Where the web console listens, or None when `jiayi run` should not start it."""
        if not self.console_listen:
            return None
        host, _, port = self.console_listen.rpartition(":")
        return host.strip("[]"), int(port)

    @property
    def console_base_url(self) -> str:
        """The console's address as people open it, without a trailing slash."""
        if self.console_url is not None:
            return str(self.console_url).rstrip("/")
        host, port = self.console_address or ("127.0.0.1", 8766)
        return f"http://{host}:{port}"

    def shared_state_missing(self) -> str | None:
        """Why several workers can't share this configuration (one line), or None.

        Workers on separate processes share conversations, locks and the send rate through
        Redis and the outbox through PostgreSQL; SQLite and in-memory state are per process.
        """
        missing = []
        if not self.database_url.startswith(("postgresql", "postgres")):
            missing.append("JIAYI_DATABASE_URL must be PostgreSQL")
        if not self.redis_url:
            missing.append("JIAYI_REDIS_URL must be set")
        if not missing:
            return None
        return f"{self.workers} workers need shared state: " + "; ".join(missing)


class ConfigError(Exception):
    """A setting is missing or malformed; the message is one line naming it."""


def describe_validation_error(error: ValidationError) -> str:
    first = error.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else "?"
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"JIAYI_{field.upper()}: {message}"


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        raise ConfigError(describe_validation_error(error)) from None
