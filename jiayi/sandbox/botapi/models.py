"""Value objects shared by the Bot API test server and its chat client.

All of these are immutable snapshots: the server replaces a :class:`SentMessage` with a
new instance when the bot edits or deletes it, so a test that kept an old reference
still sees the state it observed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

__all__ = [
    "Button",
    "CallbackAnswer",
    "ChatEvent",
    "EventKind",
    "FailureKind",
    "MessageKind",
    "RecordedRequest",
    "SentMessage",
    "StoredFile",
    "TgUser",
    "UploadedFile",
]

MessageKind = Literal["text", "photo", "document"]
EventKind = Literal["send", "edit", "delete"]
FailureKind = Literal[
    "blocked",
    "deactivated",
    "bad_request",
    "flood",
    "server_error",
    # Not Telegram's JSON errors: what a proxy or the network does on the way.
    "bad_gateway",  # a proxy's HTML "502 Bad Gateway" page
    "timeout",  # no answer at all, until the client gives up
    "reset",  # the connection closed without an answer
]


@dataclass(frozen=True, slots=True)
class TgUser:
    """A Telegram user; their private chat with the bot has ``chat_id == id``."""

    id: int
    first_name: str
    language_code: str | None = "zh-hans"
    last_name: str | None = None
    username: str | None = None

    def to_api(self) -> dict[str, Any]:
        """The Bot API ``User`` object."""
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        if self.language_code is not None:
            data["language_code"] = self.language_code
        return data

    def chat_api(self) -> dict[str, Any]:
        """The Bot API ``Chat`` object of the user's private chat with the bot."""
        data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        return data


@dataclass(frozen=True, slots=True)
class Button:
    """One inline keyboard button (only the fields tests usually care about)."""

    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file the bot sent (uploaded bytes, or a URL the server did not fetch)."""

    file_id: str
    file_unique_id: str
    kind: Literal["photo", "document"]
    data: bytes | None
    filename: str | None
    mime_type: str | None
    url: str | None = None
    width: int = 0
    height: int = 0

    @property
    def size(self) -> int | None:
        return None if self.data is None else len(self.data)


@dataclass(frozen=True, slots=True)
class SentMessage:
    """Snapshot of one message the bot sent, in its state at snapshot time.

    ``text`` is the plain text Telegram would display (HTML tags stripped, entities
    decoded, trimmed); for media it is the plain caption (``""`` when there is none).
    ``html`` is the raw ``text``/``caption`` parameter exactly as the bot sent it.
    """

    message_id: int
    chat_id: int
    kind: MessageKind
    text: str
    html: str
    date: int
    parse_mode: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    buttons: list[list[Button]] = field(default_factory=list)
    keyboard: list[list[str]] = field(default_factory=list)
    file: StoredFile | None = None
    edit_date: int | None = None
    edited: bool = False
    deleted: bool = False
    disable_notification: bool = False
    protect_content: bool = False
    link_preview_options: dict[str, Any] | None = None
    reply_to_message_id: int | None = None

    @property
    def file_bytes(self) -> bytes | None:
        return None if self.file is None else self.file.data

    @property
    def filename(self) -> str | None:
        return None if self.file is None else self.file.filename

    @property
    def mime_type(self) -> str | None:
        return None if self.file is None else self.file.mime_type

    @property
    def file_id(self) -> str | None:
        return None if self.file is None else self.file.file_id

    def button_texts(self) -> list[str]:
        """Texts of all inline buttons, row by row."""
        return [button.text for row in self.buttons for button in row]

    def button(self, text: str) -> Button:
        """The inline button labelled exactly ``text`` (``AssertionError`` if absent)."""
        for row in self.buttons:
            for button in row:
                if button.text == text:
                    return button
        raise AssertionError(
            f"message {self.message_id} has no inline button {text!r}; "
            f"buttons: {self.button_texts()!r}"
        )

    def describe(self) -> str:
        """One human-readable transcript entry (used in assertion messages)."""
        flags = "".join(
            f" [{flag}]" for flag, on in (("edited", self.edited), ("deleted", self.deleted)) if on
        )
        head = f"#{self.message_id} {self.kind}{flags}"
        if self.file is not None:
            head += f" file={self.file.filename!r}"
        lines = [head, *(f"  | {line}" for line in (self.text or "").splitlines() or [""])]
        lines.extend("  " + " ".join(f"[{button.text}]" for button in row) for row in self.buttons)
        if self.keyboard:
            lines.extend("  keyboard: " + " | ".join(row) for row in self.keyboard)
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class ChatEvent:
    """One bot action in a chat; ``seq`` increases globally across all chats."""

    seq: int
    chat_id: int
    kind: EventKind
    message: SentMessage


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One Bot API call as the server received it.

    ``method`` is the canonical (documented) method name, e.g. ``"sendMessage"``, or the
    name as requested when unknown.  ``params`` holds the raw parameters (multipart and
    form values are strings exactly as sent; uploaded files are :class:`UploadedFile`).
    ``at`` is :func:`time.monotonic` taken on arrival, ``wall`` the same instant in UTC.
    ``status`` is the HTTP status of the reply (200 or the error code).
    """

    method: str
    params: dict[str, Any]
    chat_id: int | None
    at: float
    wall: datetime
    status: int = 200
    description: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A multipart file part received by the server."""

    filename: str | None
    content_type: str | None
    data: bytes = field(repr=False)

    def __repr__(self) -> str:
        return (
            f"UploadedFile(filename={self.filename!r}, content_type={self.content_type!r}, "
            f"size={len(self.data)})"
        )


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    """The bot's ``answerCallbackQuery`` for a query the server issued."""

    query_id: str
    chat_id: int | None
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int
    at: float
