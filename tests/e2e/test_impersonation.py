"""Impersonation: a REST sender id copying a logged-in Telegram chat's id, a request without the
REST token, and payloads carrying another member's objects all get nothing of that member."""

from __future__ import annotations

import json
import random

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.http.app import create_app
from services import sessions
from services.persistence.models import Payment
from services.references import new_reference
from tests.e2e.conftest import RestChat
from tests.e2e.demo_members import demo_member
from tests.e2e.offered_payloads import payloads_with_ids

TOKEN = "rest-token-0123456789"


def leaks(text: str, member, sent: str = "") -> set[str]:
    """What of `member` the reply shows, beyond what the sender typed themselves (a reference
    they made up is echoed back: "I couldn't find HC-... on your account")."""
    return {secret for secret in member.identifying if secret in text and secret not in sent}


def test_a_rest_sender_copying_a_telegram_chat_id_gets_nothing_of_it(http_client,
                                                                     app_runtime):
    svc = app_runtime.services
    alex = demo_member(svc, "alex")
    sessions.link_chat(svc, channel="telegram", chat_id="12345", account_id=alex.account_id)
    copycat = RestChat(http_client, sender="12345")

    for ask in ["/check_balance", "/payment_history", "/manage_payment_methods",
                "/make_payment", "/setup_autopay", "what do I owe?"]:
        copycat.say(ask)
        assert not leaks(copycat.text, alex), ask
        assert "$441.50" not in copycat.text, ask
    assert sessions.current_account_id(svc, channel="rest", chat_id="12345") is None


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer"}, {"Authorization": "Bearer wrong"},
    {"Authorization": f"Basic {TOKEN}"}, {"Authorization": f"Bearer {TOKEN}x"},
    {"Authorization": f"Bearer {TOKEN[:-1]}"}, {"X-Token": TOKEN},
])
def test_without_the_rest_token_nothing_is_answered(app_runtime, headers):
    app_runtime.settings = app_runtime.settings.model_copy(update={"rest_auth_token": TOKEN})
    with TestClient(create_app(app_runtime)) as client:
        body = {"sender": "alex-phone", "message": "/check_balance"}
        response = client.post("/webhooks/rest/webhook", json=body, headers=headers)
        assert response.status_code == 401
        assert "441" not in response.text
        assert client.post(f"/webhooks/rest/webhook?token={TOKEN}", json=body).status_code \
            == 401
        assert client.post("/model/parse", json={"text": "hi"}, headers=headers).status_code \
            == 401


@pytest.mark.parametrize("victim_chat_state", ["fresh", "paying", "anonymous"])
def test_another_members_payloads_get_nothing_of_that_member(http_client, app_runtime,
                                                             victim_chat_state):
    svc = app_runtime.services
    alex = demo_member(svc, "alex")
    payloads = payloads_with_ids(RestChat(http_client, sender="alex-phone"), "alex")
    with svc.uow() as uow:
        alex_payments = dict(uow.session.execute(
            select(Payment.id, Payment.status).where(Payment.account_id == alex.account_id)
        ).all())

    linda = RestChat(http_client, sender="linda-phone")
    if victim_chat_state != "anonymous":
        linda.log_in("linda")
    for payload in payloads:
        if victim_chat_state == "paying":
            linda.say("I want to pay my bill")
        linda.say(payload)
        assert not leaks(linda.text, alex, payload), payload
        for button in linda.buttons:  # and tapping what she is offered next
            linda.say(button["payload"])
            assert not leaks(linda.text, alex, payload), (payload, button)
        linda.say("/cancel")

    with svc.uow() as uow:
        after = dict(uow.session.execute(
            select(Payment.id, Payment.status).where(Payment.account_id == alex.account_id)
        ).all())
        assert after == alex_payments, "nothing of Alex's was made, confirmed or changed"
        lindas_on_alexs_methods = uow.session.scalar(
            select(func.count()).select_from(Payment).where(
                Payment.account_id != alex.account_id,
                Payment.method_id.in_(alex.method_ids.values())))
    assert lindas_on_alexs_methods == 0


def test_another_members_reference_reads_exactly_like_a_made_up_one(http_client, app_runtime):
    alex = demo_member(app_runtime.services, "alex")
    real = sorted(s for s in alex.identifying if s.startswith("HC-"))[0]
    made_up = new_reference(random.Random(8))  # well formed, check character and all
    assert made_up not in real
    linda = RestChat(http_client, sender="linda-phone")
    linda.log_in("linda")

    def reply_about(reference: str) -> list:
        linda.say(f'/payment_missing{{"payment_reference":"{reference}"}}')
        seen = [(r["text"], r["buttons"]) for r in linda.replies]
        linda.say("/cancel")
        return json.loads(json.dumps(seen).replace(reference, "<ref>"))

    assert reply_about(real) == reply_about(made_up)
