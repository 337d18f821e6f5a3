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

Known simplifications: one private chat per user (no groups or channels), no inline
mode, URLs given as files
are not fetched, ``Markdown``/``MarkdownV2`` texts are kept verbatim without entities.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import hashlib
import json
import logging
import mimetypes
import re
import struct
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final, Literal, Self, TypeVar, get_args
from urllib.parse import urlsplit

from aiohttp import BodyPartReader, web

from jiayi.sandbox.botapi.html import HTMLParseError, ParsedText, parse_html, trim_text, utf16_len
from jiayi.sandbox.botapi.models import (
    Button,
    CallbackAnswer,
    ChatEvent,
    EventKind,
    FailureKind,
    RecordedRequest,
    SentMessage,
    StoredFile,
    TgUser,
    UploadedFile,
)

__all__ = ["BotAPIServer", "TelegramError"]

T = TypeVar("T")
_MediaKind = Literal["photo", "document"]

logger = logging.getLogger(__name__)

TOKEN_RE: Final = re.compile(r"^(\d+):[A-Za-z0-9_-]+$")

MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_UPLOAD_BYTES: Final = 50 * 1024 * 1024

NOT_MODIFIED: Final = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD: Final = "query is too old and response timeout expired or query ID is invalid"
WEBHOOK_CONFLICT: Final = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT: Final = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)

# Update types a bot receives when ``allowed_updates`` is unset or empty.
_OPT_IN_UPDATES: Final = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_INLINE_BUTTON_ACTIONS: Final = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

_CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)

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


class TelegramError(Exception):
    """A Bot API error reply: ``{"ok": false, "error_code": code, "description": ...}``."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            data["parameters"] = {"retry_after": self.retry_after}
        return data


def _bad(reason: str) -> TelegramError:
    return TelegramError(400, f"Bad Request: {reason}")


# The page nginx answers with when the upstream is gone: not JSON, so aiogram raises
# ClientDecodeError, which is not a TelegramAPIError.
BAD_GATEWAY_PAGE: Final = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
# Failures that happen before Telegram could see the request, so nothing is delivered.
_TRANSPORT_FAILURES: Final = frozenset({"bad_gateway", "timeout", "reset"})


# How a transport failure is recorded: (status, description); 0 when no answer was sent.
_FAULT_RECORDS: Final[Mapping[str, tuple[int, str]]] = {
    "bad_gateway": (502, "Bad Gateway (HTML page)"),
    "timeout": (0, "no answer (timeout)"),
    "reset": (0, "no answer (connection reset)"),
}


class _TransportFault(Exception):
    """A failure injected below the Bot API: an HTML page, no answer, a dropped connection."""

    def __init__(self, kind: FailureKind) -> None:
        super().__init__(kind)
        self.kind = kind


def _failure_error(kind: FailureKind, retry_after: int) -> TelegramError:
    if kind == "blocked":
        return TelegramError(403, "Forbidden: bot was blocked by the user")
    if kind == "deactivated":
        return TelegramError(403, "Forbidden: user is deactivated")
    if kind == "bad_request":
        return _bad("chat not found")
    if kind == "flood":
        return TelegramError(
            429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
        )
    return TelegramError(500, "Internal Server Error")


class _Params:
    """Typed access to raw request parameters (strings from forms, natives from JSON)."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw

    def get(self, name: str) -> Any:
        value = self.raw.get(name)
        return None if value is None or value == "" else value

    def text(self, name: str) -> str | None:
        value = self.get(name)
        if value is None or isinstance(value, UploadedFile):
            return None
        return value if isinstance(value, str) else str(value)

    def integer(self, name: str) -> int | None:
        """The integer value, ``None`` if absent; :class:`ValueError` if malformed."""
        value = self.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            return int(value.strip())
        raise ValueError(name)

    def flag(self, name: str) -> bool:
        value = self.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def json(self, name: str) -> Any:
        """The decoded JSON value, ``None`` if absent; :class:`ValueError` if malformed."""
        value = self.get(name)
        if isinstance(value, str):
            return json.loads(value)
        if isinstance(value, UploadedFile):
            raise ValueError(name)
        return value


@dataclass(slots=True)
class _Failure:
    kind: FailureKind
    remaining: int | None
    retry_after: int
    # Calls that still go through before the failures start (a chat failing mid-batch).
    passing: int = 0


@dataclass(slots=True)
class _Chat:
    user: TgUser
    next_message_id: int = 1
    messages: dict[int, SentMessage] = field(default_factory=dict)
    user_messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    reply_keyboard: dict[str, Any] | None = None


@dataclass(slots=True)
class _Webhook:
    url: str
    max_connections: int
    has_secret: bool


_Handler = Callable[["BotAPIServer", _Params], Awaitable[Any]]
_METHODS: dict[str, tuple[str, _Handler]] = {}


def _api(name: str) -> Callable[[_Handler], _Handler]:
    """Register a Bot API method implementation under its documented name."""

    def register(func: _Handler) -> _Handler:
        _METHODS[name.lower()] = (name, func)
        return func

    return register


