"""Booking queries: services, schedules, slots, appointments, waitlist, referrals. Never commits.

Seats move only through single conditional UPDATEs (`booked < capacity`, `booked > 0`), never by
reading the count and writing it back; "one active booking per service per person" is a partial
unique index. Reads select columns rather than ORM entities, so a row updated earlier in the same
transaction is never served stale from the identity map.
"""

from jiayi.storage.booking.repository import BookingRepository

__all__ = ["BookingRepository"]
