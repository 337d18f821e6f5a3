"""Synchronous getters for tests: what the bot sent, asked and left pending."""

from __future__ import annotations

from typing import Any

from jiayi.sandbox.botapi.markup import keyboard_texts
from jiayi.sandbox.botapi.models import ChatEvent, RecordedRequest, SentMessage, StoredFile
from jiayi.sandbox.botapi.state import ServerState


class InspectionMixin(ServerState):
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

    def reply_keyboard(self, chat_id: int) -> list[list[str]] | None:
        """Button texts of the reply keyboard currently shown in the chat, if any."""
        chat = self._chats.get(chat_id)
        if chat is None or chat.reply_keyboard is None:
            return None
        return keyboard_texts(chat.reply_keyboard)

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
