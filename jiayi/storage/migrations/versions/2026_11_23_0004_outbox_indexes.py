"""outbox indexes for per-resident catch-up lookups

Revision ID: 0004_outbox_indexes
Revises: 0003_booking
Create Date: 2026-11-23 15:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_outbox_indexes"
down_revision: str | None = "0003_booking"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_resident_kind_created")
        batch_op.create_index(
            "ix_outbox_resident_kind_not_before", ["resident_id", "kind", "not_before"]
        )
        batch_op.create_index("ix_outbox_resident_tip", ["resident_id", "tip_id"])


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_resident_tip")
        batch_op.drop_index("ix_outbox_resident_kind_not_before")
        batch_op.create_index(
            "ix_outbox_resident_kind_created", ["resident_id", "kind", "created_at"]
        )
