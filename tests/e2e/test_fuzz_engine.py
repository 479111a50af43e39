"""Property-based fuzzing of the whole conversation (real NLU, rules, forms, actions, services)
for a logged-in member: random sequences of texts — any Unicode, control characters, empty,
10,000 characters, SQL and HTML fragments, emoji — and payloads — valid, malformed, and naming
other members' drafts, methods and payments.

Every turn gets a reply and no action fails; no other member's name, member id, e-mail,
reference, plan or method appears in any reply (beyond what the message itself typed); and
"cancel" always leaves no form active.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import metrics
from dialogs.engine.tracker import Tracker
from services import sessions
from services.persistence.models import Base
from tests.e2e.conftest import RestChat
from tests.e2e.demo_members import demo_member, demo_usernames
from tests.e2e.offered_payloads import payloads_with_ids

ACTING = "linda"
NASTY = [
    "'; DROP TABLE accounts; --", "\" OR 1=1 --", "1; DELETE FROM payments WHERE 1=1",
    "<script>alert(document.cookie)</script>", "<b>bold</b><img src=x onerror=alert(1)>",
    "{{7*7}} ${7*7} %s%s%s%n", "../../../../etc/passwd", "\x00\x01\x02\x1b[31m", "\u202e\u200b",
    "Robert'); DROP TABLE conversations;--", "NaN", "-1", "1e309", "99999999999999999999",
    "$-5.00", "pay $0.001", "pay $100000000", "💳💸🏥🙂", "👨‍👩‍👧‍👦" * 50, "   ", "\n\n\t",
    "a" * 10_000, "",
]
MALFORMED = ["/make_payment{", "/affirm{\"confirm_payment\":", "/inform{}}", "/inform[1,2]",
             "/inform{\"payment_method\": {\"$gt\": 0}}", "/nonexistent_intent{\"a\": 1}",
             "/", "//", "/inform{\"payment_amount\": -100}", "/inform{\"payment_amount\": 1e99}",
             "/affirm{\"confirm_payment\": [1, 2, 3]}", "/inform{\"payment_plan\": null}"]
_senders = itertools.count(1)


def other_members_secrets(svc) -> frozenset[str]:
    return frozenset(secret for username in demo_usernames() if username != ACTING
                     for secret in demo_member(svc, username).identifying)


@pytest.fixture
def world(app_runtime, http_client, e2e_engine):
    """The engine, what must never be shown, and the payloads an impersonator would replay."""
    # Tables added to the models since the seeded database's migration (a no-op after it).
    Base.metadata.create_all(e2e_engine)
    svc = app_runtime.services
    stolen = payloads_with_ids(RestChat(http_client, sender="alex-phone"), "alex")
    return app_runtime, other_members_secrets(svc), stolen


@dataclass(frozen=True)
class Tap:
    """Tap one of the buttons of the bot's last reply (which one: `index` modulo their number):
    this walks deep into the flows, between the garbage."""

    index: int


def messages(stolen: list[str], intents: tuple[str, ...], entities: tuple[str, ...]):
    ids = st.one_of(st.integers(-2, 10**12), st.text(max_size=12), st.none(), st.booleans(),
                    st.lists(st.integers(), max_size=3))
    built = st.builds(lambda intent, entity, value: f"/{intent}{json.dumps({entity: value})}",
                      st.sampled_from(intents), st.sampled_from(entities), ids)
    taps = st.builds(Tap, st.integers(0, 20))
    return st.one_of(
        taps, taps, taps,
        st.sampled_from(["I want to pay my bill", "what do I owe", "set up autopay",
                         "my payment was declined", "I paid but it's not showing"]),
        st.text(max_size=300),  # any Unicode, control characters included
        st.sampled_from(NASTY),
        st.sampled_from(MALFORMED),
        st.sampled_from(stolen),
        built,
        st.sampled_from([f"/{intent}" for intent in intents]),
    )


def shown(result) -> str:
    return "\n".join([m.text or "" for m in result.messages]
                     + [b["title"] + b["payload"] for m in result.messages for b in m.buttons])


def test_random_conversations_never_break_or_leak(world):
    runtime, secrets, stolen = world
    engine, svc = runtime.engine, runtime.services
    linda = demo_member(svc, ACTING)
    domain = engine.domain

    @settings(max_examples=200, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.lists(messages(stolen, domain.intents, domain.entities), min_size=1,
                    max_size=8))
    def conversation(texts: list[str | Tap]) -> None:
        sender = f"fuzz-{next(_senders)}"
        sessions.link_chat(svc, channel="rest", chat_id=sender, account_id=linda.account_id)
        failures = metrics.ACTION_FAILURES.collect()[0].samples
        before = sum(sample.value for sample in failures if sample.name.endswith("_total"))

        buttons: list[dict] = []
        for item in texts:
            text = item if isinstance(item, str) else \
                (buttons[item.index % len(buttons)]["payload"] if buttons else "/help")
            result = asyncio.run(engine.handle_message("rest", sender, text))
            buttons = [b for m in result.messages for b in m.buttons]
            assert result.messages, f"no reply to {text[:80]!r}"
            leaked = {s for s in secrets if s in shown(result) and s not in text}
            assert not leaked, f"{leaked} shown after {text[:80]!r}"

        asyncio.run(engine.handle_message("rest", sender, "/cancel"))
        events = engine._store.session_events("rest", sender)
        assert Tracker(f"rest:{sender}", domain, events).active_loop_name is None, texts
        failures = metrics.ACTION_FAILURES.collect()[0].samples
        after = sum(sample.value for sample in failures if sample.name.endswith("_total"))
        assert after == before, f"an action failed in {texts!r}"

    metrics.install()
    conversation()
