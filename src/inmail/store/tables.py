"""The schema. Every hot row is keyed by a member id; due events are indexed
timestamp columns rather than a separate queue."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from inmail.store.types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BigInteger ids on PostgreSQL, INTEGER PRIMARY KEY (the rowid) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")

members = Table(
    "members",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("inmail_opt_out", Boolean, nullable=False, default=False),
    Column("open_profile", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    # The balance is a cache of the ledger's sum, written in the same
    # transaction as each entry; the audit checks they agree.
    Column("balance", Integer, nullable=False, default=0),
    # The earliest time anything may fall due for this account (store.accounts).
    Column("due_at", UTCDateTime, nullable=True),
    CheckConstraint("balance >= 0", name="balance_not_negative"),
    # The worker's claim: the oldest due accounts, in this order.
    Index("ix_members_due_at_id", "due_at", "id"),
)

connections = Table(
    "connections",
    metadata,
    # Stored in both directions so "is b a connection of a" is one key lookup.
    Column("member_id", String(64), ForeignKey("members.id"), primary_key=True),
    Column("other_id", String(64), ForeignKey("members.id"), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("member_id", String(64), ForeignKey("members.id"), primary_key=True),
    Column("plan", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("renewals_done", Integer, nullable=False, default=0),
    # Due events: the next renewal (or, while cancelling, the end) and the
    # cap-forfeit warning. NULL once nothing more is due.
    Column("next_renewal_at", UTCDateTime, nullable=True),
    Column("warning_due_at", UTCDateTime, nullable=True),
    Column("ends_at", UTCDateTime, nullable=True),
    CheckConstraint("status IN ('active', 'cancelling', 'cancelled')", name="status_known"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("sender_id", String(64), ForeignKey("members.id"), nullable=False),
    Column("recipient_id", String(64), ForeignKey("members.id"), nullable=False),
    Column("subject", String(200), nullable=True),
    Column("body", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("charge", String(16), nullable=False),
    Column("quick_reply", String(16), nullable=True),
    Column("in_reply_to", Id, ForeignKey("messages.id"), nullable=True),
    Column("sent_at", UTCDateTime, nullable=False),
    Column("credit_charged", Boolean, nullable=False),
    Column("status", String(20), nullable=False),
    Column("refund_deadline", UTCDateTime, nullable=True),
    Column("reminder_at", UTCDateTime, nullable=True),
    # The reminder is due while this is set; cleared once sent or once the
    # recipient has responded.
    Column("reminder_due_at", UTCDateTime, nullable=True),
    Column("responded_at", UTCDateTime, nullable=True),
    Column("refunded", Boolean, nullable=False, default=False),
    Column("hidden_for_sender", Boolean, nullable=False, default=False),
    Column("hidden_for_recipient", Boolean, nullable=False, default=False),
    # inbox, sent, one conversation's direction, and an account's due
    # deadlines (as sender) and reminders (as recipient)
    Index("ix_messages_recipient_id_id", "recipient_id", "id"),
    Index("ix_messages_sender_id_id", "sender_id", "id"),
    Index("ix_messages_pair", "sender_id", "recipient_id", "id"),
    Index("ix_messages_sender_status", "sender_id", "status", "refund_deadline"),
    Index("ix_messages_recipient_reminder", "recipient_id", "reminder_due_at"),
    # The inbox: a member's messages by the other member, without those the
    # member deleted, read from the index alone (store.conversations).
    Index(
        "ix_messages_sender_conversations",
        "sender_id",
        "hidden_for_sender",
        "recipient_id",
        "id",
    ),
    Index(
        "ix_messages_recipient_conversations",
        "recipient_id",
        "hidden_for_recipient",
        "sender_id",
        "id",
    ),
)

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("member_id", String(64), ForeignKey("members.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("amount", Integer, nullable=False),
    Column("balance_after", Integer, nullable=False),
    Column("message_id", Id, ForeignKey("messages.id"), nullable=True),
    Column("note", String(500), nullable=True),
    Index("ix_ledger_entries_member_id_id", "member_id", "id"),
    CheckConstraint(
        "kind IN ('grant', 'forfeit', 'spend', 'refund', 'adjustment')", name="kind_known"
    ),
    CheckConstraint("balance_after >= 0", name="balance_after_not_negative"),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("member_id", String(64), ForeignKey("members.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("message_id", Id, ForeignKey("messages.id"), nullable=True),
    Column("data", JSON, nullable=False, default=dict),
    Index("ix_notifications_member_id_at_id", "member_id", "at", "id"),
)

# The highest notification id the member has seen on the pages (ids only
# grow, so everything above it is unread). The API knows nothing of it.
notification_reads = Table(
    "notification_reads",
    metadata,
    Column("member_id", String(64), ForeignKey("members.id"), primary_key=True),
    Column("seen_through_id", BigInteger, nullable=False),
)

# The highest message id each member has read of each conversation (ids only
# grow, so a message to the member above it is unread). The API knows nothing
# of it.
conversation_reads = Table(
    "conversation_reads",
    metadata,
    Column("member_id", String(64), ForeignKey("members.id"), primary_key=True),
    Column("other_id", String(64), ForeignKey("members.id"), primary_key=True),
    # Not an identity: plain BigInteger on both databases, as migrated.
    Column("read_through_id", BigInteger, nullable=False),
)

clock = Table(
    "clock",
    metadata,
    # One row: the manual clock's time, shared by every process.
    Column("id", Integer, primary_key=True),
    Column("now", UTCDateTime, nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

tokens = Table(
    "tokens",
    metadata,
    # Only the SHA-256 of a token is kept.
    Column("token_hash", String(64), primary_key=True),
    Column("member_id", String(64), ForeignKey("members.id"), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False, index=True),
)

# Webhooks: endpoints, the outbox of events (written in the transaction of
# their cause, the exact body every attempt sends), one delivery per event and
# endpoint, and every attempt of it.
webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("description", String(500), nullable=False, default=""),
    # The event types it hears; NULL: all of them.
    Column("events", JSON, nullable=True),
    Column("enabled", Boolean, nullable=False, default=True),
    # The signing secret, encrypted (service.secret_box): never in clear.
    Column("secret_sealed", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("type", String(40), nullable=False),
    Column("member_id", String(64), nullable=True),
    Column("at", UTCDateTime, nullable=False),
    Column("body", Text, nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "endpoint_id",
        String(32),
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("event_id", String(40), ForeignKey("webhook_events.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    # By the service's clock: the manual clock moves retries too.
    Column("next_attempt_at", UTCDateTime, nullable=True),
    # By the wall clock: a worker holds a claimed delivery until then; one
    # that died mid-attempt lets go of it when this passes.
    Column("lease_until", UTCDateTime, nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", String(500), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime, nullable=True),
    CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status_known"),
    Index("ix_webhook_deliveries_endpoint_id_id", "endpoint_id", "id"),
    Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column(
        "delivery_id",
        Id,
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("at", UTCDateTime, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", String(500), nullable=True),
    Column("duration_ms", Integer, nullable=False),
)

__all__ = [
    "clock",
    "connections",
    "conversation_reads",
    "idempotency_keys",
    "ledger_entries",
    "members",
    "messages",
    "metadata",
    "notification_reads",
    "notifications",
    "subscriptions",
    "tokens",
    "webhook_attempts",
    "webhook_deliveries",
    "webhook_endpoints",
    "webhook_events",
]
