"""An in-process Telegram Bot API server for end-to-end tests and the local sandbox.

:class:`BotAPIServer` is an aiohttp application that speaks the subset of the Bot API
the jiayi bot uses, replying with Telegram's JSON shapes, HTTP status codes and error
descriptions, so an unmodified aiogram ``Bot`` works against it::

    server = BotAPIServer()
    base_url = await server.start()
    bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(base_url)))

One server models exactly one bot: if ``bot_id`` is not given, the id of the first valid
token seen is adopted and other bot ids get ``401 Unauthorized``.

Users talk to the bot through :meth:`BotAPIServer.push_message` and friends (normally via
:class:`sandbox.botapi.client.ChatClient`).  Everything the bot does is observable through
synchronous getters (:meth:`~BotAPIServer.messages`, :attr:`~BotAPIServer.requests`,
:meth:`~BotAPIServer.events`, ...) and awaitable through :meth:`~BotAPIServer.wait_until`,
which is driven by an :class:`asyncio.Condition` notified on every state change, so
nothing ever needs to sleep.

Message texts are never logged; the server only keeps them in memory for inspection.

The Bot API methods live in one mixin per group over :class:`~sandbox.botapi.state.ServerState`
(``updates``, ``sending``, ``media``, ``editing``, ``callbacks``, ``bot_settings``); the
test controls in ``users`` (the user's side), ``faults`` (failure injection) and
``inspection`` (getters).  This module assembles them and serves HTTP.

Known simplifications: one private chat per user (no groups or channels), no inline
mode, URLs given as files
are not fetched, ``Markdown``/``MarkdownV2`` texts are kept verbatim without entities.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final, Self

from aiohttp import web

from jiayi.sandbox.botapi.bot_settings import BotSettingsMixin
from jiayi.sandbox.botapi.callbacks import CallbacksMixin
from jiayi.sandbox.botapi.editing import EditingMixin
from jiayi.sandbox.botapi.errors import FAULT_RECORDS, TelegramError, TransportFault
from jiayi.sandbox.botapi.faults import FAILABLE_METHODS, FaultsMixin
from jiayi.sandbox.botapi.inspection import InspectionMixin
from jiayi.sandbox.botapi.media import MAX_UPLOAD_BYTES, MediaMixin
from jiayi.sandbox.botapi.models import RecordedRequest
from jiayi.sandbox.botapi.params import Params, peek_chat_id, read_params
from jiayi.sandbox.botapi.sending import SendingMixin
from jiayi.sandbox.botapi.state import METHODS
from jiayi.sandbox.botapi.updates import UpdatesMixin
from jiayi.sandbox.botapi.users import UsersMixin

__all__ = ["BotAPIServer", "TelegramError"]

logger = logging.getLogger(__name__)

TOKEN_RE: Final = re.compile(r"^(\d+):[A-Za-z0-9_-]+$")


class BotAPIServer(
    InspectionMixin,
    FaultsMixin,
    UsersMixin,
    CallbacksMixin,
    UpdatesMixin,
    MediaMixin,
    SendingMixin,
    EditingMixin,
    BotSettingsMixin,
):
    """A Telegram Bot API server for one bot; see the module docstring."""

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start serving and return the base URL, e.g. ``http://127.0.0.1:54321``."""
        if self._runner is not None:
            raise RuntimeError("BotAPIServer is already running")
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=5.0, access_log=None
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        address = runner.addresses[0]
        bound_host, bound_port = address[0], address[1]
        if ":" in bound_host:
            bound_host = f"[{bound_host}]"
        self._closing = False
        self._runner = runner
        self._base_url = f"http://{bound_host}:{bound_port}"
        return self._base_url

    async def stop(self) -> None:
        """Release pending long polls and stop serving (idempotent)."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._closing = True
        await self._notify()
        await self._stop_webhook_delivery()
        await runner.cleanup()
        self._base_url = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """Base URL for ``TelegramAPIServer.from_base``; only valid while running."""
        if self._base_url is None:
            raise RuntimeError("BotAPIServer is not running")
        return self._base_url

    @property
    def bot_id(self) -> int | None:
        """The bot's id (configured, or adopted from the first token; ``None`` before)."""
        return self._bot_id

    @property
    def token(self) -> str:
        """A valid token for this server's bot (for configuring the bot under test)."""
        return f"{self._bot_id or 123456789}:SANDBOX-test-token"

    # ------------------------------------------------------------------ HTTP layer

    async def _not_found(self, request: web.Request) -> web.Response:
        return web.json_response(TelegramError(404, "Not Found").payload(), status=404)

    async def _handle(self, request: web.Request) -> web.Response:
        at = time.monotonic()
        wall = datetime.now(UTC)
        match = TOKEN_RE.fullmatch(request.match_info["token"])
        if match is None:
            return await self._not_found(request)
        requested = request.match_info["method"]
        entry = METHODS.get(requested.lower())
        name = entry[0] if entry is not None else requested
        params: dict[str, Any] = {}
        chat_id: int | None = None
        try:
            params = await read_params(request)
            chat_id = peek_chat_id(params)
            self._authorize(int(match.group(1)))
            if entry is None:
                raise TelegramError(404, "Not Found")
            if name in FAILABLE_METHODS and chat_id is not None:
                self._inject_failure(chat_id)
            result = await entry[1](self, Params(params))
        except TransportFault as fault:
            self._record(name, params, chat_id, at, wall, *FAULT_RECORDS[fault.kind])
            await self._notify()
            return await self._transport_fault(request, fault.kind)
        except TelegramError as error:
            self._record(name, params, chat_id, at, wall, error.code, error.description)
            return web.json_response(error.payload(), status=error.code)
        except Exception:
            # A bug in this server: answer like Telegram's 500 so the bot sees an API error,
            # and keep the traceback (no request contents) in the log.
            logger.exception("BotAPIServer failed to handle %s", name)
            crash = TelegramError(500, "Internal Server Error")
            self._record(name, params, chat_id, at, wall, crash.code, crash.description)
            return web.json_response(crash.payload(), status=crash.code)
        self._record(name, params, chat_id, at, wall, 200, None)
        return web.json_response({"ok": True, "result": result})

    def _record(
        self,
        method: str,
        params: dict[str, Any],
        chat_id: int | None,
        at: float,
        wall: datetime,
        status: int,
        description: str | None,
    ) -> None:
        self.requests.append(
            RecordedRequest(
                method=method,
                params=params,
                chat_id=chat_id,
                at=at,
                wall=wall,
                status=status,
                description=description,
            )
        )

    def _authorize(self, bot_id: int) -> None:
        if self._bot_id is None:
            self._bot_id = bot_id
        elif self._bot_id != bot_id:
            raise TelegramError(401, "Unauthorized")
