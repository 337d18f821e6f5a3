"""web console sign-in links and sessions

Revision ID: 0019_console
Revises: 0019_service_sex
Create Date: 2026-12-07 14:30:00
"""

from collections.abc import Sequence

import jiayi.storage.types
import sqlalchemy as sa
from alembic import op

revision: str = "0019_console"
down_revision: str | None = "0019_service_sex"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_logins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=True),
        sa.Column("created_at", jiayi.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", jiayi.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", jiayi.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_logins")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_console_logins_token_hash")),
    )
    op.create_index(
        op.f("ix_console_logins_telegram_user_id"), "console_logins", ["telegram_user_id"]
    )
    op.create_table(
        "console_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", jiayi.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", jiayi.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", jiayi.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", jiayi.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_console_sessions_token_hash")),
    )
    op.create_index(
        op.f("ix_console_sessions_telegram_user_id"), "console_sessions", ["telegram_user_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_console_sessions_telegram_user_id"), table_name="console_sessions")
    op.drop_table("console_sessions")
    op.drop_index(op.f("ix_console_logins_telegram_user_id"), table_name="console_logins")
    op.drop_table("console_logins")
