"""Failed identity attempts counted in the database per username, claimed person and source
(attempt_counters), replacing the per-account failed_logins / locked_until columns, which could
not count unknown usernames alike; Telegram webhook updates already processed
(telegram_updates_seen); when a chat last wrote (chat_links.last_seen_at), for sessions
that end even for reading. Earlier lock-outs are not carried over: they end within minutes anyway.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 19:21:44.964664
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.persistence.models

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('attempt_counters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=20), nullable=False),
    sa.Column('subject', sa.String(length=80), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', services.persistence.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', services.persistence.models.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('scope', 'subject')
    )
    with op.batch_alter_table('attempt_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_counters_last_failure_at'), ['last_failure_at'], unique=False)

    op.create_table('telegram_updates_seen',
    sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('received_at', services.persistence.models.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('update_id')
    )
    with op.batch_alter_table('telegram_updates_seen', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_telegram_updates_seen_received_at'), ['received_at'], unique=False)

    with op.batch_alter_table('chat_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'last_seen_at', services.persistence.models.UtcDateTime(timezone=True),
            nullable=True))

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('locked_until')



def downgrade() -> None:
    with op.batch_alter_table('chat_links', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'locked_until', services.persistence.models.UtcDateTime(timezone=True),
            nullable=True))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False,
                                      server_default='0'))

    with op.batch_alter_table('telegram_updates_seen', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_telegram_updates_seen_received_at'))

    op.drop_table('telegram_updates_seen')
    with op.batch_alter_table('attempt_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempt_counters_last_failure_at'))

    op.drop_table('attempt_counters')
