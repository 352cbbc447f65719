"""how far each member has read their notifications

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

The pages show which notifications are new since the member last opened
them. Notification ids only grow, so one number per member (the highest id
seen) is the whole state; the notifications themselves stay as they are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_reads",
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("seen_through_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name="fk_notification_reads_member_id_members"
        ),
        sa.PrimaryKeyConstraint("member_id", name="pk_notification_reads"),
    )


def downgrade() -> None:
    op.drop_table("notification_reads")
