"""Editing and deleting the bot's messages."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from jiayi.sandbox.botapi.errors import NOT_MODIFIED, bad
from jiayi.sandbox.botapi.html import utf16_len
from jiayi.sandbox.botapi.markup import (
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    buttons,
    formatted,
    inline_markup,
    link_preview,
    reply_markup,
)
from jiayi.sandbox.botapi.models import SentMessage
from jiayi.sandbox.botapi.params import Params
from jiayi.sandbox.botapi.state import Chat, ServerState, api


class EditingMixin(ServerState):
    def _editable(self, p: Params) -> tuple[Chat, SentMessage]:
        if p.get("inline_message_id") is not None:
            raise bad("message to edit not found")
        chat = self._target_chat(p)
        message_id = self._target_message_id(p, "message to edit not found")
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            if message_id in chat.user_messages:
                raise bad("message can't be edited")
            raise bad("message to edit not found")
        return chat, message

    async def _apply_edit(self, chat: Chat, before: SentMessage, **changes: Any) -> Any:
        after = dataclasses.replace(before, **changes)
        if (
            after.text == before.text
            and after.entities == before.entities
            and inline_markup(after.reply_markup) == inline_markup(before.reply_markup)
        ):
            raise bad(NOT_MODIFIED)
        after = dataclasses.replace(after, edit_date=int(time.time()), edited=True)
        await self._record_event(chat, "edit", after)
        return self._message_api(chat, after)

    @api("editMessageText")
    async def _edit_message_text(self, p: Params) -> Any:
        chat, message = self._editable(p)
        parsed, raw = formatted(p, "text", "entities")
        if not parsed.text:
            raise bad("message text is empty")
        if utf16_len(parsed.text) > MAX_TEXT_LENGTH:
            raise bad("message is too long")
        if message.kind != "text":
            raise bad("there is no text in the message to edit")
        markup = reply_markup(p, inline_only=True)
        return await self._apply_edit(
            chat,
            message,
            text=parsed.text,
            html=raw,
            parse_mode=p.text("parse_mode"),
            entities=parsed.entities,
            reply_markup=markup,
            buttons=buttons(markup),
            keyboard=[],
            link_preview_options=link_preview(p),
        )

    @api("editMessageCaption")
    async def _edit_message_caption(self, p: Params) -> Any:
        chat, message = self._editable(p)
        parsed, raw = formatted(p, "caption", "caption_entities")
        if utf16_len(parsed.text) > MAX_CAPTION_LENGTH:
            raise bad("message caption is too long")
        if message.kind == "text":
            raise bad("there is no caption in the message to edit")
        markup = reply_markup(p, inline_only=True)
        return await self._apply_edit(
            chat,
            message,
            text=parsed.text,
            html=raw,
            parse_mode=p.text("parse_mode"),
            entities=parsed.entities,
            reply_markup=markup,
            buttons=buttons(markup),
            keyboard=[],
        )

    @api("editMessageReplyMarkup")
    async def _edit_message_reply_markup(self, p: Params) -> Any:
        chat, message = self._editable(p)
        markup = reply_markup(p, inline_only=True)
        return await self._apply_edit(
            chat, message, reply_markup=markup, buttons=buttons(markup), keyboard=[]
        )

    @api("deleteMessage")
    async def _delete_message(self, p: Params) -> Any:
        chat = self._target_chat(p)
        message_id = self._target_message_id(p, "message to delete not found")
        message = chat.messages.get(message_id)
        if message is not None and not message.deleted:
            await self._record_event(chat, "delete", dataclasses.replace(message, deleted=True))
            return True
        if chat.user_messages.pop(message_id, None) is not None:
            return True
        raise bad("message to delete not found")
