"""The service layer over a SQLite file with a fake gateway: what most unit tests need."""

import pytest

from tests.concurrency import ThreadSafeFakeGateway
from tests.conftest import build_services


@pytest.fixture
def gateway():
    """Charges once per idempotency key, even from threads racing each other."""
    return ThreadSafeFakeGateway()


@pytest.fixture
def svc(sqlite_engine, gateway, clock, policy, secrets):
    return build_services(sqlite_engine, gateway=gateway, clock=clock, policy=policy,
                          secrets=secrets)
