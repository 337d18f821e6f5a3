"""care rules: follow-up outcome, children's vaccination record answers, pregnancies

Revision ID: 0013_care_rules
Revises: 0011_doctor_accounts
Create Date: 2026-12-07 11:30:00
"""

from collections.abc import Sequence

import jiayi.storage.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.schema import SchemaItem

revision: str = "0013_care_rules"
down_revision: str | None = "0011_doctor_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _person_columns(table: str) -> list[SchemaItem]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resident_id", sa.Integer(), nullable=False),
        sa.Column("family_member_id", sa.Integer(), nullable=True),
        sa.Column("person_key", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(
            ["family_member_id"],
            ["family_members.id"],
            name=op.f(f"fk_{table}_family_member_id_family_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f(f"fk_{table}_resident_id_residents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    with op.batch_alter_table("care_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))

    op.create_table(
        "care_vaccine_answers",
        *_person_columns("care_vaccine_answers"),
        sa.Column("rule_id", sa.String(length=32), nullable=False),
        sa.Column("answer", sa.String(length=12), nullable=False),
        sa.Column("answered_at", jiayi.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "person_key", "rule_id", name=op.f("uq_care_vaccine_answers_person_key")
        ),
    )
    op.create_table(
        "care_pregnancies",
        *_person_columns("care_pregnancies"),
        sa.Column("expected_on", sa.Date(), nullable=False),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.Column("updated_at", jiayi.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("person_key", name=op.f("uq_care_pregnancies_person_key")),
    )
    for table in ("care_vaccine_answers", "care_pregnancies"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f(f"ix_{table}_family_member_id"), ["family_member_id"], unique=False
            )
            batch_op.create_index(
                batch_op.f(f"ix_{table}_resident_id"), ["resident_id"], unique=False
            )


def downgrade() -> None:
    for table in ("care_pregnancies", "care_vaccine_answers"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_resident_id"))
            batch_op.drop_index(batch_op.f(f"ix_{table}_family_member_id"))
        op.drop_table(table)
    with op.batch_alter_table("care_records", schema=None) as batch_op:
        batch_op.drop_column("outcome")
