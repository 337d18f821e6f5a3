"""What every push payload shares: a version, and the JSON text stored in `outbox.payload`.

Rows queued by one release are sent by the next, so a payload's JSON keys are a stored
format: each family spells them out in its `to_json`/`from_json` (a renamed attribute changes
no key), `from_json` ignores keys it does not know, and a key a newer shape added is read with
a default.

Versions: version 1 is the shape each family wrote before payloads were versioned, without a
`"v"` key, and it keeps being written so (the storage layer matches some of that text, see
storage/careplans.py). A family's next shape writes `"v"`; the home-readings payloads and the
household care card always carried one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, ClassVar, Protocol

from jiayi.services.push.kinds import PushKind

VERSION_KEY = "v"

Raw = Mapping[str, Any]


class PushPayload(Protocol):
    KIND: ClassVar[PushKind]

    @property
    def version(self) -> int: ...

    def to_json(self) -> str: ...


def dump(values: Mapping[str, object], *, sort_keys: bool, ensure_ascii: bool = False) -> str:
    return json.dumps(values, ensure_ascii=ensure_ascii, sort_keys=sort_keys)


def load(text: str) -> Raw:
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("a push payload is a JSON object")
    return data


def version_of(raw: Raw) -> int:
    return int(raw.get(VERSION_KEY, 1))


def iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def at(value: object) -> datetime:
    return datetime.fromisoformat(str(value))


def instant(value: object) -> datetime | None:
    return at(value) if value else None


def day(value: object) -> date:
    return date.fromisoformat(str(value))


def optional_int(value: object) -> int | None:
    return int(str(value)) if value is not None else None


def optional_str(value: object) -> str | None:
    return str(value) if value is not None else None
