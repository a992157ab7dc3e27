"""audit chain: hash-chained audit log with a head row; case links for purging

Revision ID: 0002
Revises: 0001

Existing audit entries are chained in id order (and a typed reason some held is replaced by
whether one was given: audit entries hold no free text). Outbox rows and stored invoke
answers get a case reference so a purge can find them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def _chain_existing_entries() -> None:
    from storage.audit import GENESIS, HEAD_ID, entry_hash, normalise_detail
    from storage.models import AuditEntry

    log = sa.table(
        "audit_log",
        sa.column("id", sa.Integer()), sa.column("seq", sa.Integer()),
        sa.column("at", storage.models.UtcDateTime(timezone=True)),
        sa.column("actor_aad_object_id", sa.String()), sa.column("actor_name", sa.String()),
        sa.column("action", sa.String()), sa.column("discussion_id", sa.String()),
        sa.column("case_ref", sa.String()), sa.column("conversation_id", sa.String()),
        sa.column("detail", sa.JSON()), sa.column("prev_hash", sa.String()), sa.column("hash", sa.String()),
    )  # fmt: skip
    bind = op.get_bind()
    seq, prev = 0, GENESIS
    rows = bind.execute(sa.select(log).order_by(log.c.id)).mappings().all()
    for row in rows:
        detail = dict(row["detail"] or {})
        if "reason" in detail:  # an invitation answer's typed reason: not for the audit log
            detail["reason_given"] = bool(detail.pop("reason"))
        seq += 1
        entry = AuditEntry(
            seq=seq, at=row["at"], action=row["action"], actor_aad_object_id=row["actor_aad_object_id"],
            actor_name=row["actor_name"], discussion_id=row["discussion_id"], case_ref=row["case_ref"],
            conversation_id=row["conversation_id"], detail=normalise_detail(detail),
        )  # fmt: skip
        digest = entry_hash(prev, entry)
        bind.execute(sa.update(log).where(log.c.id == row["id"])
                     .values(seq=seq, prev_hash=prev, hash=digest, detail=entry.detail))  # fmt: skip
        prev = digest
    head = sa.table("audit_head", sa.column("id", sa.Integer()), sa.column("seq", sa.Integer()),
                    sa.column("hash", sa.String()))  # fmt: skip
    bind.execute(sa.insert(head).values(id=HEAD_ID, seq=seq, hash=prev))


def upgrade() -> None:
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_log_case_ref'), ['case_ref'], unique=False)
    _chain_existing_entries()
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint('uq_audit_log_seq', ['seq'])

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_ref', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_case_ref'), ['case_ref'], unique=False)

    with op.batch_alter_table('processed_activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_ref', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_processed_activities_case_ref'), ['case_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_processed_activities_at'), ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('processed_activities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_processed_activities_at'))
        batch_op.drop_index(batch_op.f('ix_processed_activities_case_ref'))
        batch_op.drop_column('case_ref')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_case_ref'))
        batch_op.drop_column('case_ref')

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_constraint('uq_audit_log_seq', type_='unique')
        batch_op.drop_index(batch_op.f('ix_audit_log_case_ref'))
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')

    op.drop_table('audit_head')
