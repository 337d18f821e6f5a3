"""A centre's bookable services and weekly schedules, as the console edits them — and as the
YAML loader (services/booking_setup.py) sets them up in bulk: both validate with the same
models and write through the same functions (fields.py). The console's editing is
editing.py; closing a day or a slot and a day's slots, days.py.

Closing a day or a slot is booking.close_day / booking.close_slot, the functions the CLI
uses: the same cancellations, notices and rebooking offers whichever door it came through.

Editing a weekly schedule replaces it: the old blocks stop cutting slots, slots of the old
schedule nobody booked or waited for are withdrawn, and the new schedule's slots are cut at
once (so residents see them in /book straight away). Slots with bookings stay as they are:
cancelling them is a decision the operator takes explicitly by closing them (with notices).
"""

from jiayi.services.schedules.days import DayPlan, SlotBookings, close_day, close_slot, day_slots
from jiayi.services.schedules.editing import (
    ScheduleChange,
    ServiceOverview,
    actor_centre,
    blocks_of,
    centre_of,
    create_service,
    get_service,
    list_services,
    replace_schedule,
    require_operator,
    update_service,
)
from jiayi.services.schedules.fields import (
    WEEKDAY_CODES,
    WEEKDAYS,
    ScheduleBlock,
    ServiceFields,
    add_blocks_in,
    add_service_in,
    parse_blocks,
    parse_service,
    validation_detail,
)
from jiayi.storage.records import ServiceKind

__all__ = [
    "WEEKDAYS",
    "WEEKDAY_CODES",
    "DayPlan",
    "ScheduleBlock",
    "ScheduleChange",
    "ServiceFields",
    "ServiceKind",
    "ServiceOverview",
    "SlotBookings",
    "actor_centre",
    "add_blocks_in",
    "add_service_in",
    "blocks_of",
    "centre_of",
    "close_day",
    "close_slot",
    "create_service",
    "day_slots",
    "get_service",
    "list_services",
    "parse_blocks",
    "parse_service",
    "replace_schedule",
    "require_operator",
    "update_service",
    "validation_detail",
]
