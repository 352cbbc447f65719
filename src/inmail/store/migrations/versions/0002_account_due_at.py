"""each account's earliest due time; indexes for settling one account

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

``members.due_at`` is the earliest time anything may fall due for an account
(see ``inmail.store.accounts``); the worker claims due accounts by it. The
worker no longer scans subscriptions and messages for due rows, so their
global due-time indexes give way to per-account ones.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Every existing account's due time, from its rows (min() skips NULLs).
BACKFILL = """
UPDATE members SET due_at = (
  SELECT min(t) FROM (
    SELECT next_renewal_at AS t FROM subscriptions WHERE member_id = members.id
    UNION ALL SELECT warning_due_at FROM subscriptions WHERE member_id = members.id
    UNION ALL SELECT refund_deadline FROM messages
      WHERE sender_id = members.id AND status = 'awaiting_response'
    UNION ALL SELECT reminder_due_at FROM messages WHERE recipient_id = members.id
  ) AS due
)
"""


def upgrade() -> None:
    with op.batch_alter_table("members") as batch_op:
        batch_op.add_column(sa.Column("due_at", sa.DateTime(), nullable=True))
        # (due_at, id): the worker's claim reads the oldest due accounts in this
        # order; without id in the index a million accounts due at one moment
        # are sorted again for every batch.
        batch_op.create_index("ix_members_due_at_id", ["due_at", "id"], unique=False)
    op.execute(BACKFILL)
    with op.batch_alter_table("messages") as batch_op:
        batch_op.drop_index("ix_messages_reminder_due_at")
        batch_op.drop_index("ix_messages_status_deadline")
        batch_op.create_index(
            "ix_messages_recipient_reminder", ["recipient_id", "reminder_due_at"], unique=False
        )
    with op.batch_alter_table("subscriptions") as batch_op:
        batch_op.drop_index("ix_subscriptions_warning_due_at")
        batch_op.drop_index("ix_subscriptions_next_renewal_at")
    with op.batch_alter_table("idempotency_keys") as batch_op:
        batch_op.create_index("ix_idempotency_keys_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys") as batch_op:
        batch_op.drop_index("ix_idempotency_keys_created_at")
    with op.batch_alter_table("subscriptions") as batch_op:
        batch_op.create_index("ix_subscriptions_next_renewal_at", ["next_renewal_at"])
        batch_op.create_index("ix_subscriptions_warning_due_at", ["warning_due_at"])
    with op.batch_alter_table("messages") as batch_op:
        batch_op.drop_index("ix_messages_recipient_reminder")
        batch_op.create_index("ix_messages_status_deadline", ["status", "refund_deadline"])
        batch_op.create_index("ix_messages_reminder_due_at", ["reminder_due_at"])
    with op.batch_alter_table("members") as batch_op:
        batch_op.drop_index("ix_members_due_at_id")
        batch_op.drop_column("due_at")
