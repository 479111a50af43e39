"""Shared fixtures: a fresh database per test on SQLite and, where a server answers, PostgreSQL.

PostgreSQL tests use DATABASE_URL (default: the local test server). Each test run creates its
own database, so two runs on one server never see each other's rows. Outside CI they skip with
the reason when no server answers; under CI (CI=true) they fail instead of skipping.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest
from sqlalchemy import MetaData, create_engine, text

from services.adapters.clocks import FixedClock
from services.context import Secrets, ServiceConfig, Services
from services.persistence.database import make_engine, make_session_factory
from services.persistence.models import Base
from services.persistence.unit_of_work import UnitOfWork
from services.policy import load_policy

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# A Tuesday in November, before the 23rd, in the exchange's afternoon.
DEFAULT_NOW = dt.datetime(2026, 11, 17, 15, 0, tzinfo=dt.UTC)


def _postgres_admin_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgresql") else DEFAULT_PG_URL


@pytest.fixture(scope="session")
def postgres_url():
    """A throw-away PostgreSQL database for this test run, dropped at the end."""
    admin_url = _postgres_admin_url()
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "no server"
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL must run under CI but did not answer: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {admin_url}: {exc.__class__.__name__}")
    name = f"healthpay_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = admin_url.rpartition("/")
    yield f"{base}/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """Run the test once on SQLite and once on PostgreSQL, each time on an empty schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'healthpay.db'}"
    return emptied(request.getfixturevalue("postgres_url"))


def emptied(url: str) -> str:
    """`url`'s database with every table dropped. Reflect rather than use the models:
    alembic_version and any leftovers go too."""
    engine = create_engine(url)
    existing = MetaData()
    existing.reflect(engine)
    existing.drop_all(engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path):
    """For fast unit tests that only need some database."""
    engine = make_engine(f"sqlite:///{tmp_path / 'unit.db'}")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def clock():
    return FixedClock(DEFAULT_NOW)


@pytest.fixture
def policy():
    return load_policy()


@pytest.fixture
def secrets():
    return Secrets(ssn_hash_key=b"test-ssn-key-0123456789abcdef", session_key=b"test-session-key")


def build_services(engine, *, gateway, clock, policy, secrets, config=None, notifier=None):
    session_factory = make_session_factory(engine)
    return Services(
        uow_factory=lambda: UnitOfWork(session_factory),
        gateway=gateway,
        clock=clock,
        config=config or ServiceConfig(),
        policy=policy,
        secrets=secrets,
        notifier=notifier,
    )