class BotAPIServer:
    """A Telegram Bot API server for one bot; see the module docstring."""

    def __init__(
        self,
        *,
        bot_id: int | None = None,
        bot_username: str = "jiayi_test_bot",
        bot_first_name: str = "Jiayi Test Bot",
    ) -> None:
        self._bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name

        self.requests: list[RecordedRequest] = []
        """Every API call in order of completion (``at`` is the arrival time)."""
        self.callback_answers: list[CallbackAnswer] = []
        """Every accepted ``answerCallbackQuery``, in order."""

        self._chats: dict[int, _Chat] = {}
        self._failures: dict[int, _Failure] = {}
        # Per call, whatever the chat: failable call number (1-based) -> its failure.
        self._call_failures: dict[int, _Failure] = {}
        self._failable_calls = 0
        self.hang_seconds = 120.0
        """How long a ``"timeout"`` failure keeps the request unanswered (the client gives up
        first; the server's shutdown also ends it)."""
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._waiting_polls = 0
        self._webhook: _Webhook | None = None
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._menu_buttons: dict[int | None, dict[str, Any]] = {}
        self._open_queries: dict[str, int] = {}
        self._next_query = 1
        self._events: list[ChatEvent] = []
        self._files: dict[str, StoredFile] = {}

        self._cond = asyncio.Condition()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._init_webhook_delivery()

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

    def bot_user(self) -> dict[str, Any]:
        """The bot's ``User`` object as ``getMe`` returns it."""
        return {
            "id": self._bot_id or 123456789,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    # ------------------------------------------------------------------ inspection

    def messages(self, chat_id: int) -> list[SentMessage]:
        """Bot messages in the chat, oldest first, in their current state."""
        chat = self._chats.get(chat_id)
        return [] if chat is None else list(chat.messages.values())

    def message(self, chat_id: int, message_id: int) -> SentMessage | None:
        """Current state of one bot message, or ``None``."""
        chat = self._chats.get(chat_id)
        return None if chat is None else chat.messages.get(message_id)

    def events(self, chat_id: int | None = None, *, after: int = 0) -> list[ChatEvent]:
        """Bot send/edit/delete events with ``seq > after`` (optionally for one chat)."""
        return [
            event
            for event in self._events
            if event.seq > after and (chat_id is None or event.chat_id == chat_id)
        ]

    @property
    def seq(self) -> int:
        """Sequence number of the latest event (0 before any)."""
        return self._events[-1].seq if self._events else 0

    def file(self, file_id: str) -> StoredFile | None:
        """A file the bot sent, with its uploaded bytes (``data`` is ``None`` for URLs)."""
        return self._files.get(file_id)

    def user_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The user's own messages in the chat (Bot API ``Message`` objects), oldest first.

        Message ids are shared with the bot's messages, so sorting both by id gives the
        chat's order.
        """
        chat = self._chats.get(chat_id)
        return [] if chat is None else [dict(m) for m in chat.user_messages.values()]

    def commands(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """Commands stored by ``setMyCommands`` for exactly this scope and language."""
        return [dict(c) for c in self._commands.get(self._command_key(scope, language_code), [])]

    def reply_keyboard(self, chat_id: int) -> list[list[str]] | None:
        """Button texts of the reply keyboard currently shown in the chat, if any."""
        chat = self._chats.get(chat_id)
        if chat is None or chat.reply_keyboard is None:
            return None
        return _keyboard_texts(chat.reply_keyboard)

    def menu_button(self, chat_id: int | None = None) -> dict[str, Any]:
        """The menu button for the chat (or the default one)."""
        button = self._menu_buttons.get(chat_id) or self._menu_buttons.get(None)
        return dict(button) if button else {"type": "default"}

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by ``getUpdates``."""
        return list(self._updates)

    @property
    def waiting_polls(self) -> int:
        """Number of ``getUpdates`` long polls currently waiting for updates."""
        return self._waiting_polls

    @property
    def webhook_url(self) -> str | None:
        return None if self._webhook is None else self._webhook.url

    def is_chat_open(self, chat_id: int) -> bool:
        return chat_id in self._chats

    def find_requests(self, method: str, chat_id: int | None = None) -> list[RecordedRequest]:
        """Recorded calls of ``method`` (case-insensitive), optionally for one chat."""
        name = method.lower()
        return [
            r
            for r in self.requests
            if r.method.lower() == name and (chat_id is None or r.chat_id == chat_id)
        ]

    # ------------------------------------------------------------------ error injection

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
    def _failure(kind: FailureKind, times: int | None, retry_after: int, after: int) -> _Failure:
        if kind not in get_args(FailureKind):
            raise ValueError(f"unknown failure kind {kind!r}")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        if after < 0:
            raise ValueError("after must be >= 0")
        return _Failure(kind=kind, remaining=times, retry_after=retry_after, passing=after)

    def clear_failures(self, chat_id: int | None = None) -> None:
        """Stop injecting errors for ``chat_id`` (or for every chat and call when ``None``)."""
        if chat_id is None:
            self._failures.clear()
            self._call_failures.clear()
        else:
            self._failures.pop(chat_id, None)

    # ------------------------------------------------------------------ user side

    def open_chat(self, user: TgUser) -> None:
        """Make the user's private chat known (as if they had opened the bot before)."""
        self._chat_for(user)

    async def push_update(self, update: Mapping[str, Any]) -> dict[str, Any] | None:
        """Queue an update body (without ``update_id``) for ``getUpdates``.

        Returns the queued update, or ``None`` if ``allowed_updates`` filters it out.
        """
        kinds = [key for key in update if key != "update_id"]
        if len(kinds) != 1:
            raise ValueError("an update must have exactly one payload field")
        if not self._update_allowed(kinds[0]):
            return None
        queued = {"update_id": self._next_update_id, kinds[0]: update[kinds[0]]}
        self._next_update_id += 1
        self._updates.append(queued)
        await self._notify()
        return queued

    async def push_message(
        self,
        user: TgUser,
        text: str,
        *,
        entities: list[dict[str, Any]] | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """The user sends a text message; returns the ``Message`` object queued."""
        chat = self._chat_for(user)
        message: dict[str, Any] = {
            "message_id": self._take_message_id(chat),
            "from": user.to_api(),
            "chat": user.chat_api(),
            "date": int(time.time()),
            "text": text,
        }
        if entities:
            message["entities"] = entities
        if reply_to_message_id is not None:
            replied = self._message_object(chat, reply_to_message_id)
            if replied is not None:
                message["reply_to_message"] = replied
        chat.user_messages[message["message_id"]] = message
        keyboard = chat.reply_keyboard
        if (
            keyboard is not None
            and keyboard.get("one_time_keyboard")
            and any(text in row for row in _keyboard_texts(keyboard))
        ):
            chat.reply_keyboard = None
        await self.push_update({"message": message})
        return message

    async def push_contact(
        self,
        user: TgUser,
        phone_number: str,
        *,
        first_name: str,
        contact_user_id: int | None,
    ) -> dict[str, Any]:
        """The user sends a contact card: their own through a ``request_contact`` button
        (Telegram fills in their number and user id), or anyone's from their address book."""
        chat = self._chat_for(user)
        contact: dict[str, Any] = {"phone_number": phone_number, "first_name": first_name}
        if contact_user_id is not None:
            contact["user_id"] = contact_user_id
        message: dict[str, Any] = {
            "message_id": self._take_message_id(chat),
            "from": user.to_api(),
            "chat": user.chat_api(),
            "date": int(time.time()),
            "contact": contact,
        }
        chat.user_messages[message["message_id"]] = message
        if chat.reply_keyboard is not None and chat.reply_keyboard.get("one_time_keyboard"):
            chat.reply_keyboard = None
        await self.push_update({"message": message})
        return message

    def requests_contact(self, chat_id: int) -> list[str]:
        """Texts of the buttons of the chat's reply keyboard that share the user's phone."""
        chat = self._chats.get(chat_id)
        if chat is None or chat.reply_keyboard is None:
            return []
        return [
            str(button.get("text", ""))
            for row in chat.reply_keyboard.get("keyboard", [])
            for button in row
            if isinstance(button, dict) and button.get("request_contact")
        ]

    async def push_callback_query(
        self, user: TgUser, message: SentMessage, data: str | None
    ) -> str:
        """The user presses an inline button on ``message``; returns the query id."""
        chat = self._chat_for(user)
        current = chat.messages.get(message.message_id, message)
        query_id = str(4_611_686_018_427_387_904 + self._next_query)
        self._next_query += 1
        self._open_queries[query_id] = chat.user.id
        query: dict[str, Any] = {
            "id": query_id,
            "from": user.to_api(),
            "chat_instance": str((user.id * 2_654_435_761) % 2**63),
        }
        if current.deleted:
            # Telegram's InaccessibleMessage: the message no longer exists.
            query["message"] = {
                "chat": user.chat_api(),
                "message_id": current.message_id,
                "date": 0,
            }
        else:
            query["message"] = self._message_api(chat, current)
        if data is not None:
            query["data"] = data
        await self.push_update({"callback_query": query})
        return query_id

    async def push_chat_member_status(
        self, user: TgUser, status: Literal["kicked", "member"]
    ) -> dict[str, Any] | None:
        """The user blocks (``"kicked"``) or unblocks (``"member"``) the bot.

        Queues the ``my_chat_member`` update Telegram sends.  Blocking does not by itself
        make sends fail; combine with :meth:`fail` (``ChatClient.block`` does both).
        """
        self._chat_for(user)
        bot = self._bot_sender()
        old_status = "member" if status == "kicked" else "kicked"

        def member(state: str) -> dict[str, Any]:
            data: dict[str, Any] = {"status": state, "user": bot}
            if state == "kicked":
                data["until_date"] = 0
            return data

        return await self.push_update(
            {
                "my_chat_member": {
                    "chat": user.chat_api(),
                    "from": user.to_api(),
                    "date": int(time.time()),
                    "old_chat_member": member(old_status),
                    "new_chat_member": member(status),
                }
            }
        )

    async def wait_until(
        self,
        predicate: Callable[[], T | None],
        *,
        timeout: float,  # noqa: ASYNC109 - part of the documented contract
    ) -> T:
        """Wait until ``predicate()`` returns something other than ``None`` and return it.

        The predicate is re-evaluated on every server state change (no polling).  Raises
        :class:`TimeoutError` after ``timeout`` seconds.
        """
        found: list[T] = []

        def check() -> bool:
            value = predicate()
            if value is None:
                return False
            found.append(value)
            return True

        async with asyncio.timeout(timeout), self._cond:
            await self._cond.wait_for(check)
        return found[-1]

    # ------------------------------------------------------------------ webhook delivery
    # Updates queued while a webhook is set are POSTed to it, as Telegram does: the update as
    # the JSON body, the secret in X-Telegram-Bot-Api-Secret-Token, up to max_connections at
    # once, one at a time per chat (a chat's next update waits for the previous one's 2xx),
    # retried after a failure. Every request uses a new connection, so workers sharing a
    # port (SO_REUSEPORT) each get a share.

    WEBHOOK_RETRY_SECONDS: Final = 0.5

    def _init_webhook_delivery(self) -> None:
        self.allow_http_webhooks = False
        """Accept http:// webhook URLs (tests and benchmarks on localhost)."""
        self.webhook_deliveries: list[WebhookDelivery] = []
        """Every webhook POST that got an answer, in order of completion."""
        self._webhook_secret: str | None = None
        self._webhook_task: asyncio.Task[None] | None = None

    def _start_webhook_delivery(self) -> None:
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._deliver_webhooks())

    async def _stop_webhook_delivery(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _deliver_webhooks(self) -> None:
        import aiohttp

        in_flight: dict[int, asyncio.Task[None]] = {}
        retry_at: dict[int, float] = {}
        connector = aiohttp.TCPConnector(force_close=True, limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            try:
                while self._webhook is not None and not self._closing:
                    webhook = self._webhook
                    now = time.monotonic()
                    waiting_chats: set[object] = set()
                    for update in list(self._updates):
                        if len(in_flight) >= webhook.max_connections:
                            break
                        chat = _update_chat(update)
                        if chat in waiting_chats:
                            continue  # an earlier update of this chat is not acknowledged yet
                        waiting_chats.add(chat)
                        update_id = update["update_id"]
                        if update_id in in_flight or retry_at.get(update_id, 0.0) > now:
                            continue
                        in_flight[update_id] = asyncio.create_task(
                            self._post_update(session, webhook.url, update, retry_at)
                        )

                        def forget(_task: asyncio.Task[None], uid: int = update_id) -> None:
                            in_flight.pop(uid, None)

                        in_flight[update_id].add_done_callback(forget)
                    async with self._cond:
                        with contextlib.suppress(TimeoutError):
                            async with asyncio.timeout(self.WEBHOOK_RETRY_SECONDS):
                                await self._cond.wait()
            finally:
                for task in list(in_flight.values()):
                    task.cancel()
                await asyncio.gather(*in_flight.values(), return_exceptions=True)

    async def _post_update(
        self, session: Any, url: str, update: dict[str, Any], retry_at: dict[int, float]
    ) -> None:
        headers = {"Content-Type": "application/json"}
        if self._webhook_secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self._webhook_secret
        update_id = update["update_id"]
        started = time.monotonic()
        status = 0
        worker = None
        try:
            async with session.post(url, data=json.dumps(update), headers=headers) as response:
                status = response.status
                worker = response.headers.get("X-Jiayi-Worker")
                await response.read()
        except Exception as error:  # a worker that is down: retry, as Telegram does
            logger.debug("webhook delivery of update %s failed: %r", update_id, error)
        finished = time.monotonic()
        if 200 <= status < 300:
            self._updates = [u for u in self._updates if u["update_id"] != update_id]
            retry_at.pop(update_id, None)
        else:
            retry_at[update_id] = finished + self.WEBHOOK_RETRY_SECONDS
        if status:
            self.webhook_deliveries.append(
                WebhookDelivery(
                    update_id=update_id,
                    chat=_update_chat(update),
                    status=status,
                    worker=worker,
                    seconds=finished - started,
                )
            )
        await self._notify()

    # ------------------------------------------------------------------ internals

    async def _notify(self) -> None:
        async with self._cond:
            self._cond.notify_all()

    def _chat_for(self, user: TgUser) -> _Chat:
        chat = self._chats.get(user.id)
        if chat is None:
            chat = self._chats[user.id] = _Chat(user=user)
        else:
            chat.user = user
        return chat

    @staticmethod
    def _take_message_id(chat: _Chat) -> int:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        return message_id

    def _update_allowed(self, kind: str) -> bool:
        if not self._allowed_updates:
            return kind not in _OPT_IN_UPDATES
        return kind in self._allowed_updates

    async def _record_event(self, chat: _Chat, kind: EventKind, message: SentMessage) -> None:
        chat.messages[message.message_id] = message
        self._events.append(
            ChatEvent(seq=self.seq + 1, chat_id=message.chat_id, kind=kind, message=message)
        )
        await self._notify()

    def _bot_sender(self) -> dict[str, Any]:
        return {
            "id": self._bot_id or 123456789,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _message_object(self, chat: _Chat, message_id: int) -> dict[str, Any] | None:
        """Any existing message in the chat (user's or bot's) as a ``Message`` object."""
        user_message = chat.user_messages.get(message_id)
        if user_message is not None:
            return {k: v for k, v in user_message.items() if k != "reply_to_message"}
        sent = chat.messages.get(message_id)
        if sent is None or sent.deleted:
            return None
        return self._message_api(chat, sent, nested=False)

    def _message_api(
        self, chat: _Chat, message: SentMessage, *, nested: bool = True
    ) -> dict[str, Any]:
        """A bot message as a Bot API ``Message`` object."""
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "from": self._bot_sender(),
            "chat": chat.user.chat_api(),
            "date": message.date,
        }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if nested and message.reply_to_message_id is not None:
            replied = self._message_object(chat, message.reply_to_message_id)
            if replied is not None:
                data["reply_to_message"] = replied
        if message.kind == "text":
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
            if message.link_preview_options:
                data["link_preview_options"] = message.link_preview_options
        else:
            stored = message.file
            assert stored is not None
            if message.kind == "photo":
                size: dict[str, Any] = {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": stored.width,
                    "height": stored.height,
                }
                if stored.size is not None:
                    size["file_size"] = stored.size
                data["photo"] = [size]
            else:
                document: dict[str, Any] = {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                }
                if stored.filename:
                    document["file_name"] = stored.filename
                if stored.mime_type:
                    document["mime_type"] = stored.mime_type
                if stored.size is not None:
                    document["file_size"] = stored.size
                data["document"] = document
            if message.text:
                data["caption"] = message.text
                if message.entities:
                    data["caption_entities"] = message.entities
        if message.protect_content:
            data["has_protected_content"] = True
        inline = _inline_markup(message.reply_markup)
        if inline is not None:
            data["reply_markup"] = inline
        return data

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
        entry = _METHODS.get(requested.lower())
        name = entry[0] if entry is not None else requested
        params: dict[str, Any] = {}
        chat_id: int | None = None
        try:
            params = await _read_params(request)
            chat_id = _peek_chat_id(params)
            self._authorize(int(match.group(1)))
            if entry is None:
                raise TelegramError(404, "Not Found")
            if name in FAILABLE_METHODS and chat_id is not None:
                self._inject_failure(chat_id)
            result = await entry[1](self, _Params(params))
        except _TransportFault as fault:
            self._record(name, params, chat_id, at, wall, *_FAULT_RECORDS[fault.kind])
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
        if failure.kind in _TRANSPORT_FAILURES:
            raise _TransportFault(failure.kind)
        raise _failure_error(failure.kind, failure.retry_after)

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

    # ------------------------------------------------------------------ shared validation

    def _target_chat(self, p: _Params) -> _Chat:
        if p.get("chat_id") is None:
            raise _bad("chat_id is empty")
        try:
            chat_id = p.integer("chat_id")
        except ValueError:
            raise _bad("chat not found") from None
        chat = self._chats.get(chat_id) if chat_id is not None else None
        if chat is None:
            raise _bad("chat not found")
        return chat

    @staticmethod
    def _target_message_id(p: _Params, missing: str) -> int:
        try:
            message_id = p.integer("message_id")
        except ValueError:
            raise _bad(missing) from None
        if message_id is None:
            raise _bad("message identifier is not specified")
        return message_id

    @staticmethod
    def _formatted(p: _Params, text_field: str, entities_field: str) -> tuple[ParsedText, str]:
        """Parse ``text_field`` per ``parse_mode``; returns (trimmed result, raw text)."""
        raw = p.text(text_field) or ""
        mode = (p.text("parse_mode") or "").strip()
        if not mode:
            try:
                entities = p.json(entities_field) or []
            except ValueError:
                raise _bad("can't parse entities JSON object") from None
            if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
                raise _bad("can't parse entities JSON object")
            parsed = ParsedText(text=raw, entities=entities)
        elif mode.lower() == "html":
            try:
                parsed = parse_html(raw)
            except HTMLParseError as error:
                raise _bad(f"can't parse entities: {error.reason}") from None
        elif mode.lower() in ("markdown", "markdownv2"):
            parsed = ParsedText(text=raw)
        else:
            raise _bad("unsupported parse_mode")
        return trim_text(parsed.text, parsed.entities), raw

    @staticmethod
    def _reply_markup(p: _Params, *, inline_only: bool = False) -> dict[str, Any] | None:
        try:
            markup = p.json("reply_markup")
        except ValueError:
            raise _bad("can't parse reply keyboard markup JSON object") from None
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            _validate_inline_keyboard(markup["inline_keyboard"])
            return markup
        if inline_only:
            raise _bad("inline keyboard expected")
        if "keyboard" in markup:
            _validate_reply_keyboard(markup["keyboard"])
            return markup
        if markup.get("remove_keyboard") or markup.get("force_reply"):
            return markup
        raise _bad("can't parse reply keyboard markup JSON object")

    def _reply_to(self, chat: _Chat, p: _Params) -> int | None:
        try:
            reply = p.json("reply_parameters")
        except ValueError:
            raise _bad("can't parse reply parameters JSON object") from None
        allow_missing = p.flag("allow_sending_without_reply")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
        else:
            try:
                message_id = p.integer("reply_to_message_id")
            except ValueError:
                message_id = -1
        if message_id is None:
            return None
        if isinstance(message_id, int) and self._message_object(chat, message_id) is not None:
            return message_id
        if allow_missing:
            return None
        raise _bad("message to be replied not found")

    def _link_preview(self, p: _Params) -> dict[str, Any] | None:
        try:
            options = p.json("link_preview_options")
        except ValueError:
            raise _bad("can't parse link preview options JSON object") from None
        return options if isinstance(options, dict) else None

    async def _send(
        self,
        chat: _Chat,
        p: _Params,
        *,
        kind: Literal["text", "photo", "document"],
        parsed: ParsedText,
        raw: str,
        file: StoredFile | None = None,
    ) -> dict[str, Any]:
        markup = self._reply_markup(p)
        reply_to = self._reply_to(chat, p)
        message = SentMessage(
            message_id=self._take_message_id(chat),
            chat_id=chat.user.id,
            kind=kind,
            text=parsed.text,
            html=raw,
            date=int(time.time()),
            parse_mode=p.text("parse_mode"),
            entities=parsed.entities,
            reply_markup=markup,
            buttons=_buttons(markup),
            keyboard=_keyboard_texts(markup) if markup and "keyboard" in markup else [],
            file=file,
            disable_notification=p.flag("disable_notification"),
            protect_content=p.flag("protect_content"),
            link_preview_options=self._link_preview(p) if kind == "text" else None,
            reply_to_message_id=reply_to,
        )
        if markup is not None and "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup is not None and markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        await self._record_event(chat, "send", message)
        return self._message_api(chat, message)

    def _editable(self, p: _Params) -> tuple[_Chat, SentMessage]:
        if p.get("inline_message_id") is not None:
            raise _bad("message to edit not found")
        chat = self._target_chat(p)
        message_id = self._target_message_id(p, "message to edit not found")
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            if message_id in chat.user_messages:
                raise _bad("message can't be edited")
            raise _bad("message to edit not found")
        return chat, message

    async def _apply_edit(self, chat: _Chat, before: SentMessage, **changes: Any) -> Any:
        after = dataclasses.replace(before, **changes)
        if (
            after.text == before.text
            and after.entities == before.entities
            and _inline_markup(after.reply_markup) == _inline_markup(before.reply_markup)
        ):
            raise _bad(NOT_MODIFIED)
        after = dataclasses.replace(after, edit_date=int(time.time()), edited=True)
        await self._record_event(chat, "edit", after)
        return self._message_api(chat, after)

    def _input_file(self, p: _Params, field_name: str, kind: _MediaKind) -> StoredFile:
        value = p.get(field_name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = p.get(value[len("attach://") :])
            if not isinstance(value, UploadedFile):
                raise _bad(f"there is no {field_name} in the request")
        if value is None:
            raise _bad(f"there is no {field_name} in the request")
        if isinstance(value, UploadedFile):
            return self._store_upload(value, kind)
        reference = str(value).strip()
        if reference.startswith(("http://", "https://")):
            path = urlsplit(reference).path
            return self._new_file(
                kind=kind,
                data=None,
                filename=path.rsplit("/", 1)[-1] or None,
                mime_type=mimetypes.guess_type(path)[0],
                url=reference,
                digest_source=reference.encode(),
            )
        stored = self._files.get(reference)
        if stored is None:
            raise _bad("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise _bad("type of file mismatch")
        return stored

    def _store_upload(self, upload: UploadedFile, kind: _MediaKind) -> StoredFile:
        if not upload.data:
            raise _bad("file must be non-empty")
        if len(upload.data) > MAX_UPLOAD_BYTES:
            raise TelegramError(413, "Request Entity Too Large")
        width = height = 0
        if kind == "photo":
            size = _image_size(upload.data)
            if size is None:
                raise _bad("IMAGE_PROCESS_FAILED")
            width, height = size
        mime = upload.content_type
        if not mime or mime == "application/octet-stream":
            guessed = mimetypes.guess_type(upload.filename or "")[0]
            mime = guessed or mime or "application/octet-stream"
        return self._new_file(
            kind=kind,
            data=upload.data,
            filename=upload.filename,
            mime_type=mime,
            url=None,
            digest_source=upload.data,
            width=width,
            height=height,
        )

    def _new_file(
        self,
        *,
        kind: _MediaKind,
        data: bytes | None,
        filename: str | None,
        mime_type: str | None,
        url: str | None,
        digest_source: bytes,
        width: int = 0,
        height: int = 0,
    ) -> StoredFile:
        digest = hashlib.sha256(digest_source).digest()
        unique = base64.urlsafe_b64encode(digest[:9]).decode()
        serial = hashlib.sha256(f"{len(self._files)}:{kind}".encode() + digest).digest()
        prefix = "AgACAgIAAxkDAAI" if kind == "photo" else "BQACAgIAAxkDAAI"
        stored = StoredFile(
            file_id=prefix + base64.urlsafe_b64encode(serial[:30]).decode(),
            file_unique_id="AQAD" + unique,
            kind=kind,
            data=data,
            filename=filename,
            mime_type=mime_type,
            url=url,
            width=width,
            height=height,
        )
        self._files[stored.file_id] = stored
        return stored

    @staticmethod
    def _command_key(scope: Mapping[str, Any] | None, language_code: str) -> tuple[str, str]:
        normalized: dict[str, Any] = dict(scope) if scope else {"type": "default"}
        chat_id = normalized.get("chat_id")
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            normalized["chat_id"] = int(chat_id)
        canonical = json.dumps(normalized, sort_keys=True, separators=(",", ":"))
        return canonical, language_code or ""

    def _command_target(self, p: _Params) -> tuple[str, str]:
        try:
            scope = p.json("scope")
        except ValueError:
            raise _bad("can't parse BotCommandScope JSON object") from None
        if scope is not None and (not isinstance(scope, dict) or "type" not in scope):
            raise _bad("can't parse BotCommandScope JSON object")
        if scope and "chat_id" in scope:
            try:
                chat_id = int(scope["chat_id"])
            except (TypeError, ValueError):
                raise _bad("chat not found") from None
            if chat_id not in self._chats:
                raise _bad("chat not found")
        return self._command_key(scope, p.text("language_code") or "")

    # ------------------------------------------------------------------ Bot API methods

    @_api("getMe")
    async def _get_me(self, p: _Params) -> Any:
        return self.bot_user()

    @_api("logOut")
    async def _log_out(self, p: _Params) -> Any:
        return True

    @_api("close")
    async def _close(self, p: _Params) -> Any:
        return True

    @_api("getUpdates")
    async def _get_updates(self, p: _Params) -> Any:
        if self._webhook is not None:
            raise TelegramError(409, WEBHOOK_CONFLICT)
        try:
            offset = p.integer("offset") or 0
            limit = p.integer("limit") or 100
            timeout = p.integer("timeout") or 0
            allowed = p.json("allowed_updates")
        except ValueError:
            raise _bad("invalid getUpdates parameters") from None
        if allowed is not None:
            if not isinstance(allowed, list):
                raise _bad("can't parse allowed_updates JSON array")
            self._allowed_updates = [str(kind) for kind in allowed]
        limit = min(max(limit, 1), 100)
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        self._poll_generation += 1
        generation = self._poll_generation
        if self._waiting_polls:
            await self._notify()  # terminate the older long poll, as Telegram does
        if not self._updates and timeout > 0 and not self._closing:

            def ready() -> bool:
                return bool(
                    self._updates
                    or self._closing
                    or self._webhook is not None
                    or self._poll_generation != generation
                )

            try:
                async with asyncio.timeout(timeout), self._cond:
                    self._waiting_polls += 1
                    self._cond.notify_all()
                    try:
                        await self._cond.wait_for(ready)
                    finally:
                        self._waiting_polls -= 1
            except TimeoutError:
                return []
            if self._poll_generation != generation:
                raise TelegramError(409, POLL_CONFLICT)
            if self._webhook is not None:
                raise TelegramError(409, WEBHOOK_CONFLICT)
        return self._updates[:limit]

    @_api("setWebhook")
    async def _set_webhook(self, p: _Params) -> Any:
        url = (p.text("url") or "").strip()
        if p.flag("drop_pending_updates"):
            self._updates.clear()
        if not url:
            self._webhook = None
            return True
        if not url.lower().startswith("https://") and not self.allow_http_webhooks:
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        try:
            allowed = p.json("allowed_updates")
            max_connections = p.integer("max_connections") or 40
        except ValueError:
            raise _bad("invalid webhook parameters") from None
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed]
        self._webhook = _Webhook(
            url=url, max_connections=max_connections, has_secret=bool(p.get("secret_token"))
        )
        self._webhook_secret = p.text("secret_token")
        self._start_webhook_delivery()
        await self._notify()
        return True

    @_api("deleteWebhook")
    async def _delete_webhook(self, p: _Params) -> Any:
        if p.flag("drop_pending_updates"):
            self._updates.clear()
        self._webhook = None
        return True

    @_api("getWebhookInfo")
    async def _get_webhook_info(self, p: _Params) -> Any:
        info: dict[str, Any] = {
            "url": self._webhook.url if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook is not None:
            info["max_connections"] = self._webhook.max_connections
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
        return info

    @_api("sendMessage")
    async def _send_message(self, p: _Params) -> Any:
        chat = self._target_chat(p)
        parsed, raw = self._formatted(p, "text", "entities")
        if not parsed.text:
            raise _bad("message text is empty")
        if utf16_len(parsed.text) > MAX_TEXT_LENGTH:
            raise _bad("message is too long")
        return await self._send(chat, p, kind="text", parsed=parsed, raw=raw)

    async def _send_media(self, p: _Params, kind: _MediaKind) -> Any:
        chat = self._target_chat(p)
        parsed, raw = self._formatted(p, "caption", "caption_entities")
        if utf16_len(parsed.text) > MAX_CAPTION_LENGTH:
            raise _bad("message caption is too long")
        stored = self._input_file(p, kind, kind)
        return await self._send(chat, p, kind=kind, parsed=parsed, raw=raw, file=stored)

    @_api("sendPhoto")
    async def _send_photo(self, p: _Params) -> Any:
        return await self._send_media(p, "photo")

    @_api("sendDocument")
    async def _send_document(self, p: _Params) -> Any:
        return await self._send_media(p, "document")

    @_api("editMessageText")
    async def _edit_message_text(self, p: _Params) -> Any:
        chat, message = self._editable(p)
        parsed, raw = self._formatted(p, "text", "entities")
        if not parsed.text:
            raise _bad("message text is empty")
        if utf16_len(parsed.text) > MAX_TEXT_LENGTH:
            raise _bad("message is too long")
        if message.kind != "text":
            raise _bad("there is no text in the message to edit")
        markup = self._reply_markup(p, inline_only=True)
        return await self._apply_edit(
            chat,
            message,
            text=parsed.text,
            html=raw,
            parse_mode=p.text("parse_mode"),
            entities=parsed.entities,
            reply_markup=markup,
            buttons=_buttons(markup),
            keyboard=[],
            link_preview_options=self._link_preview(p),
        )

    @_api("editMessageCaption")
    async def _edit_message_caption(self, p: _Params) -> Any:
        chat, message = self._editable(p)
        parsed, raw = self._formatted(p, "caption", "caption_entities")
        if utf16_len(parsed.text) > MAX_CAPTION_LENGTH:
            raise _bad("message caption is too long")
        if message.kind == "text":
            raise _bad("there is no caption in the message to edit")
        markup = self._reply_markup(p, inline_only=True)
        return await self._apply_edit(
            chat,
            message,
            text=parsed.text,
            html=raw,
            parse_mode=p.text("parse_mode"),
            entities=parsed.entities,
            reply_markup=markup,
            buttons=_buttons(markup),
            keyboard=[],
        )

    @_api("editMessageReplyMarkup")
    async def _edit_message_reply_markup(self, p: _Params) -> Any:
        chat, message = self._editable(p)
        markup = self._reply_markup(p, inline_only=True)
        return await self._apply_edit(
            chat, message, reply_markup=markup, buttons=_buttons(markup), keyboard=[]
        )

    @_api("deleteMessage")
    async def _delete_message(self, p: _Params) -> Any:
        chat = self._target_chat(p)
        message_id = self._target_message_id(p, "message to delete not found")
        message = chat.messages.get(message_id)
        if message is not None and not message.deleted:
            await self._record_event(chat, "delete", dataclasses.replace(message, deleted=True))
            return True
        if chat.user_messages.pop(message_id, None) is not None:
            return True
        raise _bad("message to delete not found")

    @_api("sendChatAction")
    async def _send_chat_action(self, p: _Params) -> Any:
        self._target_chat(p)
        if p.text("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    @_api("answerCallbackQuery")
    async def _answer_callback_query(self, p: _Params) -> Any:
        query_id = p.text("callback_query_id") or ""
        chat_id = self._open_queries.pop(query_id, None)
        if chat_id is None:
            raise _bad(QUERY_TOO_OLD)
        try:
            cache_time = p.integer("cache_time") or 0
        except ValueError:
            cache_time = 0
        self.callback_answers.append(
            CallbackAnswer(
                query_id=query_id,
                chat_id=chat_id,
                text=p.text("text"),
                show_alert=p.flag("show_alert"),
                url=p.text("url"),
                cache_time=cache_time,
                at=time.monotonic(),
            )
        )
        await self._notify()
        return True

    @_api("setMyCommands")
    async def _set_my_commands(self, p: _Params) -> Any:
        try:
            commands = p.json("commands")
        except ValueError:
            raise _bad("can't parse commands JSON array") from None
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("can't parse commands JSON array")
        cleaned: list[dict[str, Any]] = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse commands JSON array")
            name = str(command.get("command", "")).strip()
            name = name.removeprefix("/").lower()
            description = str(command.get("description", "")).strip()
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = self._command_target(p)
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        return True

    @_api("getMyCommands")
    async def _get_my_commands(self, p: _Params) -> Any:
        return [dict(c) for c in self._commands.get(self._command_target(p), [])]

    @_api("deleteMyCommands")
    async def _delete_my_commands(self, p: _Params) -> Any:
        self._commands.pop(self._command_target(p), None)
        return True

    @_api("setChatMenuButton")
    async def _set_chat_menu_button(self, p: _Params) -> Any:
        chat_id: int | None = None
        if p.get("chat_id") is not None:
            chat_id = self._target_chat(p).user.id
        try:
            button = p.json("menu_button")
        except ValueError:
            raise _bad("can't parse menu button JSON object") from None
        if button is not None and (not isinstance(button, dict) or "type" not in button):
            raise _bad("can't parse menu button JSON object")
        self._menu_buttons[chat_id] = button or {"type": "default"}
        return True

    @_api("getChatMenuButton")
    async def _get_chat_menu_button(self, p: _Params) -> Any:
        chat_id: int | None = None
        if p.get("chat_id") is not None:
            chat_id = self._target_chat(p).user.id
        return self.menu_button(chat_id)


# ---------------------------------------------------------------------- helpers


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One webhook POST and its answer: which worker took it (the X-Jiayi-Worker header)."""

    update_id: int
    chat: object
    status: int
    worker: str | None
    seconds: float


def _update_chat(update: Mapping[str, Any]) -> object:
    """The chat an update belongs to (its ordering key), or its own id if it has none."""
    for key, value in update.items():
        if key == "update_id" or not isinstance(value, Mapping):
            continue
        chat = value.get("chat") or (value.get("message") or {}).get("chat")
        if isinstance(chat, Mapping) and "id" in chat:
            return chat["id"]
        sender = value.get("from")
        if isinstance(sender, Mapping) and "id" in sender:
            return sender["id"]
    return ("update", update.get("update_id"))


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Merge query-string and body parameters (JSON, urlencoded or multipart)."""
    params: dict[str, Any] = dict(request.query)
    if not request.body_exists:
        return params
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise _bad("can't parse JSON request body") from None
        if not isinstance(body, dict):
            raise _bad("can't parse JSON request body")
        params.update(body)
    elif content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                data = bytes(await part.read(decode=True))
                params[part.name] = UploadedFile(
                    filename=part.filename,
                    content_type=part.headers.get("Content-Type"),
                    data=data,
                )
            else:
                params[part.name] = await part.text()
    elif content_type == "application/x-www-form-urlencoded":
        form = await request.post()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


def _peek_chat_id(params: Mapping[str, Any]) -> int | None:
    value = params.get("chat_id")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _inline_markup(markup: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The inline keyboard Telegram echoes in ``Message.reply_markup`` (``None`` if empty)."""
    if not markup or "inline_keyboard" not in markup:
        return None
    rows = [list(row) for row in markup["inline_keyboard"] if row]
    return {"inline_keyboard": rows} if rows else None


def _buttons(markup: Mapping[str, Any] | None) -> list[list[Button]]:
    inline = _inline_markup(markup)
    if inline is None:
        return []
    return [
        [
            Button(text=b["text"], callback_data=b.get("callback_data"), url=b.get("url"))
            for b in row
        ]
        for row in inline["inline_keyboard"]
    ]


def _keyboard_texts(markup: Mapping[str, Any]) -> list[list[str]]:
    return [
        [b if isinstance(b, str) else str(b.get("text", "")) for b in row]
        for row in markup.get("keyboard", [])
    ]


def _validate_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad("can't parse inline keyboard markup JSON object")
    for row in rows:
        for button in row:
            if not isinstance(button, dict):
                raise _bad("can't parse inline keyboard button: InlineKeyboardButton expected")
            if not isinstance(button.get("text"), str):
                raise _bad(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            actions = [key for key in _INLINE_BUTTON_ACTIONS if key in button]
            if not actions:
                raise _bad("BUTTON_TYPE_INVALID")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not (
                    1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
                ):
                    raise _bad("BUTTON_DATA_INVALID")
            if "url" in button:
                url = button["url"]
                if not isinstance(url, str) or not url.lower().startswith(
                    ("http://", "https://", "tg://")
                ):
                    raise _bad("BUTTON_URL_INVALID")


def _validate_reply_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad("can't parse reply keyboard markup JSON object")
    for row in rows:
        for button in row:
            text = button if isinstance(button, str) else None
            if isinstance(button, dict):
                text = button.get("text")
            if not isinstance(text, str) or not text:
                raise _bad('can\'t parse keyboard button: Field "text" must be of type String')


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF, JPEG or WebP image; ``None`` if not an image."""
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
            width, height = struct.unpack(">II", data[16:24])
            return width, height
        if data[:6] in (b"GIF87a", b"GIF89a"):
            width, height = struct.unpack("<HH", data[6:10])
            return width, height
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            chunk = data[12:16]
            if chunk == b"VP8 ":
                width, height = struct.unpack("<HH", data[26:30])
                return width & 0x3FFF, height & 0x3FFF
            if chunk == b"VP8L":
                bits = int.from_bytes(data[21:25], "little")
                return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
            if chunk == b"VP8X":
                width = int.from_bytes(data[24:27], "little") + 1
                height = int.from_bytes(data[27:30], "little") + 1
                return width, height
            return None
        if data[:2] == b"\xff\xd8":
            return _jpeg_size(data)
    except struct.error:
        return None
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker == 0xFF:
            index += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            index += 2
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        index += 2 + length
    return None
