"""Autopay pauses with an end date: "pause autopay for a month" resumes by itself on
autopay_mandates.resume_on (services/autopay_charges.resume_due_pauses).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 19:40:42
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('autopay_mandates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resume_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('autopay_mandates', schema=None) as batch_op:
        batch_op.drop_column('resume_on')
