"""`BookingRepository`: every booking query, by idea in the modules beside this one."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from jiayi.storage.booking.appointments import BookingAppointments
from jiayi.storage.booking.catalogue import BookingCatalogue
from jiayi.storage.booking.slots import BookingSlots
from jiayi.storage.booking.waitlist import BookingWaitlist


class BookingRepository(BookingCatalogue, BookingSlots, BookingAppointments, BookingWaitlist):
    """Never commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session
