"""privacy: consent withdrawal, who consented for family members, take-over links,
anonymised statistics

Revision ID: 0008_privacy
Revises: 0005_care_plans
Create Date: 2026-11-23 15:49:34.043443
"""

from collections.abc import Sequence

import jiayi.storage.types
import sqlalchemy as sa
from alembic import op

revision: str = "0008_privacy"
down_revision: str | None = "0005_care_plans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "statistic_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=48), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("dimension", sa.String(length=64), server_default="", nullable=False),
        sa.Column("count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statistic_counts")),
        sa.UniqueConstraint("metric", "period", "dimension", name="uq_statistic_counts_key"),
    )
    op.create_table(
        "family_takeovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_member_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", jiayi.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", jiayi.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", jiayi.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["family_member_id"],
            ["family_members.id"],
            name=op.f("fk_family_takeovers_family_member_id_family_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_takeovers")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_family_takeovers_token_hash")),
    )
    with op.batch_alter_table("family_takeovers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_family_takeovers_family_member_id"), ["family_member_id"], unique=False
        )

    with op.batch_alter_table("family_members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consented_by_resident_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("consent_version", sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_family_members_consented_by_resident_id_residents"),
            "residents",
            ["consented_by_resident_id"],
            ["id"],
            ondelete="SET NULL",
        )

    # Members added so far were confirmed by the resident who manages them.
    op.execute("UPDATE family_members SET consented_by_resident_id = resident_id")

    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "consent_withdrawn_at",
                jiayi.storage.types.UTCDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("residents", schema=None) as batch_op:
        batch_op.drop_column("consent_withdrawn_at")

    with op.batch_alter_table("family_members", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_family_members_consented_by_resident_id_residents"), type_="foreignkey"
        )
        batch_op.drop_column("consent_version")
        batch_op.drop_column("consented_by_resident_id")

    with op.batch_alter_table("family_takeovers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_family_takeovers_family_member_id"))

    op.drop_table("family_takeovers")
    op.drop_table("statistic_counts")
