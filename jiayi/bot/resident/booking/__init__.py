"""Booking: service → for whom → day → time → confirm; my appointments; reminders' buttons.

`flow` books, `appointments` shows and changes what is booked, `common` holds the card.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command

from jiayi.bot.callbacks import (
    ApptCD,
    BookConfirmCD,
    BookDayCD,
    BookPersonCD,
    BookServiceCD,
    BookSlotCD,
    MenuCD,
    MenuItem,
    OfferAcceptCD,
    WaitlistJoinCD,
)
from jiayi.bot.resident.booking.appointments import (
    cb_appointment,
    cb_appointments,
    cmd_appointments,
)
from jiayi.bot.resident.booking.flow import (
    cb_book,
    cb_confirm,
    cb_day,
    cb_offer_accept,
    cb_person,
    cb_service,
    cb_slot,
    cb_waitlist,
    cmd_book,
)

__all__ = ["build_router", "cmd_appointments", "cmd_book"]


def build_router() -> Router:
    """A fresh router each call: a router can belong to one dispatcher only."""
    router = Router(name=__name__)
    router.message.register(cmd_book, Command("book"))
    router.message.register(cmd_appointments, Command("appointments"))
    router.callback_query.register(cb_book, MenuCD.filter(F.item == MenuItem.BOOK))
    router.callback_query.register(cb_appointments, MenuCD.filter(F.item == MenuItem.APPOINTMENTS))
    router.callback_query.register(cb_service, BookServiceCD.filter())
    router.callback_query.register(cb_person, BookPersonCD.filter())
    router.callback_query.register(cb_day, BookDayCD.filter())
    router.callback_query.register(cb_slot, BookSlotCD.filter())
    router.callback_query.register(cb_confirm, BookConfirmCD.filter())
    router.callback_query.register(cb_waitlist, WaitlistJoinCD.filter())
    router.callback_query.register(cb_offer_accept, OfferAcceptCD.filter())
    router.callback_query.register(cb_appointment, ApptCD.filter())
    return router
