"""bookable services open to one sex only

Revision ID: 0019_service_sex
Revises: 0018_centre_contact
Create Date: 2026-12-07 14:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_service_sex"
down_revision: str | None = "0018_centre_contact"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bookable_services") as batch:
        batch.add_column(sa.Column("sex", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bookable_services") as batch:
        batch.drop_column("sex")
