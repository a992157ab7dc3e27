"""Indexes for work proportional to what is due: the scheduler's candidate queries, the
outbox's claim, edit and pacing lookups (processed activities by age: 0002).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

INDEXES = [
    ('discussions', 'ix_discussions_status_convene_by', ['status', 'convene_by']),
    ('discussions', 'ix_discussions_status_scheduled_for', ['status', 'scheduled_for']),
    ('discussions', 'ix_discussions_circulation_due', ['circulated_at', 'circulate_by']),
    ('discussions', 'ix_discussions_next_review_at', ['next_review_at']),
    ('discussions', 'ix_discussions_meeting_pending', ['meeting_pending']),
    ('outbox', 'ix_outbox_order', ['order_key', 'status', 'id']),
    ('outbox', 'ix_outbox_message_key', ['message_key']),
    ('outbox', 'ix_outbox_conversation_sent', ['conversation_id', 'sent_at']),
    ('actions', 'ix_actions_status_due', ['status', 'due']),
    ('disagreements', 'ix_disagreements_open_due', ['resolved_at', 'resolve_by']),
]


def upgrade() -> None:
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    # Replaced by ix_outbox_order, which starts with order_key.
    op.drop_index('ix_outbox_order_key', table_name='outbox')


def downgrade() -> None:
    op.create_index('ix_outbox_order_key', 'outbox', ['order_key'], unique=False)
    for table, name, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
