"""Residents' data rights: versioned consent, export (/mydata), erasure (/forget), retention,
and a family member taking over their own account.

Two small registries keep this open to features added later (`registry`):

- export sections (`export_section`, `table_section`): each names the tables it reports and an
  async function `(uow, subject) -> JSON-able data`;
- erasure steps (`erasure_step`): run inside the erasure transaction before the generic delete,
  to keep anonymised counts or give back shared resources (seats).

The erasure itself is generic (storage/privacy.py): every row referencing the resident or their
family members is deleted (or, for ON DELETE SET NULL columns, unlinked). A unit test walks the
metadata and names any table that is neither in an export section nor excluded with a reason.

Modules: `registry`, `consent`, `export` (/mydata and its sections), `erasure` (/forget and its
steps), `retention`, `statistics`, `takeover`.
"""

from __future__ import annotations

from jiayi.services.privacy.consent import (
    PrivacyOverview,
    give_consent,
    privacy_overview,
    withdraw_consent,
)
from jiayi.services.privacy.erasure import ErasureReport, erase_my_data, leave_digests
from jiayi.services.privacy.export import DataExport, export_my_data
from jiayi.services.privacy.registry import (
    ACCOUNTS_ERASED,
    APPOINTMENTS_ATTENDED,
    DEFAULT_RETENTION_MONTHS,
    EXCLUDED_FROM_EXPORT,
    PUSHES_DELIVERED,
    PUSHES_UNDELIVERED,
    TAKEOVER_PREFIX,
    TAKEOVER_TTL,
    TIP_HELPFUL,
    TIP_UNHELPFUL,
    Collector,
    ConsentStatus,
    DataSubject,
    EraseStep,
    ErasureStep,
    ExportSection,
    consent_status,
    erasure_step,
    erasure_steps,
    export_section,
    export_sections,
    table_section,
)
from jiayi.services.privacy.retention import months_before, prune_outbox
from jiayi.services.privacy.statistics import add_feedback, add_grouped, all_statistics, statistics
from jiayi.services.privacy.takeover import accept_takeover, create_takeover, takeover_member

__all__ = [
    "ACCOUNTS_ERASED",
    "APPOINTMENTS_ATTENDED",
    "DEFAULT_RETENTION_MONTHS",
    "EXCLUDED_FROM_EXPORT",
    "PUSHES_DELIVERED",
    "PUSHES_UNDELIVERED",
    "TAKEOVER_PREFIX",
    "TAKEOVER_TTL",
    "TIP_HELPFUL",
    "TIP_UNHELPFUL",
    "Collector",
    "ConsentStatus",
    "DataExport",
    "DataSubject",
    "EraseStep",
    "ErasureReport",
    "ErasureStep",
    "ExportSection",
    "PrivacyOverview",
    "accept_takeover",
    "add_feedback",
    "add_grouped",
    "all_statistics",
    "consent_status",
    "create_takeover",
    "erase_my_data",
    "erasure_step",
    "erasure_steps",
    "export_my_data",
    "export_section",
    "export_sections",
    "give_consent",
    "leave_digests",
    "months_before",
    "privacy_overview",
    "prune_outbox",
    "statistics",
    "table_section",
    "takeover_member",
    "withdraw_consent",
]
