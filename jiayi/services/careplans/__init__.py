"""Care plans: what each resident and family member is due (follow-ups, check-ups, vaccines,
refills, the contract confirmation), reminders for it, and the doctors' digest.

Items are computed, not stored: the rules (content/careplans) applied to a person's profile
and history (attended appointments, doses a doctor recorded, doses the resident reported as
done elsewhere). Only the history is stored, so a rule edited today changes every plan at once.

Reminders are outbox rows keyed `care:<person>:<rule>:<due>:<step>`: one per item per window
step ("open" when the window opens, "late" once the grace days after the due date have
passed), so re-planning sends nothing twice, and completing an item withdraws what is pending
by prefix. Items of a household reaching a step on the same day share one row (a household
card), keyed by its first item and listing every item's key in its payload. Doctors' digests
are keyed per doctor and day; nudges per resident and day.

One module per idea; callers use the names re-exported here (`careplans.plan(...)`):
- `model`: people, items, states and the constants of care plans;
- `rules`: the rules applied to one person (pure: no storage, no clock);
- `households`: a household read from storage, and the plan entries people see;
- `reminders`: care reminders, household cards, "remind me later";
- `completion`: what completes an item (attendance, the doctor, "done elsewhere"), and the
  hooks booking calls;
- `doctors`: the contracted doctor's view and records; `digests`: digests and nudges.
"""

from jiayi.services.careplans.completion import done_elsewhere, on_attendance, on_booked
from jiayi.services.careplans.digests import (
    DigestFrequency,
    OverdueResident,
    digest_frequency,
    nudge,
    overdue_resident_ids,
    overdue_residents,
    plan_digests,
    set_digest_frequency,
)
from jiayi.services.careplans.doctors import (
    PRESCRIPTION_WEEKS,
    DoctorView,
    doctor_view,
    record_done,
    record_prescription,
    undo_done,
)
from jiayi.services.careplans.households import Household, PlanEntry, household_entries, plan
from jiayi.services.careplans.model import (
    ADULT_MONTHS,
    ASSESSMENT_RULE,
    KIND_CARE_DIGEST,
    KIND_CARE_NUDGE,
    KIND_CARE_REMINDER,
    PREGNANCY_DAYS,
    CareItem,
    ItemState,
    Outcome,
    Person,
    Pregnancy,
    Source,
    VaccineAnswer,
    reminder_prefix,
)
from jiayi.services.careplans.reminders import (
    SNOOZE,
    plan_reminders,
    reminder_card,
    snooze,
)
from jiayi.services.careplans.rules import (
    add_months,
    awaiting_record,
    items_for,
    local_today,
    next_item,
)

__all__ = [
    "ADULT_MONTHS",
    "ASSESSMENT_RULE",
    "KIND_CARE_DIGEST",
    "KIND_CARE_NUDGE",
    "KIND_CARE_REMINDER",
    "PREGNANCY_DAYS",
    "PRESCRIPTION_WEEKS",
    "SNOOZE",
    "CareItem",
    "DigestFrequency",
    "DoctorView",
    "Household",
    "ItemState",
    "Outcome",
    "OverdueResident",
    "Person",
    "PlanEntry",
    "Pregnancy",
    "Source",
    "VaccineAnswer",
    "add_months",
    "awaiting_record",
    "digest_frequency",
    "doctor_view",
    "done_elsewhere",
    "household_entries",
    "items_for",
    "local_today",
    "next_item",
    "nudge",
    "on_attendance",
    "on_booked",
    "overdue_resident_ids",
    "overdue_residents",
    "plan",
    "plan_digests",
    "plan_reminders",
    "record_done",
    "record_prescription",
    "reminder_card",
    "reminder_prefix",
    "set_digest_frequency",
    "snooze",
    "undo_done",
]
