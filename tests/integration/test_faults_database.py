"""PostgreSQL goes away in the middle of a turn: every connection of the worker is terminated
by the server (pg_terminate_backend) while the turn holds its conversation's row lock. The
member gets a short apology, nothing of the turn is stored, and the next message is answered on
a new connection."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

from dialogs.engine.domain import ACTION_FAILED_RESPONSE, Domain
from services.persistence.models import ConversationEvent
from tests.engine_fakes import KeywordInterpreter, build_engine, texts

pytestmark = pytest.mark.parametrize("database_url", [
    pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)


class ServerGoesAway(KeywordInterpreter):
    """Understands messages as the keyword interpreter does; while understanding the next one,
    the server terminates every other connection to the database (the worker's included)."""

    def __init__(self, database_url: str):
        super().__init__()
        self._url = database_url
        self.armed = False

    def parse(self, text_: str, *, today=None, language=None) -> dict:
        if self.armed:
            self.armed = False
            admin = create_engine(self._url, poolclass=NullPool)
            with admin.connect() as conn:
                killed = conn.execute(text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
                assert killed >= 1
            admin.dispose()
        return super().parse(text_, today=today)


def user_events(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(ConversationEvent.data["text"].as_string())
                                 .where(ConversationEvent.kind == "user")
                                 .order_by(ConversationEvent.id)))


async def test_a_dropped_connection_mid_turn_gets_an_apology_and_the_next_turn_works(
        engine, database_url, clock):
    interpreter = ServerGoesAway(database_url)
    bot = build_engine(engine, clock=clock, interpreter=interpreter)
    await bot.handle_message("telegram", "42", "hello")
    apology = Domain.load().responses[ACTION_FAILED_RESPONSE][0]["text"]

    interpreter.armed = True
    # Read by the NLU (an escape word like "help" alone is read without it).
    failed = await bot.handle_message("telegram", "42", "help me with my bill")

    assert texts(failed) == [apology]
    assert user_events(engine) == ["hello"], "nothing of the failed turn was stored"
    answered = await bot.handle_message("telegram", "42", "help me with my bill")
    assert texts(answered) and texts(answered) != [apology]
    assert user_events(engine) == ["hello", "help me with my bill"]
