"""Red-flag words: content/safety/red_flags.yaml, validated into one frozen list once.

Typed text that contains one of them is answered with the emergency message before anything
else (bot/safety.py). The list is data so a clinician can review and extend it without code.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jiayi.content import CONTENT_DIR
from jiayi.content.governance import Review

RED_FLAGS_FILE = CONTENT_DIR / "safety" / "red_flags.yaml"
# Everything that is neither a letter nor a digit: spaces, punctuation, emoji, zero-width.
_NOISE = re.compile(r"[\W_]+", re.UNICODE)


class FlagKind(StrEnum):
    EMERGENCY = "emergency"
    SELF_HARM = "self_harm"


class SafetyError(ValueError):
    """Every problem found in the red-flag file, one per line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _Source(_Strict):
    title: str = Field(min_length=2)
    publisher: str = Field(min_length=2)
    date: dt.date
    note: str = ""


class _Hotline(_Strict):
    number: str = Field(pattern=r"^[0-9]{3,8}$")
    source: str = Field(min_length=2)


class _Group(_Strict):
    kind: FlagKind
    name: str = Field(min_length=1)
    zh: tuple[str, ...] = Field(alias="zh-CN", min_length=1)
    en: tuple[str, ...] = Field(min_length=1)


class _File(_Strict):
    review: Review
    sources: tuple[_Source, ...] = Field(min_length=1)
    hotline: _Hotline
    groups: tuple[_Group, ...] = Field(min_length=1)


def normalise(text: str) -> str:
    """Case-folded, width-folded, with spaces, punctuation and apostrophes taken out, so
    "Can't  BREATHE!" and "cant breathe" and "胸 口 疼" match their listed words."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _NOISE.sub("", folded.replace("’", "").replace("'", ""))


@dataclass(frozen=True, slots=True)
class RedFlags:
    """Normalised words by kind; self-harm is checked first (its answer says more)."""

    words: tuple[tuple[FlagKind, str], ...]
    hotline: str
    hotline_source: str
    review: Review

    def match(self, text: str) -> FlagKind | None:
        typed = normalise(text)
        if not typed:
            return None
        found = {kind for kind, word in self.words if word in typed}
        if FlagKind.SELF_HARM in found:
            return FlagKind.SELF_HARM
        return FlagKind.EMERGENCY if found else None


def _load(path: Path) -> RedFlags:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        parsed = _File.model_validate(raw)
    except (OSError, yaml.YAMLError, ValidationError) as error:
        raise SafetyError(f"{path.name}: {error}") from None
    words: list[tuple[FlagKind, str]] = []
    problems: list[str] = []
    for group in parsed.groups:
        for word in (*group.zh, *group.en):
            key = normalise(word)
            if len(key) < 2:
                problems.append(f"{path.name}: {group.name}: {word!r} is too short to match")
            words.append((group.kind, key))
    if problems:
        raise SafetyError("\n".join(problems))
    return RedFlags(
        words=tuple(words),
        hotline=parsed.hotline.number,
        hotline_source=parsed.hotline.source,
        review=parsed.review,
    )


@cache
def red_flags(path: Path = RED_FLAGS_FILE) -> RedFlags:
    """The red-flag list, read and validated once per process."""
    return _load(path)


def check_red_flags(path: Path = RED_FLAGS_FILE) -> list[str]:
    """Problems in the file (empty = fine), for `jiayi content check`."""
    try:
        _load(path)
    except SafetyError as error:
        return str(error).splitlines()
    return []
