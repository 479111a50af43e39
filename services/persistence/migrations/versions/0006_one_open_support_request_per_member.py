"""One open support request per member (and per chat for a visitor), and a visitor's contact.

Requests opened again while one was open (every "talk to a person" used to open one) are folded
into the first: it stays open, the later ones get status 'merged', so the new unique indexes
hold for the rows already there.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 19:41:27
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import services.persistence.models

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_PER_ACCOUNT = sa.text("status = 'open' AND account_id IS NOT NULL")
OPEN_PER_VISITOR_CHAT = sa.text("status = 'open' AND account_id IS NULL")


def upgrade() -> None:
    op.execute("""
        UPDATE support_requests SET status = 'merged'
        WHERE status = 'open' AND account_id IS NOT NULL AND id > (
            SELECT MIN(first.id) FROM support_requests AS first
            WHERE first.status = 'open' AND first.account_id = support_requests.account_id)
    """)
    op.execute("""
        UPDATE support_requests SET status = 'merged'
        WHERE status = 'open' AND account_id IS NULL AND id > (
            SELECT MIN(first.id) FROM support_requests AS first
            WHERE first.status = 'open' AND first.account_id IS NULL
              AND first.channel = support_requests.channel
              AND first.chat_id = support_requests.chat_id)
    """)
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', services.persistence.models.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('contact', sa.String(length=254), nullable=True))
        batch_op.create_index('uq_support_requests_open_per_account', ['account_id'], unique=True, sqlite_where=OPEN_PER_ACCOUNT, postgresql_where=OPEN_PER_ACCOUNT)
        batch_op.create_index('uq_support_requests_open_per_visitor_chat', ['channel', 'chat_id'], unique=True, sqlite_where=OPEN_PER_VISITOR_CHAT, postgresql_where=OPEN_PER_VISITOR_CHAT)


def downgrade() -> None:
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_support_requests_open_per_visitor_chat', sqlite_where=OPEN_PER_VISITOR_CHAT, postgresql_where=OPEN_PER_VISITOR_CHAT)
        batch_op.drop_index('uq_support_requests_open_per_account', sqlite_where=OPEN_PER_ACCOUNT, postgresql_where=OPEN_PER_ACCOUNT)
        batch_op.drop_column('contact')
        batch_op.drop_column('updated_at')
    op.execute("UPDATE support_requests SET status = 'open' WHERE status = 'merged'")
