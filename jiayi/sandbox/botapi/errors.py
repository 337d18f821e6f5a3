"""Bot API error replies and the failures injected below the Bot API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from jiayi.sandbox.botapi.models import FailureKind

NOT_MODIFIED: Final = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD: Final = "query is too old and response timeout expired or query ID is invalid"
WEBHOOK_CONFLICT: Final = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT: Final = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


class TelegramError(Exception):
    """A Bot API error reply: ``{"ok": false, "error_code": code, "description": ...}``."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            data["parameters"] = {"retry_after": self.retry_after}
        return data


def bad(reason: str) -> TelegramError:
    return TelegramError(400, f"Bad Request: {reason}")


# The page nginx answers with when the upstream is gone: not JSON, so aiogram raises
# ClientDecodeError, which is not a TelegramAPIError.
BAD_GATEWAY_PAGE: Final = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
# Failures that happen before Telegram could see the request, so nothing is delivered.
TRANSPORT_FAILURES: Final = frozenset({"bad_gateway", "timeout", "reset"})


# How a transport failure is recorded: (status, description); 0 when no answer was sent.
FAULT_RECORDS: Final[Mapping[str, tuple[int, str]]] = {
    "bad_gateway": (502, "Bad Gateway (HTML page)"),
    "timeout": (0, "no answer (timeout)"),
    "reset": (0, "no answer (connection reset)"),
}


class TransportFault(Exception):
    """A failure injected below the Bot API: an HTML page, no answer, a dropped connection."""

    def __init__(self, kind: FailureKind) -> None:
        super().__init__(kind)
        self.kind = kind


def failure_error(kind: FailureKind, retry_after: int) -> TelegramError:
    if kind == "blocked":
        return TelegramError(403, "Forbidden: bot was blocked by the user")
    if kind == "deactivated":
        return TelegramError(403, "Forbidden: user is deactivated")
    if kind == "bad_request":
        return bad("chat not found")
    if kind == "flood":
        return TelegramError(
            429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
        )
    return TelegramError(500, "Internal Server Error")
