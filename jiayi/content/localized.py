"""One rule for bilingual fields: which attribute holds the text for a locale.

Records, payloads and catalogue entries carry both languages side by side: `name_zh` and
`name_en`, or `centre_name` (Chinese, the centre's legal name) and `centre_name_en`. Chinese
is read from `<field>_zh`, falling back to `<field>`; every other locale from `<field>_en`,
falling back to the Chinese text so a missing translation never shows an empty line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")

CHINESE = "zh-CN"


def _get(source: object, key: str) -> Any:
    if isinstance(source, Mapping):
        return source.get(key)
    return getattr(source, key, None)


def localized(source: object, field: str, locale: str) -> str:
    """The text of `field` in `locale` from a record, dataclass or mapping ('' if absent)."""
    chinese = _get(source, f"{field}_zh")
    if chinese is None:
        chinese = _get(source, field)
    if locale != CHINESE:
        english = _get(source, f"{field}_en")
        if english:
            return str(english)
    return "" if chinese is None else str(chinese)


def pick(zh: T, en: T, locale: str) -> T:
    """Of a (Chinese, English) pair, the one for `locale`."""
    return zh if locale == CHINESE else en
