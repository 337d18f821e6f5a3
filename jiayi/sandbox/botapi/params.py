"""Reading a Bot API call's parameters: query string plus a JSON, form or multipart body."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import BodyPartReader, web

from jiayi.sandbox.botapi.errors import bad
from jiayi.sandbox.botapi.models import UploadedFile


class Params:
    """Typed access to raw request parameters (strings from forms, natives from JSON)."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw

    def get(self, name: str) -> Any:
        value = self.raw.get(name)
        return None if value is None or value == "" else value

    def text(self, name: str) -> str | None:
        value = self.get(name)
        if value is None or isinstance(value, UploadedFile):
            return None
        return value if isinstance(value, str) else str(value)

    def integer(self, name: str) -> int | None:
        """The integer value, ``None`` if absent; :class:`ValueError` if malformed."""
        value = self.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            return int(value.strip())
        raise ValueError(name)

    def flag(self, name: str) -> bool:
        value = self.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def json(self, name: str) -> Any:
        """The decoded JSON value, ``None`` if absent; :class:`ValueError` if malformed."""
        value = self.get(name)
        if isinstance(value, str):
            return json.loads(value)
        if isinstance(value, UploadedFile):
            raise ValueError(name)
        return value


async def read_params(request: web.Request) -> dict[str, Any]:
    """Merge query-string and body parameters (JSON, urlencoded or multipart)."""
    params: dict[str, Any] = dict(request.query)
    if not request.body_exists:
        return params
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad("can't parse JSON request body") from None
        if not isinstance(body, dict):
            raise bad("can't parse JSON request body")
        params.update(body)
    elif content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                data = bytes(await part.read(decode=True))
                params[part.name] = UploadedFile(
                    filename=part.filename,
                    content_type=part.headers.get("Content-Type"),
                    data=data,
                )
            else:
                params[part.name] = await part.text()
    elif content_type == "application/x-www-form-urlencoded":
        form = await request.post()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


def peek_chat_id(params: Mapping[str, Any]) -> int | None:
    value = params.get("chat_id")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None
