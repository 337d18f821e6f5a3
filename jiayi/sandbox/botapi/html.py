"""Telegram ``parse_mode=HTML`` parsing, modelled on tdlib's ``parse_html``.

Telegram accepts only a small, fixed set of tags and reports anything else as
``Bad Request: can't parse entities: <reason>``.  :func:`parse_html` reproduces that
behaviour: it either returns the plain text plus the message entities Telegram would
attach (offsets and lengths in UTF-16 code units, as in the Bot API), or raises
:class:`HTMLParseError` whose ``reason`` matches tdlib's wording.

Supported tags: ``b strong i em u ins s strike del span`` (``class="tg-spoiler"`` only)
``tg-spoiler a`` (``href``) ``code`` (``class="language-*"``) ``pre blockquote``
(optionally ``expandable``) ``tg-emoji`` (``emoji-id``).  Named entities ``&lt; &gt;
&amp; &quot;`` and numeric entities (``&#38;``, ``&#x26;``) are decoded; any other ``&``
is kept literally, as Telegram does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "HTMLParseError",
    "ParsedText",
    "parse_html",
    "strip_html",
    "trim_text",
    "utf16_len",
]

_SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)

_ENTITY_TYPE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
}

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

# tdlib's is_space(): the only characters that separate tag names and attributes.
_TAG_SPACE = frozenset(" \t\r\n\0\v")

# Characters Telegram trims from both ends of a message text or caption.
_LEADING_BLANK = re.compile(r"^[\s\u200b\u200c\ufeff]+")
_TRAILING_BLANK = re.compile(r"[\s\u200b\u200c\ufeff]+\Z")


class HTMLParseError(ValueError):
    """The text is not valid Telegram HTML; ``reason`` is tdlib's message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ParsedText:
    """Plain text plus Bot API ``MessageEntity`` dicts (UTF-16 offsets)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    byte_offset: int


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (the unit of Bot API entity offsets)."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _decode_entity(source: str, index: int) -> tuple[str, int] | None:
    """Decode an HTML entity starting at ``source[index] == '&'``.

    Returns ``(character, next_index)`` or ``None`` when the ``&`` is literal.
    """
    end = source.find(";", index + 1)
    if end == -1 or end - index > 12:
        return None
    body = source[index + 1 : end]
    if body.startswith("#"):
        digits = body[1:]
        try:
            if digits[:1] in ("x", "X"):
                code = int(digits[1:], 16) if digits[1:].isalnum() else -1
            else:
                code = int(digits) if digits.isdigit() else -1
        except ValueError:
            return None
        if code <= 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        return chr(code), end + 1
    char = _NAMED_ENTITIES.get(body)
    if char is None:
        return None
    return char, end + 1


def parse_html(source: str) -> ParsedText:
    """Parse Telegram HTML into plain text and entities.

    Raises :class:`HTMLParseError` for unsupported or unbalanced markup.  The result is
    not trimmed; see :func:`trim_text`.
    """
    out: list[str] = []
    utf16_pos = 0
    stack: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []
    n = len(source)
    i = 0

    def char_at(pos: int) -> str:
        return source[pos] if pos < n else "\0"

    while i < n:
        c = source[i]
        if c == "&":
            decoded = _decode_entity(source, i)
            if decoded is not None:
                char, i = decoded
                out.append(char)
                utf16_pos += utf16_len(char)
                continue
        if c != "<":
            out.append(c)
            utf16_pos += 2 if ord(c) > 0xFFFF else 1
            i += 1
            continue

        begin = i
        i += 1
        if char_at(i) != "/":
            name_begin = i
            while i < n and source[i] not in _TAG_SPACE and source[i] != ">":
                i += 1
            if i >= n:
                raise HTMLParseError(
                    f"Unclosed start tag at byte offset {_byte_offset(source, begin)}"
                )
            tag = source[name_begin:i].lower()
            if tag not in _SUPPORTED_TAGS:
                raise HTMLParseError(
                    f'Unsupported start tag "{tag}" at byte offset {_byte_offset(source, begin)}'
                )
            argument = ""
            while char_at(i) != ">":
                while i < n and source[i] in _TAG_SPACE:
                    i += 1
                if char_at(i) == ">":
                    break
                attr_begin = i
                while i < n and source[i] not in _TAG_SPACE and source[i] not in "=>":
                    i += 1
                attr_name = source[attr_begin:i].lower()
                if not attr_name:
                    raise HTMLParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset '
                        f"{_byte_offset(source, begin)}"
                    )
                while i < n and source[i] in _TAG_SPACE:
                    i += 1
                if char_at(i) != "=":
                    if tag == "blockquote" and attr_name == "expandable":
                        argument = "expandable"
                        continue
                    raise HTMLParseError(
                        f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                        f"at byte offset {_byte_offset(source, begin)}"
                    )
                i += 1
                while i < n and source[i] in _TAG_SPACE:
                    i += 1
                if i >= n:
                    raise HTMLParseError(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(source, begin)}'
                    )
                value_chars: list[str] = []
                quote = source[i]
                if quote not in "'\"":
                    token_begin = i
                    while i < n and (source[i].isalnum() or source[i] in ".-"):
                        i += 1
                    value = source[token_begin:i].lower()
                    if i < n and source[i] not in _TAG_SPACE and source[i] != ">":
                        raise HTMLParseError(
                            "Unexpected end of name token at byte offset "
                            f"{_byte_offset(source, token_begin)}"
                        )
                else:
                    i += 1
                    while i < n and source[i] != quote:
                        if source[i] == "&":
                            decoded = _decode_entity(source, i)
                            if decoded is not None:
                                value_chars.append(decoded[0])
                                i = decoded[1]
                                continue
                        value_chars.append(source[i])
                        i += 1
                    if i < n:
                        i += 1
                    value = "".join(value_chars)
                if i >= n:
                    raise HTMLParseError(
                        f"Unclosed start tag at byte offset {_byte_offset(source, begin)}"
                    )
                if tag == "a" and attr_name == "href":
                    argument = value
                elif tag == "code" and attr_name == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and attr_name == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and attr_name == "emoji-id":
                    argument = value
                elif tag == "blockquote" and attr_name == "expandable":
                    argument = "expandable"
            if tag == "span" and argument != "spoiler":
                raise HTMLParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset '
                    f"{_byte_offset(source, begin)}"
                )
            i += 1  # skip '>'
            stack.append(
                _OpenTag(
                    name=tag,
                    argument=argument,
                    utf16_offset=utf16_pos,
                    byte_offset=_byte_offset(source, begin),
                )
            )
            continue

        # End tag.
        if not stack:
            offset = _byte_offset(source, begin)
            raise HTMLParseError(f"Unexpected end tag at byte offset {offset}")
        i += 1  # skip '/'
        name_begin = i
        while i < n and source[i] not in _TAG_SPACE and source[i] != ">":
            i += 1
        end_name = source[name_begin:i].lower()
        while i < n and source[i] in _TAG_SPACE:
            i += 1
        if char_at(i) != ">":
            raise HTMLParseError(f"Unclosed end tag at byte offset {_byte_offset(source, begin)}")
        i += 1
        open_tag = stack.pop()
        if end_name and end_name != open_tag.name:
            raise HTMLParseError(
                f"Unmatched end tag at byte offset {_byte_offset(source, begin)}, "
                f'expected "</{open_tag.name}>", found "</{end_name}>"'
            )
        entity = _make_entity(open_tag, utf16_pos)
        if entity is not None:
            entities.append(entity)

    if stack:
        raise HTMLParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities = _merge_pre_code(entities)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText(text="".join(out), entities=entities)


def _make_entity(tag: _OpenTag, end: int) -> dict[str, Any] | None:
    length = end - tag.utf16_offset
    if length <= 0:
        return None
    entity: dict[str, Any] = {"offset": tag.utf16_offset, "length": length}
    if tag.name == "a":
        if not tag.argument:
            return None
        entity["type"] = "text_link"
        entity["url"] = tag.argument
    elif tag.name == "blockquote":
        entity["type"] = "expandable_blockquote" if tag.argument else "blockquote"
    elif tag.name == "tg-emoji":
        if not tag.argument:
            return None
        entity["type"] = "custom_emoji"
        entity["custom_emoji_id"] = tag.argument
    elif tag.name == "code" and tag.argument:
        entity["type"] = "code"
        entity["language"] = tag.argument
    else:
        entity["type"] = _ENTITY_TYPE[tag.name]
    return entity


def _merge_pre_code(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``<pre><code class="language-x">…</code></pre>`` becomes one ``pre`` entity."""
    result: list[dict[str, Any]] = []
    pres = {(e["offset"], e["length"]): e for e in entities if e["type"] == "pre"}
    for entity in entities:
        if entity["type"] == "code":
            pre = pres.get((entity["offset"], entity["length"]))
            if pre is not None:
                if entity.get("language"):
                    pre["language"] = entity["language"]
                continue
            entity.pop("language", None)
        result.append(entity)
    return result


def trim_text(text: str, entities: list[dict[str, Any]]) -> ParsedText:
    """Strip leading/trailing whitespace like Telegram, shifting and clipping entities."""
    leading = _LEADING_BLANK.match(text)
    lead_chars = leading.end() if leading else 0
    stripped = _TRAILING_BLANK.sub("", text[lead_chars:])
    if stripped == text:
        return ParsedText(text=text, entities=[dict(e) for e in entities])
    lead = utf16_len(text[:lead_chars])
    total = utf16_len(stripped)
    result: list[dict[str, Any]] = []
    for entity in entities:
        start = max(int(entity["offset"]) - lead, 0)
        end = min(int(entity["offset"]) + int(entity["length"]) - lead, total)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return ParsedText(text=stripped, entities=result)


def strip_html(source: str) -> str:
    """Plain text of a Telegram-HTML string (raises :class:`HTMLParseError` if invalid)."""
    parsed = parse_html(source)
    return trim_text(parsed.text, parsed.entities).text
