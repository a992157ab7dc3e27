"""agenda and reviews: attendance rows know the step that wrote them, the agenda card is an
editable message, review reminders, and a review may have no deadline (held when the chair asks)

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=16), nullable=True))
    with op.batch_alter_table('discussions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_remind_at', storage.models.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('agenda_message_key', sa.String(length=200), nullable=True))
        batch_op.alter_column('convene_by', existing_type=storage.models.UtcDateTime(timezone=True), nullable=True)
        batch_op.create_index(batch_op.f('ix_discussions_review_remind_at'), ['review_remind_at'], unique=False)


def downgrade() -> None:
    op.execute("UPDATE discussions SET convene_by = created_at WHERE convene_by IS NULL")
    with op.batch_alter_table('discussions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_discussions_review_remind_at'))
        batch_op.alter_column('convene_by', existing_type=storage.models.UtcDateTime(timezone=True), nullable=False)
        batch_op.drop_column('agenda_message_key')
        batch_op.drop_column('review_remind_at')
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_column('source')
