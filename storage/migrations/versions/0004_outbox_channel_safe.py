"""outbox.channel_safe: only rows enqueued with a ChannelSafe payload may go to a channel

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows already queued were never checked: false means the worker will not send them to a
    # shared conversation (the safe side).
    with op.batch_alter_table('outbox') as batch:
        batch.add_column(sa.Column('channel_safe', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('outbox') as batch:
        batch.drop_column('channel_safe')
