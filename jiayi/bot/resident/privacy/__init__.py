"""/privacy, /mydata, /forget and a family member's take-over link (the consent gate that
sends residents here is bot.middlewares.ConsentGate).

- `overview`: /privacy, giving and withdrawing consent;
- `mydata`: the export;
- `forget`: erasure;
- `takeover`: a family member's own account.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart

from jiayi.bot.callbacks import PrivacyAction, PrivacyCD, TakeoverConsentCD, TakeoverLinkCD
from jiayi.bot.resident.privacy.forget import (
    cb_privacy_forget,
    cb_privacy_forget_yes,
    cb_privacy_keep,
    cmd_forget,
)
from jiayi.bot.resident.privacy.mydata import (
    SECTION_LABELS,
    SUMMARY_SECTIONS,
    cb_privacy_export,
    cmd_mydata,
)
from jiayi.bot.resident.privacy.overview import (
    cb_privacy_agree,
    cb_privacy_notice,
    cb_privacy_open,
    cb_privacy_withdraw,
    cb_privacy_withdraw_yes,
    cmd_privacy,
)
from jiayi.bot.resident.privacy.takeover import (
    TOKEN_KEY,
    Takeover,
    cb_takeover_consent,
    cb_takeover_link,
    cmd_start_takeover,
)
from jiayi.services import privacy

__all__ = [
    "SECTION_LABELS",
    "SUMMARY_SECTIONS",
    "TOKEN_KEY",
    "Takeover",
    "build_router",
    "cmd_forget",
    "cmd_mydata",
    "cmd_privacy",
]


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(
        cmd_start_takeover,
        CommandStart(deep_link=True, magic=F.args.startswith(privacy.TAKEOVER_PREFIX)),
    )
    router.message.register(cmd_privacy, Command("privacy"))
    router.message.register(cmd_mydata, Command("mydata"))
    router.message.register(cmd_forget, Command("forget"))
    on = PrivacyCD.filter
    router.callback_query.register(cb_privacy_open, on(F.action == PrivacyAction.OPEN))
    router.callback_query.register(cb_privacy_notice, on(F.action == PrivacyAction.NOTICE))
    router.callback_query.register(cb_privacy_agree, on(F.action == PrivacyAction.AGREE))
    router.callback_query.register(cb_privacy_withdraw, on(F.action == PrivacyAction.WITHDRAW))
    router.callback_query.register(
        cb_privacy_withdraw_yes, on(F.action == PrivacyAction.WITHDRAW_YES)
    )
    router.callback_query.register(cb_privacy_export, on(F.action == PrivacyAction.EXPORT))
    router.callback_query.register(cb_privacy_forget, on(F.action == PrivacyAction.FORGET))
    router.callback_query.register(cb_privacy_forget_yes, on(F.action == PrivacyAction.FORGET_YES))
    router.callback_query.register(cb_privacy_keep, on(F.action == PrivacyAction.KEEP))
    router.callback_query.register(cb_takeover_link, TakeoverLinkCD.filter())
    router.callback_query.register(
        cb_takeover_consent, Takeover.consent, TakeoverConsentCD.filter()
    )
    return router
