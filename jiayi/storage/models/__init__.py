"""ORM tables, one module per aggregate. Every model is re-exported here, so that
`from jiayi.storage.models import X` works and `Base.metadata` (Alembic) sees every table.
A new table goes in its aggregate's module, with a migration, and in this list."""

from jiayi.storage.models.base import NAMING_CONVENTION, Base, BigId
from jiayi.storage.models.booking import (
    Appointment,
    AppointmentEvent,
    BookableService,
    ClosedDay,
    Referral,
    Schedule,
    Slot,
    WaitlistEntry,
)
from jiayi.storage.models.careplans import (
    CarePregnancy,
    CarePrescription,
    CareRecord,
    CareVaccineAnswer,
    DoctorDigestPref,
)
from jiayi.storage.models.centres import Centre, Doctor, DoctorAccountEvent, DoctorInvite
from jiayi.storage.models.console import (
    AuditEntry,
    Broadcast,
    ConsoleLogin,
    ConsoleSession,
    Question,
)
from jiayi.storage.models.outbox import OutboxMessage, PlanRun
from jiayi.storage.models.points import (
    PointsAccount,
    PointsAllocation,
    PointsEntry,
    PointsLot,
    PointsReward,
    PointsVoucher,
)
from jiayi.storage.models.privacy import ConsentRefusal, StatisticCount
from jiayi.storage.models.readings import HomeReading, ReadingReminder
from jiayi.storage.models.residents import (
    DEFAULT_QUIET_END,
    DEFAULT_QUIET_START,
    Contract,
    FamilyMember,
    FamilyMemberCondition,
    FamilyTakeover,
    Resident,
    ResidentCondition,
    ResidentTopicOptOut,
)
from jiayi.storage.models.roster import RosterEntry
from jiayi.storage.models.tips import TipFeedback, TipSignoff

__all__ = [
    "DEFAULT_QUIET_END",
    "DEFAULT_QUIET_START",
    "NAMING_CONVENTION",
    "Appointment",
    "AppointmentEvent",
    "AuditEntry",
    "Base",
    "BigId",
    "BookableService",
    "Broadcast",
    "CarePregnancy",
    "CarePrescription",
    "CareRecord",
    "CareVaccineAnswer",
    "Centre",
    "ClosedDay",
    "ConsentRefusal",
    "ConsoleLogin",
    "ConsoleSession",
    "Contract",
    "Doctor",
    "DoctorAccountEvent",
    "DoctorDigestPref",
    "DoctorInvite",
    "FamilyMember",
    "FamilyMemberCondition",
    "FamilyTakeover",
    "HomeReading",
    "OutboxMessage",
    "PlanRun",
    "PointsAccount",
    "PointsAllocation",
    "PointsEntry",
    "PointsLot",
    "PointsReward",
    "PointsVoucher",
    "Question",
    "ReadingReminder",
    "Referral",
    "Resident",
    "ResidentCondition",
    "ResidentTopicOptOut",
    "RosterEntry",
    "Schedule",
    "Slot",
    "StatisticCount",
    "TipFeedback",
    "TipSignoff",
    "WaitlistEntry",
]
