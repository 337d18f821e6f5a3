"""The centre's roster of contracted residents, imported from the spreadsheets a 家庭医生签约
system exports (CSV in UTF-8 or GBK, or XLSX), and matched to residents who sign up in the bot.

An import is two steps: `dry_run` reads the file and says, row by row, what is wrong (bad
phone, unknown doctor, duplicate row, missing name, bad date…) and what would be created,
updated or left alone; `apply` does exactly that in one transaction, given the preview's token
(so what is applied is what was previewed). Nobody on the roster is messaged: an entry waits
until someone signs up and shares that phone number through Telegram's contact button; they
see the record and become linked to it only after they confirm (`offer_for_contact`,
`confirm_match`).

Scope: an operator imports for a centre; a doctor only their own residents (a row naming
another doctor is an error). An import replaces the scope's unmatched entries: those the file
no longer lists are deleted. Unmatched entries are also deleted by retention after their
contract ends (`prune_roster`).
"""

from jiayi.services.roster.cells import Field, normalise_phone, read_table
from jiayi.services.roster.importing import (
    RosterPreview,
    RowAction,
    RowError,
    RowResult,
    apply,
    dry_run,
)
from jiayi.services.roster.matching import (
    RETENTION_DAYS,
    RosterMatch,
    confirm_match,
    offer_for_contact,
    prune_roster,
)

__all__ = [
    "RETENTION_DAYS",
    "Field",
    "RosterMatch",
    "RosterPreview",
    "RowAction",
    "RowError",
    "RowResult",
    "apply",
    "confirm_match",
    "dry_run",
    "normalise_phone",
    "offer_for_contact",
    "prune_roster",
    "read_table",
]
