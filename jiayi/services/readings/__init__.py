"""Home readings: blood pressure and glucose a resident sends in the chat.

A reading is checked against the thresholds in content/readings/thresholds.yaml (data with
its sources): implausible values are refused ("please measure again") and never stored;
stored ones are classified as in range, above target or urgent. An urgent reading alerts the
person's family doctor through the outbox (a doctor-addressed push, once per person and local
day). The bot's advice stays general — keep it up, tell your doctor, or seek care now — and
never a dose. A reading never closes a follow-up by itself: the doctor decides (careplans).

Modules: `values` (parsing and classifying, pure), `recording` (storing a reading, the
doctor's alert, points for measuring regularly, retention), `summary` (the last 30 days),
`doctors` (the doctor's view and alert hours), `reminders` (reminders to measure),
`notices` (rendering the alert and the reminder).
"""

from __future__ import annotations

from jiayi.content.readings import GlucoseContext
from jiayi.services.readings.doctors import (
    AUDIT_READINGS,
    FOLLOW_UP_RULES,
    DoctorReadings,
    alerts_all_hours,
    doctor_view,
    set_alerts_all_hours,
)
from jiayi.services.readings.notices import register
from jiayi.services.readings.recording import (
    Recorded,
    bp_target_text,
    prune,
    record_reading,
)
from jiayi.services.readings.reminders import (
    offers_reminder,
    plan_reminders,
    reminder_due_on,
    reminder_of,
    set_reminder,
)
from jiayi.services.readings.summary import Summary, summarise, summary
from jiayi.services.readings.values import (
    DEFAULT_RETENTION_MONTHS,
    KIND_READING_ALERT,
    KIND_READING_REMINDER,
    MORNING_ENDS,
    READINGS_FOR_POINTS,
    REMINDER_DAILY_DAYS,
    REMINDER_HOURS,
    SUMMARY_DAYS,
    BloodPressure,
    Glucose,
    Level,
    ReadingKind,
    Value,
    classify,
    parse_blood_pressure,
    parse_glucose,
)
from jiayi.storage.readings import ReminderRecord

__all__ = [
    "AUDIT_READINGS",
    "DEFAULT_RETENTION_MONTHS",
    "FOLLOW_UP_RULES",
    "KIND_READING_ALERT",
    "KIND_READING_REMINDER",
    "MORNING_ENDS",
    "READINGS_FOR_POINTS",
    "REMINDER_DAILY_DAYS",
    "REMINDER_HOURS",
    "SUMMARY_DAYS",
    "BloodPressure",
    "DoctorReadings",
    "Glucose",
    "GlucoseContext",
    "Level",
    "ReadingKind",
    "Recorded",
    "ReminderRecord",
    "Summary",
    "Value",
    "alerts_all_hours",
    "bp_target_text",
    "classify",
    "doctor_view",
    "offers_reminder",
    "parse_blood_pressure",
    "parse_glucose",
    "plan_reminders",
    "prune",
    "record_reading",
    "register",
    "reminder_due_on",
    "reminder_of",
    "set_alerts_all_hours",
    "set_reminder",
    "summarise",
    "summary",
]
