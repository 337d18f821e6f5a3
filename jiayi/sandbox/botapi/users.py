"""Test control, the user's side: open a chat, send texts and contacts, block the bot,
and wait for the bot's answer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from jiayi.sandbox.botapi.markup import keyboard_texts
from jiayi.sandbox.botapi.models import TgUser
from jiayi.sandbox.botapi.state import ServerState

T = TypeVar("T")


class UsersMixin(ServerState):
    def open_chat(self, user: TgUser) -> None:
        """Make the user's private chat known (as if they had opened the bot before)."""
        self._chat_for(user)

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
            and any(text in row for row in keyboard_texts(keyboard))
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
