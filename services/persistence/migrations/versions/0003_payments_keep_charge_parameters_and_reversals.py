"""Payments keep what their charge request says besides the amount (description, return URL),
so that a retry can never differ from the first try; the issuer's advice code with a decline;
and the cents taken back after success (refunded, disputed).

Payments made before keep NULL parameters: the charge then derives them as it did.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 19:29:10
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('charge_description', sa.String(length=255),
                                      nullable=True))
        batch_op.add_column(sa.Column('return_url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('advice_code', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('refunded_cents', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('disputed_cents', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('disputed_cents')
        batch_op.drop_column('refunded_cents')
        batch_op.drop_column('advice_code')
        batch_op.drop_column('return_url')
        batch_op.drop_column('charge_description')
