"""Inline buttons: the user presses one, the bot answers the callback query."""

from __future__ import annotations

import time
from typing import Any

from jiayi.sandbox.botapi.errors import QUERY_TOO_OLD, bad
from jiayi.sandbox.botapi.models import CallbackAnswer, SentMessage, TgUser
from jiayi.sandbox.botapi.params import Params
from jiayi.sandbox.botapi.state import ServerState, api


class CallbacksMixin(ServerState):
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

    @api("answerCallbackQuery")
    async def _answer_callback_query(self, p: Params) -> Any:
        query_id = p.text("callback_query_id") or ""
        chat_id = self._open_queries.pop(query_id, None)
        if chat_id is None:
            raise bad(QUERY_TOO_OLD)
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
