"""The command menus Telegram shows: one for everyone, and the doctors' own in their chats."""

from __future__ import annotations

from aiogram.types import BotCommand
from aiogram.utils.i18n import gettext as _


def resident_commands() -> list[BotCommand]:
    """In the current i18n locale."""
    return [
        BotCommand(command="menu", description=_("Main menu")),
        BotCommand(command="book", description=_("Book an appointment")),
        BotCommand(command="appointments", description=_("My appointments")),
        BotCommand(command="plan", description=_("My care plan")),
        BotCommand(command="profile", description=_("My profile")),
        BotCommand(command="family", description=_("My family")),
        BotCommand(command="tips", description=_("Health tips")),
        BotCommand(command="points", description=_("My health points")),
        BotCommand(command="reading", description=_("Record blood pressure or glucose")),
        BotCommand(command="readings", description=_("My home readings")),
        BotCommand(command="ask", description=_("Ask my doctor")),
        BotCommand(command="language", description=_("Language")),
        BotCommand(command="privacy", description=_("Privacy and consent")),
        BotCommand(command="mydata", description=_("Get a copy of my data")),
        BotCommand(command="forget", description=_("Delete all my data")),
        BotCommand(command="help", description=_("Help")),
        BotCommand(command="cancel", description=_("Cancel the current step")),
        BotCommand(command="start", description=_("Sign up or start again")),
    ]


def doctor_commands() -> list[BotCommand]:
    """The doctors' menu: their own work first (the desk's five: today, check-in, questions,
    broadcast, residents), then the rest of it, then only the resident commands a doctor uses
    (a doctor who is also a resident still types the others)."""
    return [
        BotCommand(command="today", description=_("Today's appointments")),
        BotCommand(command="tomorrow", description=_("Tomorrow's appointments")),
        BotCommand(command="checkin", description=_("Check a resident in by code")),
        BotCommand(command="questions", description=_("Unanswered questions")),
        BotCommand(command="broadcast", description=_("Write a broadcast")),
        BotCommand(command="residents", description=_("My residents")),
        BotCommand(command="broadcasts", description=_("My broadcasts")),
        BotCommand(command="redeem", description=_("Redeem a points voucher")),
        BotCommand(command="digest", description=_("Overdue-items digest")),
        BotCommand(command="alerts", description=_("When urgent-reading alerts reach me")),
        BotCommand(command="console", description=_("Sign in to the centre console (web)")),
        *_shared_with_residents(),
    ]


def _shared_with_residents() -> list[BotCommand]:
    """The resident commands in a doctor's menu: the desk, help, and leaving a step."""
    return [
        BotCommand(command="menu", description=_("Doctor's desk")),
        BotCommand(command="help", description=_("Help")),
        BotCommand(command="cancel", description=_("Cancel the current step")),
    ]
