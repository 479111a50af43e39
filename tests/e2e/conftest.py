"""End-to-end harness: the real app (REST channel, engine, NLU, actions, services, sandbox
gateway) over a test database, at a fixed time, with the demo members seeded.

    def test_something(rest_chat):
        replies = rest_chat.say("hi")             # the bot's messages for one member message
        rest_chat.tap("Make a payment")           # a button of the last reply, by its title
        assert "owe" in rest_chat.text            # all text of the last replies, joined
"""

from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from bot.http.app import create_app
from bot.runtime import Runtime
from bot.settings import Settings
from dialogs.engine import build_engine
from dialogs.engine.domain import DATA_DIR
from services import demo_seed
from services.adapters.clocks import FixedClock
from services.adapters.sandbox_gateway import SandboxGateway
from services.context import Secrets
from services.persistence.database import make_engine, make_session_factory
from services.persistence.migrate import upgrade
from services.policy import load_policy
from tests.conftest import DEFAULT_NOW, build_services
from tests.factories import use_fast_password_hashing
from tests.fakes import RecordingNotifier

DEMO_PASSWORD = "Premium-Demo-2026"


@pytest.fixture(scope="session")
def interpreter(tmp_path_factory):
    """The real NLU, trained once per test run (cached by the data's hash)."""
    from dialogs.engine.languages import load_languages
    from dialogs.engine.nlu import NluInterpreter

    languages = load_languages([DATA_DIR / "languages"])
    return NluInterpreter.load(nlu_path=DATA_DIR / "nlu.yml",
                               cache_dir=tmp_path_factory.mktemp("nlu-cache"),
                               extra_nlu_paths=[language.nlu_path for language
                                                in languages.values() if language.nlu_path])


E2E_SECRETS = Secrets(ssn_hash_key=b"e2e-ssn-key-0123456789abcdef", session_key=b"e2e-session")


def _services(engine, clock, notifier=None):
    gateway = SandboxGateway(make_session_factory(engine), clock)
    return build_services(engine, gateway=gateway, clock=clock, policy=load_policy(),
                          secrets=E2E_SECRETS, notifier=notifier)


@pytest.fixture(scope="session")
def seeded_database(tmp_path_factory):
    """A migrated SQLite database with the demo members, made once and copied for each test
    (seeding through the real use cases takes a while)."""
    path = tmp_path_factory.mktemp("seeded") / "demo.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    with pytest.MonkeyPatch.context() as monkeypatch:
        use_fast_password_hashing(monkeypatch)
        demo_seed.seed(_services(engine, FixedClock(DEFAULT_NOW)))
    engine.dispose()
    return path


@pytest.fixture
def e2e_engine(seeded_database, tmp_path):
    path = tmp_path / "healthpay.db"
    shutil.copyfile(seeded_database, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@pytest.fixture
def app_runtime(e2e_engine, clock, interpreter, monkeypatch, tmp_path):
    """A Runtime like `healthpay serve` builds, on a copy of the seeded demo database."""
    use_fast_password_hashing(monkeypatch)
    notifier = RecordingNotifier()
    services = _services(e2e_engine, clock, notifier)
    dialogue = build_engine(services, data_dir=DATA_DIR, interpreter=interpreter)
    # Conversations here run faster than anyone types: the REST rate limits have tests of
    # their own (test_rest_channel.py) and are off for the rest.
    settings = Settings(HEALTHPAY_VAR_DIR=tmp_path, REST_AUTH_TOKEN="",
                        REST_SENDER_RATE_PER_MINUTE=0, REST_CLIENT_RATE_PER_MINUTE=0)
    return Runtime(settings=settings, services=services, engine=dialogue)


class RestChat:
    """One member talking through Rasa's REST channel."""

    def __init__(self, client: TestClient, sender: str):
        self.client = client
        self.sender = sender
        self.replies: list[dict] = []

    def say(self, text: str) -> list[dict]:
        response = self.client.post("/webhooks/rest/webhook",
                                    json={"sender": self.sender, "message": text})
        assert response.status_code == 200, response.text
        self.replies = response.json()
        return self.replies

    def tap(self, title: str) -> list[dict]:
        """Tap the button titled `title` (case-insensitive prefix) in the last replies."""
        for button in self.buttons:
            if button["title"].lower().startswith(title.lower()):
                return self.say(button["payload"])
        raise AssertionError(f"no button {title!r} in {[b['title'] for b in self.buttons]}")

    @property
    def text(self) -> str:
        return "\n".join(reply.get("text") or "" for reply in self.replies)

    @property
    def buttons(self) -> list[dict]:
        return [button for reply in self.replies for button in reply.get("buttons") or []]

    @property
    def deleted(self) -> bool:
        return any((reply.get("custom") or {}).get("delete_user_message")
                   for reply in self.replies)

    def log_in(self, username: str, password: str = DEMO_PASSWORD) -> None:
        self.say("/log_in")
        self.say(username)
        self.say(password)


@pytest.fixture
def http_client(app_runtime):
    with TestClient(create_app(app_runtime)) as client:
        yield client


@pytest.fixture
def rest_chat(http_client):
    return RestChat(http_client, sender="member-1")


@pytest.fixture
def another_chat(http_client):
    return RestChat(http_client, sender="member-2")
