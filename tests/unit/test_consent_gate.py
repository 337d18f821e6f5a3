"""The consent gate lets `/start` through only for the takeover deep link (`/start tko_…`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiogram.types import Chat, Message, User

from jiayi.bot.middlewares import _is_open


def _message(text: str) -> Message:
    return Message(
        message_id=1,
        date=datetime(2026, 12, 7, tzinfo=UTC),
        chat=Chat(id=1, type="private"),
        from_user=User(id=1, is_bot=False, first_name="x"),
        text=text,
    )


@pytest.mark.parametrize(
    ("text", "open_"),
    [
        ("/start tko_abc123", True),
        ("/start@jiayi_bot tko_abc123", True),
        ("/start", False),
        ("/start doc_wang", False),
        ("/start xtko_abc", False),
        ("/start doc_wang tko_abc", False),
        ("/start tko", False),
        ("hello tko_abc", False),
        ("/privacy", True),
    ],
)
def test_only_the_takeover_prefix_opens_start(text: str, open_: bool) -> None:
    """Mutation caught: `privacy.TAKEOVER_PREFIX in text` (any `tko_` anywhere opened the
    gate: `/start doc_wang tko_abc` and `/start xtko_abc` skipped the consent prompt)."""
    assert _is_open(_message(text)) is open_
