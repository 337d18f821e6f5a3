"""/broadcast (compose, choose the audience, preview, send or schedule), /broadcasts, the
status message with its refresh button, and the job-side notifier of progress and reports.

- `draft`: the draft being written (a frozen dataclass in the FSM data) and the guard every
  draft button goes through;
- `screens`: audience, confirmation, preview and status texts;
- `compose`, `schedule`, `status`: the handlers, by step.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command

from jiayi.bot.callbacks import BcAction, BcSegmentCD, BcStepCD, BroadcastCD
from jiayi.bot.doctor.broadcast.compose import (
    cb_add_second,
    cb_audience_done,
    cb_segment,
    cb_send,
    cb_skip_second,
    cb_spread,
    cmd_broadcast,
    compose_prompt,
    on_not_text,
    on_second_text,
    on_text,
)
from jiayi.bot.doctor.broadcast.draft import BroadcastDraft
from jiayi.bot.doctor.broadcast.schedule import cb_schedule, cb_schedule_pick, on_schedule_time
from jiayi.bot.doctor.broadcast.screens import status_screen
from jiayi.bot.doctor.broadcast.status import BroadcastNotifier, cb_broadcast, cmd_broadcasts
from jiayi.bot.doctor.states import BroadcastCompose

__all__ = [
    "BroadcastDraft",
    "BroadcastNotifier",
    "build_router",
    "compose_prompt",
    "status_screen",
]


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(cmd_broadcast, Command("broadcast"))
    router.message.register(cmd_broadcasts, Command("broadcasts"))
    # Commands never become broadcast text (bot.doctor.composing answers them).
    typed = F.text & ~F.text.startswith("/")
    router.message.register(on_text, BroadcastCompose.text, typed | F.photo)
    router.message.register(on_not_text, BroadcastCompose.text)
    router.message.register(on_second_text, BroadcastCompose.second_text, typed)
    router.message.register(on_not_text, BroadcastCompose.second_text)
    router.message.register(on_schedule_time, BroadcastCompose.schedule_time, typed)
    router.callback_query.register(cb_add_second, BcStepCD.filter(F.action == BcAction.ADD_SECOND))
    router.callback_query.register(
        cb_skip_second, BcStepCD.filter(F.action == BcAction.SKIP_SECOND)
    )
    router.callback_query.register(cb_segment, BcSegmentCD.filter())
    router.callback_query.register(
        cb_audience_done, BcStepCD.filter(F.action == BcAction.AUDIENCE_DONE)
    )
    router.callback_query.register(cb_spread, BcStepCD.filter(F.action == BcAction.SPREAD))
    router.callback_query.register(cb_schedule, BcStepCD.filter(F.action == BcAction.SCHEDULE))
    router.callback_query.register(
        cb_schedule_pick,
        BcStepCD.filter(
            F.action.in_(
                {
                    BcAction.TONIGHT,
                    BcAction.TOMORROW,
                    BcAction.PICK_DATE,
                    BcAction.PICK_DAY,
                    BcAction.AT,
                }
            )
        ),
    )
    router.callback_query.register(
        cb_send, BcStepCD.filter(F.action.in_({BcAction.SEND_NOW, BcAction.CONFIRM_SCHEDULE}))
    )
    router.callback_query.register(cb_broadcast, BroadcastCD.filter())
    return router
