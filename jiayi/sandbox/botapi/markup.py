"""What a sent or edited message carries: its formatted text, keyboard and link preview,
validated the way Telegram validates them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from jiayi.sandbox.botapi.errors import bad
from jiayi.sandbox.botapi.html import HTMLParseError, ParsedText, parse_html, trim_text
from jiayi.sandbox.botapi.models import Button
from jiayi.sandbox.botapi.params import Params

MAX_TEXT_LENGTH: Final = 4096
MAX_CAPTION_LENGTH: Final = 1024
MAX_CALLBACK_DATA_BYTES: Final = 64

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


def formatted(p: Params, text_field: str, entities_field: str) -> tuple[ParsedText, str]:
    """Parse ``text_field`` per ``parse_mode``; returns (trimmed result, raw text)."""
    raw = p.text(text_field) or ""
    mode = (p.text("parse_mode") or "").strip()
    if not mode:
        try:
            entities = p.json(entities_field) or []
        except ValueError:
            raise bad("can't parse entities JSON object") from None
        if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
            raise bad("can't parse entities JSON object")
        parsed = ParsedText(text=raw, entities=entities)
    elif mode.lower() == "html":
        try:
            parsed = parse_html(raw)
        except HTMLParseError as error:
            raise bad(f"can't parse entities: {error.reason}") from None
    elif mode.lower() in ("markdown", "markdownv2"):
        parsed = ParsedText(text=raw)
    else:
        raise bad("unsupported parse_mode")
    return trim_text(parsed.text, parsed.entities), raw


def reply_markup(p: Params, *, inline_only: bool = False) -> dict[str, Any] | None:
    try:
        markup = p.json("reply_markup")
    except ValueError:
        raise bad("can't parse reply keyboard markup JSON object") from None
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        validate_inline_keyboard(markup["inline_keyboard"])
        return markup
    if inline_only:
        raise bad("inline keyboard expected")
    if "keyboard" in markup:
        validate_reply_keyboard(markup["keyboard"])
        return markup
    if markup.get("remove_keyboard") or markup.get("force_reply"):
        return markup
    raise bad("can't parse reply keyboard markup JSON object")


def link_preview(p: Params) -> dict[str, Any] | None:
    try:
        options = p.json("link_preview_options")
    except ValueError:
        raise bad("can't parse link preview options JSON object") from None
    return options if isinstance(options, dict) else None


def inline_markup(markup: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The inline keyboard Telegram echoes in ``Message.reply_markup`` (``None`` if empty)."""
    if not markup or "inline_keyboard" not in markup:
        return None
    rows = [list(row) for row in markup["inline_keyboard"] if row]
    return {"inline_keyboard": rows} if rows else None


def buttons(markup: Mapping[str, Any] | None) -> list[list[Button]]:
    inline = inline_markup(markup)
    if inline is None:
        return []
    return [
        [
            Button(text=b["text"], callback_data=b.get("callback_data"), url=b.get("url"))
            for b in row
        ]
        for row in inline["inline_keyboard"]
    ]


def keyboard_texts(markup: Mapping[str, Any]) -> list[list[str]]:
    return [
        [b if isinstance(b, str) else str(b.get("text", "")) for b in row]
        for row in markup.get("keyboard", [])
    ]


def validate_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad("can't parse inline keyboard markup JSON object")
    for row in rows:
        for button in row:
            if not isinstance(button, dict):
                raise bad("can't parse inline keyboard button: InlineKeyboardButton expected")
            if not isinstance(button.get("text"), str):
                raise bad(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            actions = [key for key in _INLINE_BUTTON_ACTIONS if key in button]
            if not actions:
                raise bad("BUTTON_TYPE_INVALID")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not (
                    1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
                ):
                    raise bad("BUTTON_DATA_INVALID")
            if "url" in button:
                url = button["url"]
                if not isinstance(url, str) or not url.lower().startswith(
                    ("http://", "https://", "tg://")
                ):
                    raise bad("BUTTON_URL_INVALID")


def validate_reply_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad("can't parse reply keyboard markup JSON object")
    for row in rows:
        for button in row:
            text = button if isinstance(button, str) else None
            if isinstance(button, dict):
                text = button.get("text")
            if not isinstance(text, str) or not text:
                raise bad('can\'t parse keyboard button: Field "text" must be of type String')
