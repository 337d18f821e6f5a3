"""The outbox: set-based planning, lease-based claiming, result recording. Never commits."""

from jiayi.storage.outbox.planning import LIVE
from jiayi.storage.outbox.preferences import PushRepository
from jiayi.storage.outbox.repository import CardEdit, OutboxRepository

__all__ = ["LIVE", "CardEdit", "OutboxRepository", "PushRepository"]
