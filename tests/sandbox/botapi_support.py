"""Helpers of the Bot API test server's tests: an inline keyboard from (text, data) pairs, a
valid PNG of any size, and waiting until a long poll is parked on the server."""

from __future__ import annotations

import struct
import zlib

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from jiayi.sandbox.botapi import BotAPIServer


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=text, callback_data=data) for text, data in row]
            for row in rows
        ]
    )


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


async def wait_for_poll(server: BotAPIServer) -> None:
    await server.wait_until(lambda: True if server.waiting_polls else None, timeout=5)
