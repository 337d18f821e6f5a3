"""In-repo Telegram Bot API test server and a scripted chat client.

See :mod:`sandbox.botapi.server` for the server contract and
:mod:`sandbox.botapi.client` for the user-side helper.
"""

from jiayi.sandbox.botapi.client import ChatClient
from jiayi.sandbox.botapi.errors import TelegramError
from jiayi.sandbox.botapi.models import (
    Button,
    CallbackAnswer,
    ChatEvent,
    RecordedRequest,
    SentMessage,
    StoredFile,
    TgUser,
    UploadedFile,
)
from jiayi.sandbox.botapi.server import BotAPIServer

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
