"""In-repo Telegram Bot API test server and a scripted chat client.

See :mod:`sandbox.botapi.server` for the server contract and
:mod:`sandbox.botapi.client` for the user-side helper.
"""

from sandbox.botapi.client import ChatClient
from sandbox.botapi.models import (
    Button,
    CallbackAnswer,
    ChatEvent,
    RecordedRequest,
    SentMessage,
    StoredFile,
    TgUser,
    UploadedFile,
)
from sandbox.botapi.server import BotAPIServer, TelegramError

__all__ = [
    "BotAPIServer",
    "Button",
    "CallbackAnswer",
    "ChatClient",
    "ChatEvent",
    "RecordedRequest",
    "SentMessage",
    "StoredFile",
    "TelegramError",
    "TgUser",
    "UploadedFile",
]
