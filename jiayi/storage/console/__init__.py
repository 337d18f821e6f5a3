"""The doctor console's tables: audit log, broadcasts, questions; and the resident queries
doctors filter by. Never commits."""

from jiayi.storage.console.accounts import OrphanedPractice
from jiayi.storage.console.broadcasts import BROADCAST_KIND, broadcast_dedupe_prefix
from jiayi.storage.console.repository import ConsoleRepository

__all__ = [
    "BROADCAST_KIND",
    "ConsoleRepository",
    "OrphanedPractice",
    "broadcast_dedupe_prefix",
]
