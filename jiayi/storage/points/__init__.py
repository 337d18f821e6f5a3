"""Health-points queries: the ledger, lots, the cached balance, rewards and vouchers. Never
commits.

The ledger is append-only. Balances, lot remainders, stock and voucher states move only by
single conditional UPDATEs (`balance >= :cost`, `stock > 0`, `status = 'active'`), and CHECK
constraints are the last line of defence. Reads select columns, not ORM entities, so a row
updated earlier in the same transaction is never served stale from the identity map.
"""

from jiayi.storage.points.repository import PointsRepository

__all__ = ["PointsRepository"]
