"""How long a doctor's recorded clinical fact (attendance, a care item done) can be taken back
with 撤销 / Undo: long enough to notice a wrong tap, short enough that nobody relies on it."""

from __future__ import annotations

from datetime import timedelta

UNDO_WINDOW = timedelta(minutes=5)
UNDO_MINUTES = int(UNDO_WINDOW.total_seconds() // 60)
