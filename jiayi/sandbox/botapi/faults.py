"""Test control: make sends and edits fail like Telegram, or the way to it, would."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from typing import Final, get_args

from aiohttp import web

from jiayi.sandbox.botapi.errors import (
    BAD_GATEWAY_PAGE,
    TRANSPORT_FAILURES,
    TransportFault,
    failure_error,
)
from jiayi.sandbox.botapi.models import FailureKind
from jiayi.sandbox.botapi.state import Failure, ServerState

# Calls that are affected by :meth:`BotAPIServer.fail`.
FAILABLE_METHODS: Final = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
    }
)


class FaultsMixin(ServerState):
    def fail(
        self,
        chat_id: int,
        kind: FailureKind,
        *,
        times: int | None = None,
        retry_after: int = 1,
        after: int = 0,
    ) -> None:
        """Make sends/edits to ``chat_id`` fail like Telegram (or the way to it) would.

        ``kind``: ``"blocked"`` (403), ``"deactivated"`` (403), ``"bad_request"`` (400 chat
        not found), ``"flood"`` (429 with ``retry_after``), ``"server_error"`` (500), and
        below the Bot API: ``"bad_gateway"`` (a proxy's HTML 502 page), ``"timeout"`` (no
        answer for :attr:`hang_seconds`), ``"reset"`` (the connection closed without an
        answer). None of them delivers the message.
        ``after=n`` lets the next ``n`` calls through first (a chat failing mid-batch).
        ``times=None`` keeps failing until :meth:`clear_failures`; ``times=n`` fails only
        the next ``n`` calls of :data:`FAILABLE_METHODS` for that chat.
        """
        self._failures[chat_id] = self._failure(kind, times, retry_after, after)

    def fail_calls(self, kind: FailureKind, calls: Iterable[int], *, retry_after: int = 1) -> None:
        """Make these calls of :data:`FAILABLE_METHODS` fail, whichever chat they are for,
        counting every such call this server received from 1 (see :attr:`failable_calls`).
        A chat's own :meth:`fail` switch, when set, takes precedence."""
        for number in calls:
            if number <= self._failable_calls:
                raise ValueError(f"call {number} has already been made")
            self._call_failures[number] = self._failure(kind, 1, retry_after, 0)

    @property
    def failable_calls(self) -> int:
        """How many calls of :data:`FAILABLE_METHODS` arrived so far (see :meth:`fail_calls`)."""
        return self._failable_calls

    @staticmethod
    def _failure(kind: FailureKind, times: int | None, retry_after: int, after: int) -> Failure:
        if kind not in get_args(FailureKind):
            raise ValueError(f"unknown failure kind {kind!r}")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        if after < 0:
            raise ValueError("after must be >= 0")
        return Failure(kind=kind, remaining=times, retry_after=retry_after, passing=after)

    def clear_failures(self, chat_id: int | None = None) -> None:
        """Stop injecting errors for ``chat_id`` (or for every chat and call when ``None``)."""
        if chat_id is None:
            self._failures.clear()
            self._call_failures.clear()
        else:
            self._failures.pop(chat_id, None)

    def _inject_failure(self, chat_id: int) -> None:
        self._failable_calls += 1
        failure = self._failures.get(chat_id)
        if failure is not None:
            if failure.passing > 0:
                failure.passing -= 1
                return
            if failure.remaining is not None:
                failure.remaining -= 1
                if failure.remaining <= 0:
                    del self._failures[chat_id]
        else:
            failure = self._call_failures.pop(self._failable_calls, None)
            if failure is None:
                return
        if failure.kind in TRANSPORT_FAILURES:
            raise TransportFault(failure.kind)
        raise failure_error(failure.kind, failure.retry_after)

    async def _transport_fault(self, request: web.Request, kind: FailureKind) -> web.Response:
        if kind == "bad_gateway":
            return web.Response(status=502, text=BAD_GATEWAY_PAGE, content_type="text/html")
        if kind == "timeout":
            # Until the client hangs up (aiohttp then cancels this handler) or the server
            # shuts down.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.hang_seconds), self._cond:
                    await self._cond.wait_for(lambda: self._closing)
        if request.transport is not None:
            request.transport.abort()
        # The connection is gone: aiohttp finds nothing to write the answer to.
        return web.Response(status=500)
