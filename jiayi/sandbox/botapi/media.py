"""Files and media: ``sendPhoto``/``sendDocument``, uploads, file ids and image sizes."""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import struct
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from jiayi.sandbox.botapi.errors import TelegramError, bad
from jiayi.sandbox.botapi.html import utf16_len
from jiayi.sandbox.botapi.markup import MAX_CAPTION_LENGTH, formatted
from jiayi.sandbox.botapi.models import StoredFile, UploadedFile
from jiayi.sandbox.botapi.params import Params
from jiayi.sandbox.botapi.sending import SendingMixin
from jiayi.sandbox.botapi.state import api

_MediaKind = Literal["photo", "document"]

MAX_UPLOAD_BYTES: Final = 50 * 1024 * 1024


class MediaMixin(SendingMixin):
    def _input_file(self, p: Params, field_name: str, kind: _MediaKind) -> StoredFile:
        value = p.get(field_name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = p.get(value[len("attach://") :])
            if not isinstance(value, UploadedFile):
                raise bad(f"there is no {field_name} in the request")
        if value is None:
            raise bad(f"there is no {field_name} in the request")
        if isinstance(value, UploadedFile):
            return self._store_upload(value, kind)
        reference = str(value).strip()
        if reference.startswith(("http://", "https://")):
            path = urlsplit(reference).path
            return self._new_file(
                kind=kind,
                data=None,
                filename=path.rsplit("/", 1)[-1] or None,
                mime_type=mimetypes.guess_type(path)[0],
                url=reference,
                digest_source=reference.encode(),
            )
        stored = self._files.get(reference)
        if stored is None:
            raise bad("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise bad("type of file mismatch")
        return stored

    def _store_upload(self, upload: UploadedFile, kind: _MediaKind) -> StoredFile:
        if not upload.data:
            raise bad("file must be non-empty")
        if len(upload.data) > MAX_UPLOAD_BYTES:
            raise TelegramError(413, "Request Entity Too Large")
        width = height = 0
        if kind == "photo":
            size = image_size(upload.data)
            if size is None:
                raise bad("IMAGE_PROCESS_FAILED")
            width, height = size
        mime = upload.content_type
        if not mime or mime == "application/octet-stream":
            guessed = mimetypes.guess_type(upload.filename or "")[0]
            mime = guessed or mime or "application/octet-stream"
        return self._new_file(
            kind=kind,
            data=upload.data,
            filename=upload.filename,
            mime_type=mime,
            url=None,
            digest_source=upload.data,
            width=width,
            height=height,
        )

    def _new_file(
        self,
        *,
        kind: _MediaKind,
        data: bytes | None,
        filename: str | None,
        mime_type: str | None,
        url: str | None,
        digest_source: bytes,
        width: int = 0,
        height: int = 0,
    ) -> StoredFile:
        digest = hashlib.sha256(digest_source).digest()
        unique = base64.urlsafe_b64encode(digest[:9]).decode()
        serial = hashlib.sha256(f"{len(self._files)}:{kind}".encode() + digest).digest()
        prefix = "AgACAgIAAxkDAAI" if kind == "photo" else "BQACAgIAAxkDAAI"
        stored = StoredFile(
            file_id=prefix + base64.urlsafe_b64encode(serial[:30]).decode(),
            file_unique_id="AQAD" + unique,
            kind=kind,
            data=data,
            filename=filename,
            mime_type=mime_type,
            url=url,
            width=width,
            height=height,
        )
        self._files[stored.file_id] = stored
        return stored

    async def _send_media(self, p: Params, kind: _MediaKind) -> Any:
        chat = self._target_chat(p)
        parsed, raw = formatted(p, "caption", "caption_entities")
        if utf16_len(parsed.text) > MAX_CAPTION_LENGTH:
            raise bad("message caption is too long")
        stored = self._input_file(p, kind, kind)
        return await self._send(chat, p, kind=kind, parsed=parsed, raw=raw, file=stored)

    @api("sendPhoto")
    async def _send_photo(self, p: Params) -> Any:
        return await self._send_media(p, "photo")

    @api("sendDocument")
    async def _send_document(self, p: Params) -> Any:
        return await self._send_media(p, "document")


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF, JPEG or WebP image; ``None`` if not an image."""
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
            width, height = struct.unpack(">II", data[16:24])
            return width, height
        if data[:6] in (b"GIF87a", b"GIF89a"):
            width, height = struct.unpack("<HH", data[6:10])
            return width, height
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            chunk = data[12:16]
            if chunk == b"VP8 ":
                width, height = struct.unpack("<HH", data[26:30])
                return width & 0x3FFF, height & 0x3FFF
            if chunk == b"VP8L":
                bits = int.from_bytes(data[21:25], "little")
                return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
            if chunk == b"VP8X":
                width = int.from_bytes(data[24:27], "little") + 1
                height = int.from_bytes(data[27:30], "little") + 1
                return width, height
            return None
        if data[:2] == b"\xff\xd8":
            return jpeg_size(data)
    except struct.error:
        return None
    return None


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker = data[index + 1]
        if marker == 0xFF:
            index += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            index += 2
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        index += 2 + length
    return None
