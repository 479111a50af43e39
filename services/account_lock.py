"""One money move at a time per account: the lock every payment, autopay charge, Telegram card
form and settlement takes before it re-checks what is owed and claims a payment.

"Exactly once" per draft is kept by the draft's conditional claim (draft -> pending), but two
different drafts of one member (two chats, two workers, autopay beside the member) never
conflict on that claim: each re-checks the balance, sees the other not yet claimed, and both
are charged. Holding this lock from the re-check to the claim's commit puts those moves one
after another, so the second one sees the first one's pending payment and is refused.

How it locks:
- PostgreSQL: `SELECT ... FOR UPDATE` on the account's row. Under READ COMMITTED every later
  statement of the transaction reads what the previous holder committed.
- SQLite has no row locks: a no-op UPDATE of the account's row takes the database's write lock
  at once, as `BEGIN IMMEDIATE` would (pysqlite only begins a transaction at the first write,
  so the reads that follow run inside it, after any other writer has committed). Other writers
  wait for it through the busy timeout.

Take it first in a short transaction, and commit before calling the gateway: the lock is held
for a few statements, never across the network.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.errors import NotFound
from services.persistence.models import Account

ACCOUNT_NOT_FOUND = "I couldn't find your account. Please log in again."


def lock_account(session: Session, account_id: int) -> None:
    """Hold the account's money lock until the session's transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        locked = session.scalar(
            select(Account.id).where(Account.id == account_id).with_for_update())
    else:
        locked = session.execute(
            update(Account).where(Account.id == account_id)
            .values(gateway_customer_id=Account.gateway_customer_id)
            .execution_options(synchronize_session=False)).rowcount
    if not locked:
        raise NotFound(ACCOUNT_NOT_FOUND, key="account_not_found")
