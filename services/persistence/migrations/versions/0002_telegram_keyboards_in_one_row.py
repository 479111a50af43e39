"""Telegram keyboards in one row each: a keyboard's buttons live with it, and a button's
callback_data is `selector.verifier.position` (bot/telegram/callback_keys.py).

The keyboards of before are dropped, not converted: every start of the Telegram channel makes
all earlier keyboards stale anyway, so nothing a member could still tap is lost.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 17:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.persistence.models

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text('closed_at IS NULL')


def upgrade() -> None:
    with op.batch_alter_table('telegram_callback_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_telegram_callback_keys_keyboard_id'))
    op.drop_table('telegram_callback_keys')
    with op.batch_alter_table('telegram_keyboards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_telegram_keyboards_created_at'))
        batch_op.drop_index(batch_op.f('ix_telegram_keyboards_chat_id'))
    op.drop_table('telegram_keyboards')
    op.create_table('telegram_keyboards',
    sa.Column('selector', sa.String(length=16), nullable=False),
    sa.Column('verifier', sa.String(length=32), nullable=False),
    sa.Column('chat_id', sa.String(length=64), nullable=False),
    sa.Column('text_html', sa.Text(), nullable=False),
    sa.Column('buttons', sa.JSON(), nullable=False),
    sa.Column('created_at', services.persistence.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', services.persistence.models.UtcDateTime(timezone=True), nullable=True),
    sa.Column('chosen', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('selector')
    )
    with op.batch_alter_table('telegram_keyboards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_telegram_keyboards_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_telegram_keyboards_open', ['chat_id'], unique=False, sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade() -> None:
    with op.batch_alter_table('telegram_keyboards', schema=None) as batch_op:
        batch_op.drop_index('ix_telegram_keyboards_open', sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.drop_index(batch_op.f('ix_telegram_keyboards_created_at'))
    op.drop_table('telegram_keyboards')
    op.create_table('telegram_keyboards',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('chat_id', sa.String(length=64), nullable=False),
    sa.Column('text_html', sa.Text(), nullable=False),
    sa.Column('created_at', services.persistence.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', services.persistence.models.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('telegram_keyboards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_telegram_keyboards_chat_id'), ['chat_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_telegram_keyboards_created_at'), ['created_at'], unique=False)
    op.create_table('telegram_callback_keys',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('keyboard_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('chosen_at', services.persistence.models.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['keyboard_id'], ['telegram_keyboards.id'], ),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('telegram_callback_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_telegram_callback_keys_keyboard_id'), ['keyboard_id'], unique=False)

