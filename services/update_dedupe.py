"""Chat-platform updates seen once: Telegram resends a webhook update whose answer was slow or
lost, and the member's message must not be handled twice (a second "yes", a second request).

Each update id is recorded when it first arrives; rows older than KEEP are deleted by the
retention job (Telegram gives up on an update after a day).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.context import Services
from services.persistence.models import TelegramUpdateSeen

KEEP = dt.timedelta(days=1)


def first_arrival(svc: Services, update_id: int) -> bool:
    """Record the update; False when it was recorded before (a redelivery). Two workers
    receiving it at once: exactly one of them sees True."""
    with svc.chat_state_uow() as uow:
        session = uow.session
        insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" \
            else sqlite_insert
        inserted = session.scalar(insert(TelegramUpdateSeen).values(
            update_id=update_id, received_at=svc.now()).on_conflict_do_nothing()
            .returning(TelegramUpdateSeen.update_id))
        uow.commit()
    return inserted is not None


def forget_before(svc: Services, cutoff: dt.datetime) -> int:
    """Delete the records of updates received before `cutoff`; how many."""
    with svc.uow() as uow:
        result = uow.session.execute(
            delete(TelegramUpdateSeen).where(TelegramUpdateSeen.received_at < cutoff))
        uow.commit()
    return result.rowcount
