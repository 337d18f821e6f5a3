"""doctor accounts: revocable invites, explicit re-binds, deactivation, account events

Revision ID: 0011_doctor_accounts
Revises: 0007_doctor_console
Create Date: 2026-12-07 11:10:00
"""

from collections.abc import Sequence

import jiayi.storage.types
import sqlalchemy as sa
from alembic import op

revision: str = "0011_doctor_accounts"
down_revision: str | None = "0007_doctor_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("doctors", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "deactivated_at", jiayi.storage.types.UTCDateTime(timezone=True), nullable=True
            )
        )
    with op.batch_alter_table("doctor_invites", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("revoked_at", jiayi.storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("rebind", sa.Boolean(), server_default=sa.text("false"), nullable=False)
        )
    # Invites issued before this revision stay plain: one whose doctor is already bound to
    # another account is refused rather than silently taking that doctor over.
    op.create_table(
        "doctor_account_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("other_doctor_id", sa.Integer(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("at", jiayi.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["doctor_id"],
            ["doctors.id"],
            name=op.f("fk_doctor_account_events_doctor_id_doctors"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["other_doctor_id"],
            ["doctors.id"],
            name=op.f("fk_doctor_account_events_other_doctor_id_doctors"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doctor_account_events")),
    )
    with op.batch_alter_table("doctor_account_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_doctor_account_events_doctor_id"), ["doctor_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("doctor_account_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_doctor_account_events_doctor_id"))
    op.drop_table("doctor_account_events")
    with op.batch_alter_table("doctor_invites", schema=None) as batch_op:
        batch_op.drop_column("rebind")
        batch_op.drop_column("revoked_at")
    with op.batch_alter_table("doctors", schema=None) as batch_op:
        batch_op.drop_column("deactivated_at")
