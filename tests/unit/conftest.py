"""The service layer over a SQLite file with a fake gateway: what most unit tests need."""

import pytest

from dialogs.actions import runtime
from dialogs.engine.transcripts import stored_transcript
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


@pytest.fixture
def services(svc):
    """`svc` as the dialogue actions reach it (dialogs.actions.runtime) during the test."""
    runtime.configure(svc)
    runtime.read_transcripts_with(stored_transcript)
    yield svc
    runtime.configure(None)
