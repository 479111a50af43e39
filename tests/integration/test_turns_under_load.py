"""Issue 17 on SQLite and PostgreSQL: more members at once than a worker has connections.
Turns wait in the turn queue, never for a connection on the event loop, and never fail for
lack of one; each member's messages are answered in the order they were sent."""

from __future__ import annotations

import asyncio

from dialogs.actions import runtime
from dialogs.engine.action_runner import InProcessActionRunner
from dialogs.engine.turn_queue import TurnQueue
from services.persistence.database import make_engine
from tests.conftest import build_services
from tests.engine_fakes import build_engine, texts, tracker_store
from tests.fakes import FakeGateway

MEMBERS = 24
SENT = ("hi", "help", "thanks")


class DatabaseRunner(InProcessActionRunner):
    """Every action also reads from the services' pool, as the real ones do."""

    def __init__(self, services):
        super().__init__()
        self._services = services

    async def run(self, action_call):
        with self._services.uow() as uow:
            uow.session.connection().exec_driver_sql("select 1")
        return await super().run(action_call)


async def test_more_members_than_connections_are_all_answered_in_order(
        database_url, engine, clock, policy, secrets):
    # Two connections a pool, one second to get one: on the event loop this stalled the
    # worker and failed turns ("QueuePool limit ... connection timed out").
    small = {"pool_size": 1, "max_overflow": 1, "pool_timeout": 1}
    services_db = make_engine(database_url, **small)
    chat_db = make_engine(database_url, wait_for_disk=False, **small)
    services = build_services(services_db, gateway=FakeGateway(), clock=clock, policy=policy,
                              secrets=secrets)
    runtime.configure(services)
    worker = build_engine(chat_db, clock=clock, store=tracker_store(chat_db),
                          runner=DatabaseRunner(services), turn_queue=TurnQueue(2))
    store = tracker_store(chat_db)

    async def member(n: int) -> list[str]:
        # All of a member's messages at once, as a client that does not wait would send them.
        results = await asyncio.gather(*(worker.handle_message("rest", f"m{n}", text)
                                         for text in SENT))
        return [texts(result)[0] for result in results]

    try:
        said = await asyncio.gather(*(member(n) for n in range(MEMBERS)))
        stored = [[e["text"] for e in store.session_events("rest", f"m{n}") if e["event"] == "user"]
                  for n in range(MEMBERS)]
    finally:
        runtime.configure(None)
        services_db.dispose()
        chat_db.dispose()

    for replies in said:
        assert not any(reply.startswith("Sorry, something went wrong") for reply in replies)
        assert replies[1] == "Here's what I can help with:"
    assert stored == [list(SENT)] * MEMBERS
