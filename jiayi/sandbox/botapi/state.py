"""What the server remembers (chats, messages, updates, files, failures) and the helpers
every method group shares; the method groups are mixins over :class:`ServerState`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from aiohttp import web

from jiayi.sandbox.botapi.errors import bad
from jiayi.sandbox.botapi.markup import inline_markup
from jiayi.sandbox.botapi.models import (
    CallbackAnswer,
    ChatEvent,
    EventKind,
    FailureKind,
    RecordedRequest,
    SentMessage,
    StoredFile,
    TgUser,
)
from jiayi.sandbox.botapi.params import Params

# Update types a bot receives when ``allowed_updates`` is unset or empty.
_OPT_IN_UPDATES: Final = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass(slots=True)
class Failure:
    kind: FailureKind
    remaining: int | None
    retry_after: int
    # Calls that still go through before the failures start (a chat failing mid-batch).
    passing: int = 0


@dataclass(slots=True)
class Chat:
    user: TgUser
    next_message_id: int = 1
    messages: dict[int, SentMessage] = field(default_factory=dict)
    user_messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    reply_keyboard: dict[str, Any] | None = None


@dataclass(slots=True)
class Webhook:
    url: str
    max_connections: int
    has_secret: bool


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One webhook POST and its answer: which worker took it (the X-Jiayi-Worker header)."""

    update_id: int
    chat: object
    status: int
    worker: str | None
    seconds: float


Handler = Callable[..., Awaitable[Any]]
_H = TypeVar("_H", bound=Handler)
METHODS: dict[str, tuple[str, Handler]] = {}


def api(name: str) -> Callable[[_H], _H]:
    """Register a Bot API method implementation under its documented name."""

    def register(func: _H) -> _H:
        METHODS[name.lower()] = (name, func)
        return func

    return register


class ServerState:
    """The state of one bot's server and the helpers shared by its method groups."""

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

        self._chats: dict[int, Chat] = {}
        self._failures: dict[int, Failure] = {}
        # Per call, whatever the chat: failable call number (1-based) -> its failure.
        self._call_failures: dict[int, Failure] = {}
        self._failable_calls = 0
        self.hang_seconds = 120.0
        """How long a ``"timeout"`` failure keeps the request unanswered (the client gives up
        first; the server's shutdown also ends it)."""
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._allowed_updates: list[str] | None = None
        self._poll_generation = 0
        self._waiting_polls = 0
        self._webhook: Webhook | None = None
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
        self.allow_http_webhooks = False
        """Accept http:// webhook URLs (tests and benchmarks on localhost)."""
        self.webhook_deliveries: list[WebhookDelivery] = []
        """Every webhook POST that got an answer, in order of completion."""
        self._webhook_secret: str | None = None
        self._webhook_task: asyncio.Task[None] | None = None

    @property
    def seq(self) -> int:
        """Sequence number of the latest event (0 before any)."""
        return self._events[-1].seq if self._events else 0

    async def _notify(self) -> None:
        async with self._cond:
            self._cond.notify_all()

    def _chat_for(self, user: TgUser) -> Chat:
        chat = self._chats.get(user.id)
        if chat is None:
            chat = self._chats[user.id] = Chat(user=user)
        else:
            chat.user = user
        return chat

    @staticmethod
    def _take_message_id(chat: Chat) -> int:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        return message_id

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

    def _update_allowed(self, kind: str) -> bool:
        if not self._allowed_updates:
            return kind not in _OPT_IN_UPDATES
        return kind in self._allowed_updates

    async def _record_event(self, chat: Chat, kind: EventKind, message: SentMessage) -> None:
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

    def _message_object(self, chat: Chat, message_id: int) -> dict[str, Any] | None:
        """Any existing message in the chat (user's or bot's) as a ``Message`` object."""
        user_message = chat.user_messages.get(message_id)
        if user_message is not None:
            return {k: v for k, v in user_message.items() if k != "reply_to_message"}
        sent = chat.messages.get(message_id)
        if sent is None or sent.deleted:
            return None
        return self._message_api(chat, sent, nested=False)

    def _message_api(
        self, chat: Chat, message: SentMessage, *, nested: bool = True
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
        inline = inline_markup(message.reply_markup)
        if inline is not None:
            data["reply_markup"] = inline
        return data

    def _target_chat(self, p: Params) -> Chat:
        if p.get("chat_id") is None:
            raise bad("chat_id is empty")
        try:
            chat_id = p.integer("chat_id")
        except ValueError:
            raise bad("chat not found") from None
        chat = self._chats.get(chat_id) if chat_id is not None else None
        if chat is None:
            raise bad("chat not found")
        return chat

    @staticmethod
    def _target_message_id(p: Params, missing: str) -> int:
        try:
            message_id = p.integer("message_id")
        except ValueError:
            raise bad(missing) from None
        if message_id is None:
            raise bad("message identifier is not specified")
        return message_id
