"""tip sign-offs recorded in the console

Revision ID: 0021_tip_signoff
Revises: 0020_roster
Create Date: 2026-12-07 14:40:00
"""

from collections.abc import Sequence

import jiayi.storage.types
import sqlalchemy as sa
from alembic import op

revision: str = "0021_tip_signoff"
down_revision: str | None = "0020_roster"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tip_signoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tip_id", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("clinician", sa.String(length=100), nullable=False),
        sa.Column("signed_by_user_id", sa.BigInteger(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=True),
        sa.Column("sections", sa.Text(), nullable=False),
        sa.Column("signed_at", jiayi.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["doctor_id"],
            ["doctors.id"],
            name=op.f("fk_tip_signoffs_doctor_id_doctors"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tip_signoffs")),
    )
    op.create_index(
        "ix_tip_signoffs_tip_signed", "tip_signoffs", ["tip_id", "signed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_tip_signoffs_tip_signed", table_name="tip_signoffs")
    op.drop_table("tip_signoffs")
