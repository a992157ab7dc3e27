"""reach: calendar polling, delivery state, answers recorded by the chair, contact details, digest

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column('phone', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_agencies_duty_manager_person_id'), ['duty_manager_person_id'], unique=False)
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=64), nullable=True))
    with op.batch_alter_table('discussions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_checked_at', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('calendar_next_poll_at', UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column('calendar_failures', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index(batch_op.f('ix_discussions_calendar_next_poll_at'), ['calendar_next_poll_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_discussions_chair_person_id'), ['chair_person_id'], unique=False)
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('calendar_response', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('recorded_by_person_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('answer_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('answer_source', sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f('ix_invitations_agency_id'), ['agency_id'], unique=False)
    op.create_table('daily_digests',
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('at', UtcDateTime(), nullable=False),
        sa.Column('cases', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day'),
    )


def downgrade() -> None:
    op.drop_table('daily_digests')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitations_agency_id'))
        for column in ('answer_source', 'answer_note', 'recorded_by_person_id', 'calendar_response', 'delivery'):
            batch_op.drop_column(column)
    with op.batch_alter_table('discussions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_discussions_chair_person_id'))
        batch_op.drop_index(batch_op.f('ix_discussions_calendar_next_poll_at'))
        for column in ('calendar_failures', 'calendar_next_poll_at', 'calendar_checked_at'):
            batch_op.drop_column(column)
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('phone')
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agencies_duty_manager_person_id'))
        batch_op.drop_column('phone')
        batch_op.drop_column('email')
