"""Health points: residents earn them for healthy behaviour and redeem them for services.

The ledger is append-only and the cached balance is moved in the same transaction as each
entry. Every entry has an idempotency key, so one event earns once however often it is
reported (attendance marked twice, a retried job, two workers). Earned points form lots that
expire at the end of the following calendar year (centre time); spending takes from the
soonest-expiring lots first and records which lots it took, so a refund gives back exactly
those points.

Concurrency: every write for a resident first locks their account row (PostgreSQL; SQLite
writers are serialised by BEGIN IMMEDIATE). The balance, stock and voucher status then move
only by single conditional UPDATEs with CHECK constraints behind them: the balance never goes
below zero, stock never below zero, and a voucher is redeemed, cancelled or expired once.

Points belong to the resident account: a family member's attended check-up earns for the
resident who manages them.

Modules: `ledger` (award, reverse, spend, refund, expiry; hooks for attendance and
assessments), `wallet` (a resident's balance, history, rewards and vouchers), `desk` (the
doctor redeems vouchers and marks lectures), `quiz` (tip quizzes), `catalogue` (operators'
reward files), `sweep` (the scheduler's expiry and reminders).
"""

from __future__ import annotations

from jiayi.content.points import Rule
from jiayi.services.points.catalogue import CatalogueReport, load_catalogue, load_catalogue_file
from jiayi.services.points.desk import (
    LectureCheck,
    LectureResult,
    check_lecture,
    mark_lecture,
    redeem_voucher,
)
from jiayi.services.points.ledger import (
    EXPIRING_SOON,
    HISTORY_LENGTH,
    KIND_EXPIRY_REMINDER,
    VOUCHER_ALPHABET,
    VOUCHER_CODE_ATTEMPTS,
    VOUCHER_CODE_LENGTH,
    attendance_stake,
    award,
    expires_at,
    on_assessment_completed,
    on_attendance,
    reverse,
)
from jiayi.services.points.quiz import QuizResult, answer_quiz, quiz_for
from jiayi.services.points.sweep import HousekeepingReport, housekeeping
from jiayi.services.points.wallet import (
    PointsRecords,
    PointsSummary,
    account_for_resident,
    cancel_voucher,
    catalogue,
    get_reward,
    get_voucher,
    my_points,
    my_vouchers,
    normalise_code,
    records_for_resident,
    redeem,
)
from jiayi.storage.records import (
    EntryKind,
    PointsEntryRecord,
    RewardRecord,
    VoucherRecord,
    VoucherStatus,
)

__all__ = [
    "EXPIRING_SOON",
    "HISTORY_LENGTH",
    "KIND_EXPIRY_REMINDER",
    "VOUCHER_ALPHABET",
    "VOUCHER_CODE_ATTEMPTS",
    "VOUCHER_CODE_LENGTH",
    "CatalogueReport",
    "EntryKind",
    "HousekeepingReport",
    "LectureCheck",
    "LectureResult",
    "PointsEntryRecord",
    "PointsRecords",
    "PointsSummary",
    "QuizResult",
    "RewardRecord",
    "Rule",
    "VoucherRecord",
    "VoucherStatus",
    "account_for_resident",
    "answer_quiz",
    "attendance_stake",
    "award",
    "cancel_voucher",
    "catalogue",
    "check_lecture",
    "expires_at",
    "get_reward",
    "get_voucher",
    "housekeeping",
    "load_catalogue",
    "load_catalogue_file",
    "mark_lecture",
    "my_points",
    "my_vouchers",
    "normalise_code",
    "on_assessment_completed",
    "on_attendance",
    "quiz_for",
    "records_for_resident",
    "redeem",
    "redeem_voucher",
    "reverse",
]
