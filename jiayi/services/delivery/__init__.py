"""The one dispatcher every push goes through: claim, check, render, send, record.

Telegram is reached through the `Sender` port (implemented in bot/), so this package knows
nothing of aiogram. Sending happens outside any database transaction: rows are claimed with a
lease in one short transaction, sent, and each result recorded as soon as the send returns,
by a group commit shared by the concurrent send slots (see `recording.Recorder`). A send slot
starts its next send only once its previous result is stored, so a crash re-sends at most one
message per slot (the ones in flight); the claimed rows nobody sent are claimed again when
their lease runs out, and sent then for the first time.

Modules: `ports` (the Sender port, messages, results, settings, the run report), `quiet`
(quiet hours), `recording` (per-chat pacing and the group-committing recorder),
`dispatcher` (`OutboxDispatcher`).
"""

from __future__ import annotations

from jiayi.services.delivery.dispatcher import OutboxDispatcher
from jiayi.services.delivery.ports import (
    DispatchReport,
    DispatchSettings,
    Outcome,
    OutgoingMessage,
    Renderer,
    Sender,
    SendResult,
    staff_locale,
)
from jiayi.services.delivery.quiet import in_quiet_hours, quiet_hours_end

__all__ = [
    "DispatchReport",
    "DispatchSettings",
    "OutboxDispatcher",
    "Outcome",
    "OutgoingMessage",
    "Renderer",
    "SendResult",
    "Sender",
    "in_quiet_hours",
    "quiet_hours_end",
    "staff_locale",
]
