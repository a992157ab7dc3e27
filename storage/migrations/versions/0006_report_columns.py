"""learning and assurance reports: quorate at start, and an index for the report period

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Quorum when the chair started the discussion: the invitations change afterwards,
    # so it cannot be worked out later. Null for discussions started before this column.
    with op.batch_alter_table('discussions') as batch:
        batch.add_column(sa.Column('quorate_at_start', sa.Boolean(), nullable=True))
    # Reports select discussions by when their invitations were sent.
    op.create_index('ix_discussions_invited_at', 'discussions', ['invited_at'])


def downgrade() -> None:
    op.drop_index('ix_discussions_invited_at', table_name='discussions')
    with op.batch_alter_table('discussions') as batch:
        batch.drop_column('quorate_at_start')
