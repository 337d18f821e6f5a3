"""Telegram HTML parse-mode rules (wording follows tdlib's parse_html)."""

from __future__ import annotations

import pytest

from jiayi.sandbox.botapi.html import HTMLParseError, parse_html, strip_html, trim_text, utf16_len


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("<x>y</x>", 'Unsupported start tag "x" at byte offset 0'),
        ("你<br>", 'Unsupported start tag "br" at byte offset 3'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b>a", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>a</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("</b>", "Unexpected end tag at byte offset 0"),
        ("<span>s</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<b", "Unclosed start tag at byte offset 0"),
    ],
)
def test_invalid_markup(source: str, reason: str) -> None:
    with pytest.raises(HTMLParseError) as excinfo:
        parse_html(source)
    assert excinfo.value.reason == reason


def test_entities_and_unescaping() -> None:
    parsed = parse_html(
        "😀<b>粗<i>斜</i></b> &lt;&gt;&amp;&quot;&#20013;&#x6587; AT&T "
        '<a href="https://e.org/?a=1&amp;b=2">链接</a>'
    )
    assert parsed.text == '😀粗斜 <>&"中文 AT&T 链接'
    assert parsed.entities == [
        {"offset": 2, "length": 2, "type": "bold"},
        {"offset": 3, "length": 1, "type": "italic"},
        {"offset": 17, "length": 2, "type": "text_link", "url": "https://e.org/?a=1&b=2"},
    ]


def test_supported_tags() -> None:
    source = (
        "<strong>a</strong><em>b</em><u>c</u><ins>d</ins><s>e</s><strike>f</strike><del>g</del>"
        '<span class="tg-spoiler">h</span><tg-spoiler>i</tg-spoiler><code>j</code>'
        '<pre><code class="language-python">k</code></pre><blockquote>l</blockquote>'
        "<blockquote expandable>m</blockquote>"
        '<tg-emoji emoji-id="5368324170671202286">n</tg-emoji>'
    )
    parsed = parse_html(source)
    assert parsed.text == "abcdefghijklmn"
    types = [e["type"] for e in parsed.entities]
    assert types == [
        "bold",
        "italic",
        "underline",
        "underline",
        "strikethrough",
        "strikethrough",
        "strikethrough",
        "spoiler",
        "spoiler",
        "code",
        "pre",
        "blockquote",
        "expandable_blockquote",
        "custom_emoji",
    ]
    assert parsed.entities[10]["language"] == "python"


def test_trim_shifts_entities() -> None:
    parsed = parse_html("  <b> 你好 </b>\n")
    trimmed = trim_text(parsed.text, parsed.entities)
    assert trimmed.text == "你好"
    assert trimmed.entities == [{"offset": 0, "length": 2, "type": "bold"}]
    assert strip_html("\n<i>x</i>  ") == "x"
    assert utf16_len("a😀中") == 4
