"""A worker's connection pools hold the same number of connections from start-up on: the kept
ones (DB_POOL_SIZE) are opened at once, named in pg_stat_activity, and ones opened beyond them
under a burst are closed when given back."""

from __future__ import annotations

from contextlib import ExitStack

import pytest
from sqlalchemy import create_engine, text

from bot.bootstrap import build_pools
from bot.settings import Settings


def pools_for(url: str, *, kept: int = 3, overflow: int = 2):
    return build_pools(Settings(DATABASE_URL=url, DB_POOL_SIZE=kept, DB_MAX_OVERFLOW=overflow))


def connections_by_name(url: str) -> dict[str, int]:
    """This database's connections in pg_stat_activity, by application_name."""
    admin = create_engine(url)
    try:
        with admin.connect() as conn:
            return dict(conn.execute(text(
                "select application_name, count(*) from pg_stat_activity "
                "where datname = current_database() and pid <> pg_backend_pid() "
                "group by application_name")).all())
    finally:
        admin.dispose()


def test_the_kept_connections_are_open_from_the_start(database_url):
    pools = pools_for(database_url)
    try:
        pools.open_kept()
        assert [(name, engine.pool.checkedin()) for name, engine in pools.items()] \
            == [("services", 3), ("chat_state", 3)]
        if database_url.startswith("postgresql"):
            assert connections_by_name(database_url) == {"healthpay-services": 3,
                                                         "healthpay-chat-state": 3}
    finally:
        for _, engine in pools.items():
            engine.dispose()


@pytest.mark.postgres
def test_connections_opened_beyond_the_kept_ones_are_closed_when_given_back(postgres_url):
    pools = pools_for(postgres_url)
    try:
        pools.open_kept()
        with ExitStack() as held:  # a burst: every connection the pool may open
            for _ in range(5):
                held.enter_context(pools.services.connect())
            assert connections_by_name(postgres_url)["healthpay-services"] == 5
        assert connections_by_name(postgres_url) == {"healthpay-services": 3,
                                                     "healthpay-chat-state": 3}
    finally:
        for _, engine in pools.items():
            engine.dispose()
