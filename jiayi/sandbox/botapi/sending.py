"""Sending text messages, and what every send shares (reply keyboards, replies)."""

from __future__ import annotations

import time
from typing import Any, Final, Literal

from jiayi.sandbox.botapi.errors import bad
from jiayi.sandbox.botapi.html import ParsedText, utf16_len
from jiayi.sandbox.botapi.markup import (
    MAX_TEXT_LENGTH,
    buttons,
    formatted,
    keyboard_texts,
    link_preview,
    reply_markup,
)
from jiayi.sandbox.botapi.models import SentMessage, StoredFile
from jiayi.sandbox.botapi.params import Params
from jiayi.sandbox.botapi.state import Chat, ServerState, api

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


class SendingMixin(ServerState):
    def _reply_to(self, chat: Chat, p: Params) -> int | None:
        try:
            reply = p.json("reply_parameters")
        except ValueError:
            raise bad("can't parse reply parameters JSON object") from None
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
        raise bad("message to be replied not found")

    async def _send(
        self,
        chat: Chat,
        p: Params,
        *,
        kind: Literal["text", "photo", "document"],
        parsed: ParsedText,
        raw: str,
        file: StoredFile | None = None,
    ) -> dict[str, Any]:
        markup = reply_markup(p)
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
            buttons=buttons(markup),
            keyboard=keyboard_texts(markup) if markup and "keyboard" in markup else [],
            file=file,
            disable_notification=p.flag("disable_notification"),
            protect_content=p.flag("protect_content"),
            link_preview_options=link_preview(p) if kind == "text" else None,
            reply_to_message_id=reply_to,
        )
        if markup is not None and "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup is not None and markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        await self._record_event(chat, "send", message)
        return self._message_api(chat, message)

    @api("sendMessage")
    async def _send_message(self, p: Params) -> Any:
        chat = self._target_chat(p)
        parsed, raw = formatted(p, "text", "entities")
        if not parsed.text:
            raise bad("message text is empty")
        if utf16_len(parsed.text) > MAX_TEXT_LENGTH:
            raise bad("message is too long")
        return await self._send(chat, p, kind="text", parsed=parsed, raw=raw)

    @api("sendChatAction")
    async def _send_chat_action(self, p: Params) -> Any:
        self._target_chat(p)
        if p.text("action") not in _CHAT_ACTIONS:
            raise bad("wrong parameter action in request")
        return True
