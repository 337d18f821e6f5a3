"""A scripted Telegram user for end-to-end tests: one private chat with the bot.

::

    chat = ChatClient(server, TgUser(id=1001, first_name="Li"))
    await chat.send("/start")
    reply = await chat.wait_for("欢迎")
    query_id = await chat.press("订阅")
    answer = await chat.callback_answer(query_id)

Every user action (:meth:`ChatClient.send`, :meth:`~ChatClient.press`, ...) marks "now";
the wait helpers only consider bot activity that happened after the latest action.  Waits
are event driven (no sleeping) and fail with an ``AssertionError`` that includes the chat
transcript, so a failing test shows what the bot actually said.
"""

from __future__ import annotations

from collections.abc import Callable

from jiayi.sandbox.botapi.html import utf16_len
from jiayi.sandbox.botapi.models import CallbackAnswer, ChatEvent, SentMessage, TgUser
from jiayi.sandbox.botapi.server import BotAPIServer

__all__ = ["ChatClient"]

_TRANSCRIPT_LENGTH = 10


class ChatClient:
    """One Telegram user's private chat with the bot served by ``server``."""

    def __init__(self, server: BotAPIServer, user: TgUser) -> None:
        self.server = server
        self.user = user
        self._action_seq = server.seq
        self._reply_cursor = self._action_seq

    @property
    def chat_id(self) -> int:
        """The private chat id (equal to the user id, as in Telegram)."""
        return self.user.id

    # ------------------------------------------------------------------ actions

    def open(self) -> None:
        """Make the chat known to the server without sending anything."""
        self.server.open_chat(self.user)

    def _mark(self) -> None:
        self._action_seq = self.server.seq
        self._reply_cursor = self._action_seq

    async def send(self, text: str, *, reply_to_message_id: int | None = None) -> int:
        """Send a text message; returns its message id.

        A leading ``/command`` (including ``/start payload`` deep links) gets the
        ``bot_command`` entity Telegram adds, so aiogram's command filters match.
        """
        self._mark()
        entities = None
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        message = await self.server.push_message(
            self.user, text, entities=entities, reply_to_message_id=reply_to_message_id
        )
        return int(message["message_id"])

    async def share_contact(self, phone_number: str) -> int:
        """Press the reply keyboard's "share my phone number" button (``request_contact``):
        Telegram sends the user's own number, with their user id. Fails if no such button is
        shown. Returns the message id."""
        if not self.server.requests_contact(self.chat_id):
            raise AssertionError(
                f"no request_contact button is shown; keyboard: {self.reply_keyboard()!r}\n"
                + self.transcript()
            )
        return await self.send_contact(
            phone_number, user_id=self.user.id, first_name=self.user.first_name
        )

    async def send_contact(
        self, phone_number: str, *, user_id: int | None, first_name: str = "Contact"
    ) -> int:
        """Send a contact card, e.g. someone else's from the address book."""
        self._mark()
        message = await self.server.push_contact(
            self.user, phone_number, first_name=first_name, contact_user_id=user_id
        )
        return int(message["message_id"])

    async def press(self, button_text: str, *, message: SentMessage | None = None) -> str:
        """Press the inline button labelled exactly ``button_text``; returns the query id.

        Looks in ``message`` (its current state) or else in the most recent non-deleted
        bot message that has such a button.
        """
        candidates = [self._current(message)] if message is not None else self._visible()[::-1]
        for candidate in candidates:
            if candidate.deleted:
                continue
            for row in candidate.buttons:
                for button in row:
                    if button.text != button_text:
                        continue
                    if button.callback_data is None:
                        raise AssertionError(
                            f"button {button_text!r} in message {candidate.message_id} has no "
                            f"callback_data (url={button.url!r}); it cannot be pressed"
                        )
                    return await self._push_query(candidate, button.callback_data)
        where = f"message {message.message_id}" if message is not None else "any visible message"
        raise AssertionError(
            f"no inline button {button_text!r} in {where} of chat {self.chat_id}; "
            f"available buttons: {self._available_buttons(candidates)!r}\n"
            f"{self.transcript()}"
        )

    async def press_data(self, callback_data: str, *, message: SentMessage | None = None) -> str:
        """Send arbitrary (possibly forged or stale) callback data; returns the query id.

        The query is attached to ``message`` or to the latest non-deleted bot message.
        """
        target = self._current(message) if message is not None else self.last()
        return await self._push_query(target, callback_data)

    async def block(self) -> None:
        """Block the bot: sends now fail with 403 and a ``my_chat_member`` update is queued."""
        self._mark()
        self.server.fail(self.chat_id, "blocked")
        await self.server.push_chat_member_status(self.user, "kicked")

    async def unblock(self) -> None:
        """Unblock the bot (queues the ``my_chat_member`` update, clears the 403s)."""
        self._mark()
        self.server.clear_failures(self.chat_id)
        await self.server.push_chat_member_status(self.user, "member")

    async def _push_query(self, message: SentMessage, data: str) -> str:
        self._mark()
        return await self.server.push_callback_query(self.user, message, data)

    # ------------------------------------------------------------------ inspection

    def messages(self) -> list[SentMessage]:
        """All bot messages in this chat (current state; deleted ones flagged)."""
        return self.server.messages(self.chat_id)

    def last(self) -> SentMessage:
        """The latest non-deleted bot message."""
        visible = self._visible()
        if not visible:
            raise AssertionError(f"the bot has not sent any message to chat {self.chat_id}")
        return visible[-1]

    def reply_keyboard(self) -> list[list[str]] | None:
        """The reply keyboard currently shown to the user, if any."""
        return self.server.reply_keyboard(self.chat_id)

    def transcript(self, limit: int = _TRANSCRIPT_LENGTH) -> str:
        """Human-readable dump of the last ``limit`` bot messages."""
        messages = self.messages()[-limit:]
        if not messages:
            return f"(chat {self.chat_id}: no bot messages)"
        body = "\n".join(message.describe() for message in messages)
        return f"--- chat {self.chat_id}, last {len(messages)} bot messages ---\n{body}"

    # ------------------------------------------------------------------ waiting

    async def wait_reply(self, *, timeout: float = 10.0) -> SentMessage:  # noqa: ASYNC109
        """The next bot send/edit in this chat after the last action (current state).

        Successive calls return successive events, so two replies to one action can be
        awaited with two calls.
        """

        def next_event() -> ChatEvent | None:
            for event in self.server.events(self.chat_id, after=self._reply_cursor):
                if event.kind != "delete":
                    return event
            return None

        try:
            event = await self.server.wait_until(next_event, timeout=timeout)
        except TimeoutError:
            raise AssertionError(
                f"no reply from the bot within {timeout}s\n{self.transcript()}"
            ) from None
        self._reply_cursor = event.seq
        return self._current(event.message)

    async def wait_for(
        self,
        text: str | None = None,
        *,
        predicate: Callable[[SentMessage], bool] | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> SentMessage:
        """Wait until a bot message sent or edited since the last action matches.

        Matches when its plain text contains ``text`` and/or ``predicate(message)`` holds.
        Returns the first matching snapshot (the message as it was at that send/edit).
        """
        if text is None and predicate is None:
            raise ValueError("wait_for needs text or predicate")

        def matches(message: SentMessage) -> bool:
            if text is not None and text not in message.text:
                return False
            return predicate is None or predicate(message)

        def find() -> SentMessage | None:
            for event in self.server.events(self.chat_id, after=self._action_seq):
                if event.kind != "delete" and matches(event.message):
                    return event.message
            return None

        try:
            return await self.server.wait_until(find, timeout=timeout)
        except TimeoutError:
            wanted = repr(text) if text is not None else "a message matching the predicate"
            raise AssertionError(
                f"the bot did not send {wanted} within {timeout}s\n{self.transcript()}"
            ) from None

    async def callback_answer(
        self,
        query_id: str,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> CallbackAnswer:
        """Wait for the bot's ``answerCallbackQuery`` for ``query_id``."""

        def find() -> CallbackAnswer | None:
            for answer in self.server.callback_answers:
                if answer.query_id == query_id:
                    return answer
            return None

        try:
            return await self.server.wait_until(find, timeout=timeout)
        except TimeoutError:
            raise AssertionError(
                f"the bot did not answer callback query {query_id} within {timeout}s\n"
                f"{self.transcript()}"
            ) from None

    # ------------------------------------------------------------------ helpers

    def _visible(self) -> list[SentMessage]:
        return [message for message in self.messages() if not message.deleted]

    def _current(self, message: SentMessage) -> SentMessage:
        if message.chat_id != self.chat_id:
            raise AssertionError(
                f"message {message.message_id} belongs to chat {message.chat_id}, "
                f"not {self.chat_id}"
            )
        current = self.server.message(self.chat_id, message.message_id)
        return current if current is not None else message

    @staticmethod
    def _available_buttons(messages: list[SentMessage]) -> dict[int, list[str]]:
        return {m.message_id: m.button_texts() for m in messages if m.buttons and not m.deleted}
