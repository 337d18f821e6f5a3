"""roster of contracted residents imported from the family-doctor contract system

Revision ID: 0020_roster
Revises: 0019_console
Create Date: 2026-12-07 14:40:00
"""

from collections.abc import Sequence

import jiayi.storage.types
import sqlalchemy as sa
from alembic import op

revision: str = "0020_roster"
down_revision: str | None = "0019_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "roster_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(length=8), nullable=True),
        sa.Column("conditions", sa.String(length=200), server_default="", nullable=False),
        sa.Column("contract_starts_on", sa.Date(), nullable=True),
        sa.Column("contract_ends_on", sa.Date(), nullable=True),
        sa.Column("resident_id", sa.Integer(), nullable=True),
        sa.Column("matched_at", jiayi.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("imported_at", jiayi.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["centres.id"],
            name=op.f("fk_roster_entries_centre_id_centres"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["doctor_id"],
            ["doctors.id"],
            name=op.f("fk_roster_entries_doctor_id_doctors"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_roster_entries_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_entries")),
        sa.UniqueConstraint("centre_id", "phone", name="uq_roster_entries_centre_phone"),
        sa.UniqueConstraint("resident_id", name=op.f("uq_roster_entries_resident_id")),
    )
    op.create_index(
        op.f("ix_roster_entries_doctor_id"), "roster_entries", ["doctor_id"], unique=False
    )
    op.create_index(op.f("ix_roster_entries_phone"), "roster_entries", ["phone"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_roster_entries_phone"), table_name="roster_entries")
    op.drop_index(op.f("ix_roster_entries_doctor_id"), table_name="roster_entries")
    op.drop_table("roster_entries")
