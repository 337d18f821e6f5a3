"""Appointment booking: services, slots cut from weekly schedules, appointments, a waitlist.

Every resident-facing function acts for the Telegram user who sent the update: the resident is
looked up by that id, and a family member can only be booked, seen or cancelled by the resident
who manages them. Seats are counted by the database (one conditional UPDATE per seat), so two
residents pressing "book" at once can never both get the last place.

Reminders, seat offers and closure notices are outbox rows with self-contained JSON payloads;
their dedupe keys (`appt:<id>:…`, `wait:<id>:…`) let a cancellation withdraw them.

One module per idea; callers use the names re-exported here (`booking.book(...)`):
- `calendar`: worked days (holidays, 调休), local days, slots cut from a schedule;
- `eligibility`: a service's age, sex and referral rules, the days a person may book;
- `notices`: the outbox rows booking queues (reminders, seat offers, closure notices);
- `seats`: seats, appointments, held seats for the waiting list;
- `catalogue`: what a resident sees before booking; `appointments`: booking, cancelling,
  moving, the waiting list;
- `jobs`: offer expiry, slot materialisation; `closures`: closed days and slots;
- `desk`: the doctors' desk (day list, attendance, check-in, referrals);
- `erasure`: booking's part in erasing an account.
"""

from jiayi.services.booking.appointments import (
    accept_offer,
    book,
    cancel,
    get_appointment,
    join_waitlist,
    my_appointments,
    reschedule,
)
from jiayi.services.booking.calendar import day_kind
from jiayi.services.booking.catalogue import (
    ServicePeople,
    SlotSummary,
    available_days,
    centre_contact,
    existing_booking,
    get_service,
    get_slot,
    list_services,
    people,
    people_for_service,
    slot_summary,
    slots_on,
)
from jiayi.services.booking.closures import close_day, close_slot
from jiayi.services.booking.desk import (
    _mark,  # tests/integration/test_privacy.py marks an appointment inside its own transaction
    add_referral,
    appointment_at_centre,
    audit_desk,
    check_in,
    check_in_marking,
    desk_doctor,
    doctor_day,
    mark_attendance,
    mark_moving,
)
from jiayi.services.booking.erasure import release_for_erasure
from jiayi.services.booking.jobs import expire_offers, materialize_slots
from jiayi.services.booking.notices import REMINDER_LEADS
from jiayi.services.booking.seats import (
    CHECK_IN_ALPHABET,
    CHECK_IN_CODE_LENGTH,
    OFFER_HOLD,
    find_appointment,
    new_check_in_code,
)
from jiayi.storage.records import (
    AppointmentRecord,
    AppointmentStatus,
    BookableServiceRecord,
    DayAvailability,
    PersonChoice,
    ServiceKind,
    SlotRecord,
    WaitlistEntry,
    WaitlistStatus,
)

__all__ = [
    "CHECK_IN_ALPHABET",
    "CHECK_IN_CODE_LENGTH",
    "OFFER_HOLD",
    "REMINDER_LEADS",
    "AppointmentRecord",
    "AppointmentStatus",
    "BookableServiceRecord",
    "DayAvailability",
    "PersonChoice",
    "ServiceKind",
    "ServicePeople",
    "SlotRecord",
    "SlotSummary",
    "WaitlistEntry",
    "WaitlistStatus",
    "_mark",
    "accept_offer",
    "add_referral",
    "appointment_at_centre",
    "audit_desk",
    "available_days",
    "book",
    "cancel",
    "centre_contact",
    "check_in",
    "check_in_marking",
    "close_day",
    "close_slot",
    "day_kind",
    "desk_doctor",
    "doctor_day",
    "existing_booking",
    "expire_offers",
    "find_appointment",
    "get_appointment",
    "get_service",
    "get_slot",
    "join_waitlist",
    "list_services",
    "mark_attendance",
    "mark_moving",
    "materialize_slots",
    "my_appointments",
    "new_check_in_code",
    "people",
    "people_for_service",
    "release_for_erasure",
    "reschedule",
    "slot_summary",
    "slots_on",
]
