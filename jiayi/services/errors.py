"""Domain errors. Each carries a stable `code` the bot maps to a localised, short answer.

The codes are an `ErrorCode` (a StrEnum, so `error.code == "slot_full"` and templates keep
working). Their values are a contract: the bot, the console and the CLI look texts up by them,
so a value never changes (tests/unit/test_error_codes.py checks every code raised is listed).
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    ADMIN_NOT_A_DOCTOR = "admin_not_a_doctor"
    ALREADY_BOOKED = "already_booked"
    ALREADY_OTHER_DOCTOR = "already_other_doctor"
    ALREADY_WAITING = "already_waiting"
    APPOINTMENT_CANCELLED = "appointment_cancelled"
    APPOINTMENT_NOT_FOUND = "appointment_not_found"
    AUDIENCE_EMPTY = "audience_empty"
    AUDIENCE_UNKNOWN = "audience_unknown"
    BEYOND_HORIZON = "beyond_horizon"
    BIRTH_DATE_FORMAT = "birth_date_format"
    BIRTH_DATE_FUTURE = "birth_date_future"
    BIRTH_DATE_TOO_OLD = "birth_date_too_old"
    BIRTH_YEAR_FORMAT = "birth_year_format"
    BIRTH_YEAR_RANGE = "birth_year_range"
    BOOKING_FILE_INVALID = "booking_file_invalid"
    BOOKING_FILE_UNREADABLE = "booking_file_unreadable"
    BROADCAST_NOT_CANCELLABLE = "broadcast_not_cancellable"
    BROADCAST_NOT_FOUND = "broadcast_not_found"
    BROADCAST_NOT_YOURS = "broadcast_not_yours"
    CANCEL_TOO_LATE = "cancel_too_late"
    CARE_ITEM_GONE = "care_item_gone"
    CENTRE_NOT_FOUND = "centre_not_found"
    CHECK_IN_CODE_UNKNOWN = "check_in_code_unknown"
    CLINICIAN_MISSING = "clinician_missing"
    CONSENT_NEEDED = "consent_needed"
    CONSOLE_LINK_INVALID = "console_link_invalid"
    CONSOLE_NOT_ALLOWED = "console_not_allowed"
    CONTACT_NOT_YOURS = "contact_not_yours"
    DOCTOR_INACTIVE = "doctor_inactive"
    DOCTOR_MOVE_INVALID = "doctor_move_invalid"
    DOCTOR_NAME_EMPTY = "doctor_name_empty"
    DOCTOR_NOT_FOUND = "doctor_not_found"
    DUE_DATE_FORMAT = "due_date_format"
    DUE_DATE_RANGE = "due_date_range"
    ERROR = "error"
    FAMILY_FULL = "family_full"
    INVALID_INPUT = "invalid_input"
    INVITE_EXPIRED = "invite_expired"
    INVITE_INVALID = "invite_invalid"
    INVITE_USED = "invite_used"
    MEMBER_NOT_FOUND = "member_not_found"
    MEMBER_NOT_YOURS = "member_not_yours"
    MESSAGE_EMPTY = "message_empty"
    MESSAGE_TOO_LONG = "message_too_long"
    NAME_EMPTY = "name_empty"
    NAME_TOO_LONG = "name_too_long"
    NO_DOCTOR = "no_doctor"
    NOT_A_DOCTOR = "not_a_doctor"
    NOT_ALLOWED = "not_allowed"
    NOT_ELIGIBLE_AGE = "not_eligible_age"
    NOT_ELIGIBLE_SEX = "not_eligible_sex"
    NOT_FOUND = "not_found"
    NOT_REGISTERED = "not_registered"
    NOT_YOUR_CENTRE = "not_your_centre"
    NOT_YOUR_RESIDENT = "not_your_resident"
    OFFER_EXPIRED = "offer_expired"
    OPERATORS_ONLY = "operators_only"
    OTHER_CENTRE = "other_centre"
    OWN_DOCTOR = "own_doctor"
    PERIOD_INVALID = "period_invalid"
    POINTS_FILE_INVALID = "points_file_invalid"
    POINTS_NO_CENTRE = "points_no_centre"
    POINTS_NOT_ENOUGH = "points_not_enough"
    PREGNANCY_DATE = "pregnancy_date"
    PREGNANT_MALE = "pregnant_male"
    PRESCRIPTION_WEEKS = "prescription_weeks"
    QUESTION_ANSWERED = "question_answered"
    QUESTION_NOT_FOUND = "question_not_found"
    QUESTION_NOT_YOURS = "question_not_yours"
    QUIET_HOURS = "quiet_hours"
    QUIZ_OPTION = "quiz_option"
    READING_FORMAT = "reading_format"
    READING_IMPLAUSIBLE = "reading_implausible"
    READING_IN_FUTURE = "reading_in_future"
    REBIND_NAME_MISMATCH = "rebind_name_mismatch"
    REFERRAL_REQUIRED = "referral_required"
    REMINDER_HOURS = "reminder_hours"
    RESIDENT_NOT_FOUND = "resident_not_found"
    RESIDENT_NOT_YOURS = "resident_not_yours"
    RESIDENT_WITHDREW_CONSENT = "resident_withdrew_consent"
    RETENTION_MONTHS = "retention_months"
    REWARD_INVALID = "reward_invalid"
    REWARD_NOT_FOUND = "reward_not_found"
    REWARD_OUT_OF_STOCK = "reward_out_of_stock"
    ROSTER_CHANGED = "roster_changed"
    ROSTER_CHOOSE_CENTRE = "roster_choose_centre"
    ROSTER_EMPTY = "roster_empty"
    ROSTER_ENTRY_GONE = "roster_entry_gone"
    ROSTER_FILE_TOO_BIG = "roster_file_too_big"
    ROSTER_HAS_ERRORS = "roster_has_errors"
    ROSTER_TOO_MANY_ROWS = "roster_too_many_rows"
    ROSTER_UNREADABLE = "roster_unreadable"
    SCHEDULE_FORMAT = "schedule_format"
    SCHEDULE_INVALID = "schedule_invalid"
    SCHEDULE_PAST = "schedule_past"
    SCHEDULE_TOO_FAR = "schedule_too_far"
    SECTIONS_MISSING = "sections_missing"
    SEGMENT_UNKNOWN = "segment_unknown"
    SERVICE_CODE_FIXED = "service_code_fixed"
    SERVICE_CODE_TAKEN = "service_code_taken"
    SERVICE_INVALID = "service_invalid"
    SERVICE_NOT_FOUND = "service_not_found"
    SLOT_CLOSED = "slot_closed"
    SLOT_FULL = "slot_full"
    SLOT_NOT_FOUND = "slot_not_found"
    SPREAD_INVALID = "spread_invalid"
    TAKEOVER_ALREADY_RESIDENT = "takeover_already_resident"
    TAKEOVER_CHILD = "takeover_child"
    TAKEOVER_EXPIRED = "takeover_expired"
    TAKEOVER_INVALID = "takeover_invalid"
    TAKEOVER_USED = "takeover_used"
    TIP_NOT_FOUND = "tip_not_found"
    TOO_LATE = "too_late"
    UNDO_EXPIRED = "undo_expired"
    UNKNOWN_LOCALE = "unknown_locale"
    VOUCHER_ALREADY_REDEEMED = "voucher_already_redeemed"
    VOUCHER_CANCELLED = "voucher_cancelled"
    VOUCHER_EXPIRED = "voucher_expired"
    VOUCHER_NOT_FOUND = "voucher_not_found"
    VOUCHER_OTHER_CENTRE = "voucher_other_centre"
    VOUCHER_UNKNOWN = "voucher_unknown"


class DomainError(Exception):
    code: ErrorCode = ErrorCode.ERROR

    def __init__(self, code: ErrorCode | str | None = None, **params: object) -> None:
        # A plain string is accepted (callers spell codes as literals) but must be a known
        # code: ErrorCode(...) raises ValueError for a typo instead of answering generically.
        self.code = ErrorCode(code) if code is not None else type(self).code
        self.params = params
        super().__init__(self.code.value)


class NotRegistered(DomainError):
    """The user has not finished consent, so there is nothing of theirs to show or change."""

    code = ErrorCode.NOT_REGISTERED


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND


class NotAllowed(DomainError):
    """The actor may not see or change this: someone else's family member, a doctor-only act."""

    code = ErrorCode.NOT_ALLOWED


class InvalidInput(DomainError):
    code = ErrorCode.INVALID_INPUT
