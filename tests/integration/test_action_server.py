"""Actions on a real rasa-sdk action server (run_action_server, in a subprocess) give the same
conversation as actions run in-process: the same JSON goes out, the same replies come back."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from dialogs.actions import runtime
from dialogs.engine.action_runner import HttpActionRunner, InProcessActionRunner
from dialogs.engine.transcripts import stored_transcript
from tests.conftest import build_services
from tests.engine_fakes import build_engine
from tests.fakes import FakeGateway

ROOT = Path(__file__).resolve().parents[2]
# Nobody is logged in: saving reminder settings asks for a log-in, which "cancel" leaves.
CONVERSATION = ["hi", "remind me", "yes", "when are premiums due?", "45", "7, 3 and 1",
                "9pm to 9pm", "9pm to 8am", "cancel", "thanks", "remind me", "no", "cancel",
                "remind me", "cancel", "cancel", "hmm what about that", "/help"]

# The server process builds its own services with the tests' clock, as `healthpay actions`
# builds them from settings.
SERVER = textwrap.dedent("""
    import sys
    from services.adapters.clocks import FixedClock
    from services.context import Secrets, ServiceConfig, Services
    from services.persistence.database import make_engine, make_session_factory
    from services.persistence.models import Base
    from services.persistence.unit_of_work import UnitOfWork
    from services.policy import load_policy
    from dialogs.engine.action_server import run_action_server
    from tests.conftest import DEFAULT_NOW
    from tests.fakes import FakeGateway

    port, database = int(sys.argv[1]), sys.argv[2]
    database_engine = make_engine(database)
    Base.metadata.create_all(database_engine)  # actions read sessions from the database
    sessions = make_session_factory(database_engine)
    services = Services(uow_factory=lambda: UnitOfWork(sessions), gateway=FakeGateway(),
                        clock=FixedClock(DEFAULT_NOW), config=ServiceConfig(),
                        policy=load_policy(), secrets=Secrets(b"k", b"s"))
    run_action_server(port, services=services)
""")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def action_server(tmp_path_factory):
    port = free_port()
    database = f"sqlite:///{tmp_path_factory.mktemp('actions') / 'actions.db'}"
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port), database], cwd=ROOT,
                              env={**os.environ, "PYTHONPATH": str(ROOT)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"action server did not start: {server.stderr.read().decode()[-2000:]}")
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}/webhook"
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def services(engine, clock, policy, secrets):
    svc = build_services(engine, gateway=FakeGateway(), clock=clock, policy=policy,
                         secrets=secrets)
    runtime.configure(svc)
    runtime.read_transcripts_with(stored_transcript)
    yield svc
    runtime.configure(None)


async def replies(db_engine, clock, runner, sender: str) -> list:
    bot = build_engine(db_engine, clock=clock, runner=runner, seed=3)
    turns = []
    for text in CONVERSATION:
        result = await bot.handle_message("console", sender, text)
        turns.append((text, result))
    return turns


async def test_the_action_server_gives_the_same_conversation(engine, clock, services,
                                                             action_server):
    http = HttpActionRunner(action_server)
    try:
        over_http = await replies(engine, clock, http, sender="over-http")
    finally:
        await http.aclose()
    in_process = await replies(engine, clock, InProcessActionRunner(), sender="in-process")

    assert over_http == in_process
    said = [message.text for _, result in in_process for message in result.messages]
    assert any(text.startswith("Premiums are due on the 23rd") for text in said)
    assert any(text.startswith("Your reminder settings are kept on your account") for text in said)


async def test_the_action_server_registers_the_domains_actions(action_server):
    async with httpx.AsyncClient() as client:
        listed = (await client.get(action_server.replace("/webhook", "/actions"))).json()

    assert {item["name"] for item in listed} == InProcessActionRunner().action_names()


async def test_an_unreachable_action_server_gets_the_member_an_apology(engine, clock, services):
    http = HttpActionRunner(f"http://127.0.0.1:{free_port()}/webhook", timeout=2)
    bot = build_engine(engine, clock=clock, runner=http)
    try:
        result = await bot.handle_message("console", "1", "cancel")
        again = await bot.handle_message("console", "1", "hi")
    finally:
        await http.aclose()

    assert [m.text for m in result.messages] == [
        "Sorry, something went wrong on our side. Please try again, or type *help*."]
    assert len(again.messages) == 2
