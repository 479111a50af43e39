"""Taking secrets back out of stored events, on SQLite and PostgreSQL: a turn's replacements of
earlier events, and the scheduler's sweep of seals past their time."""

from __future__ import annotations

import datetime as dt

from rasa_sdk.events import SessionStarted, SlotSet, UserUttered
from sqlalchemy import select

from dialogs.engine.seal_purge import purge_expired_seals
from dialogs.engine.sealing import SEALED_KEY
from services.persistence.database import make_session_factory
from services.persistence.models import ConversationEvent
from services.persistence.unit_of_work import UnitOfWork
from tests.engine_fakes import tracker_store

AT = dt.datetime(2026, 11, 17, 15, 0, tzinfo=dt.UTC)


def stored_rows(db_engine) -> list[dict]:
    with db_engine.connect() as conn:
        return list(conn.scalars(select(ConversationEvent.data).order_by(ConversationEvent.seq)))


def sealed_slot(name: str) -> dict:
    return {**SlotSet(name, "[redacted]"), SEALED_KEY: "gAAAA-token"}


async def test_a_turn_replaces_earlier_stored_events_and_later_turns_read_them(engine):
    store = tracker_store(engine)
    async with store.conversation("telegram", "1") as conversation:
        conversation.append([SessionStarted(), UserUttered("Quiet-Lantern-77"),
                             sealed_slot("ssn")], at=AT)
    async with store.conversation("telegram", "1") as conversation:
        conversation.replace(1, UserUttered("[redacted]"))
        conversation.replace(2, dict(SlotSet("ssn", "[redacted]")))
        conversation.append([UserUttered("hi")], at=AT)

    rows = stored_rows(engine)
    assert [row.get("text") for row in rows] == [None, "[redacted]", None, "hi"]
    assert not any(SEALED_KEY in row for row in rows)
    # The next turn, from the session cache or the database, reads the replaced events.
    async with store.conversation("telegram", "1") as conversation:
        assert "Quiet-Lantern-77" not in str(conversation.events)
        assert len(conversation.events) == 4
    assert "Quiet-Lantern-77" not in str(tracker_store(engine).session_events("telegram", "1"))


async def test_the_sweep_removes_only_seals_past_their_time(engine):
    store = tracker_store(engine)
    async with store.conversation("telegram", "1") as conversation:
        conversation.append([SessionStarted(), sealed_slot("ssn")], at=AT)
    async with store.conversation("telegram", "2") as conversation:
        conversation.append([SessionStarted(), sealed_slot("date_of_birth")],
                            at=AT + dt.timedelta(minutes=20))
    session_factory = make_session_factory(engine)

    purged = purge_expired_seals(lambda: UnitOfWork(session_factory),
                                 now=AT + dt.timedelta(minutes=31), ttl_seconds=1800)

    assert purged == 1
    sealed = [row["name"] for row in stored_rows(engine) if SEALED_KEY in row]
    assert sealed == ["date_of_birth"]
    assert purge_expired_seals(lambda: UnitOfWork(session_factory),
                               now=AT + dt.timedelta(hours=1), ttl_seconds=1800) == 1
    assert not any(SEALED_KEY in row for row in stored_rows(engine))
