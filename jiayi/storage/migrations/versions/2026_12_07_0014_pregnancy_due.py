"""pregnancy_due: the expected date of delivery, from which the pregnancy stage is derived

Revision ID: 0014_pregnancy_due
Revises: 0007_doctor_console (the head on main; COMMON.md named 0008_privacy)
Create Date: 2026-12-07 11:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_pregnancy_due"
down_revision: str | None = "0013_care_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("residents") as batch:
        batch.add_column(sa.Column("pregnancy_due", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("residents") as batch:
        batch.drop_column("pregnancy_due")
