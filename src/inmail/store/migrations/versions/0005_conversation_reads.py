"""how far each member has read each conversation; indexes for the inbox

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08

The inbox page shows one row per conversation, marked unread while it holds
a message to the member newer than what they last read. Message ids only
grow, so one number per member and conversation (the highest id read) is
the whole state.

The inbox reads each conversation's latest message the member still sees:
the two indexes hold a member's messages grouped by the other member, with
the member's own "deleted for me" flag before it, so the query reads them
from the index alone and never the table.

Everything written before this revision counts as read: members had no read
state before, and a long-standing inbox should not turn unread at once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BACKFILL = """
INSERT INTO conversation_reads (member_id, other_id, read_through_id)
SELECT recipient_id, sender_id, max(id) FROM messages GROUP BY recipient_id, sender_id
"""


def upgrade() -> None:
    op.create_table(
        "conversation_reads",
        sa.Column("member_id", sa.String(64), nullable=False),
        sa.Column("other_id", sa.String(64), nullable=False),
        sa.Column("read_through_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name="fk_conversation_reads_member_id_members"
        ),
        sa.ForeignKeyConstraint(
            ["other_id"], ["members.id"], name="fk_conversation_reads_other_id_members"
        ),
        sa.PrimaryKeyConstraint("member_id", "other_id", name="pk_conversation_reads"),
    )
    op.execute(BACKFILL)
    with op.batch_alter_table("messages") as batch_op:
        batch_op.create_index(
            "ix_messages_sender_conversations",
            ["sender_id", "hidden_for_sender", "recipient_id", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_messages_recipient_conversations",
            ["recipient_id", "hidden_for_recipient", "sender_id", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch_op:
        batch_op.drop_index("ix_messages_recipient_conversations")
        batch_op.drop_index("ix_messages_sender_conversations")
    op.drop_table("conversation_reads")
