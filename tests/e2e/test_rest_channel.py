"""Rasa's REST channel and /model/parse through the real app."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.http.app import create_app


def test_greeting_offers_the_help_menu(rest_chat):
    replies = rest_chat.say("hi")
    assert replies[0]["recipient_id"] == "member-1"
    assert "Make a payment" in [button["title"] for button in rest_chat.buttons]


def test_reminder_form_with_a_question_inside_then_cancel(rest_chat):
    rest_chat.say("I want reminders before my premium is due")
    rest_chat.tap("Yes")
    assert "How many days" in rest_chat.text
    rest_chat.say("/cancel")
    assert rest_chat.buttons, "after cancelling, the member gets choices of what to do next"


def test_a_card_number_is_never_echoed_and_the_message_is_deleted(rest_chat):
    rest_chat.say("my card is 4242 4242 4242 4242")
    assert rest_chat.deleted
    assert "4242 4242 4242 4242" not in rest_chat.text
    assert "card number" in rest_chat.text.lower()


@pytest.mark.parametrize("body", [
    b"", b"{", b"[]", b'{"sender": "x"}', b'{"message": "hi"}',
    b'{"sender": "", "message": "hi"}', b'{"sender": "a b", "message": "hi"}',
])
def test_malformed_requests_get_a_4xx_json_error(http_client, body):
    response = http_client.post("/webhooks/rest/webhook", content=body,
                                headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500
    assert response.json()


def test_a_message_over_4096_characters_is_refused(http_client):
    response = http_client.post("/webhooks/rest/webhook",
                                json={"sender": "s1", "message": "a" * 4097})
    assert response.status_code == 422


def test_model_parse_returns_rasa_parse_format(http_client):
    parse = http_client.post("/model/parse", json={"text": "I want to pay $120"}).json()
    assert parse["intent"]["name"] == "make_payment"
    assert {"text", "intent", "intent_ranking", "entities"} <= parse.keys()
    assert any(e["entity"] == "amount" and e["value"] == 12000 for e in parse["entities"])


def test_model_parse_never_echoes_a_card_number(http_client):
    parse = http_client.post("/model/parse", json={"text": "4000 0000 0000 0002"}).json()
    assert "4000 0000 0000 0002" not in str(parse)


def test_a_token_is_required_when_configured(app_runtime):
    app_runtime.settings = app_runtime.settings.model_copy(
        update={"rest_auth_token": "s3cret-token"})
    with TestClient(create_app(app_runtime)) as client:
        message = {"sender": "s1", "message": "hi"}
        assert client.post("/webhooks/rest/webhook", json=message).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert client.post("/webhooks/rest/webhook", json=message,
                           headers=wrong).status_code == 401
        assert client.post("/model/parse", json={"text": "hi"}).status_code == 401
        right = {"Authorization": "Bearer s3cret-token"}
        assert client.post("/webhooks/rest/webhook", json=message,
                           headers=right).status_code == 200


def test_serve_refuses_a_public_address_without_a_token():
    from bot.http_server import check_bind_allowed

    with pytest.raises(SystemExit):
        check_bind_allowed("0.0.0.0", "")
    check_bind_allowed("0.0.0.0", "token")
    check_bind_allowed("127.0.0.1", "")


# --- who may post, and how often -------------------------------------------------------------


def app_with(app_runtime, **settings) -> TestClient:
    app_runtime.settings = app_runtime.settings.model_copy(update=settings)
    return TestClient(create_app(app_runtime))


def test_a_signed_sender_is_required_when_a_sender_secret_is_set(app_runtime):
    from bot.http.rest_channel import SIGNATURE_HEADER, sender_signature

    with app_with(app_runtime, rest_sender_secret="front-end-secret") as client:
        message = {"sender": "alice", "message": "hi"}
        assert client.post("/webhooks/rest/webhook", json=message).status_code == 401
        forged = {SIGNATURE_HEADER: sender_signature("front-end-secret", "bob")}
        assert client.post("/webhooks/rest/webhook", json=message,
                           headers=forged).status_code == 401
        signed = {SIGNATURE_HEADER: sender_signature("front-end-secret", "alice")}
        assert client.post("/webhooks/rest/webhook", json=message,
                           headers=signed).status_code == 200


def test_one_sender_over_its_rate_gets_429_with_retry_after(app_runtime):
    with app_with(app_runtime, rest_sender_rate_per_minute=3) as client:
        answers = [client.post("/webhooks/rest/webhook", json={"sender": "s1", "message": "hi"})
                   for _ in range(4)]
        assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
        assert 1 <= int(answers[-1].headers["retry-after"]) <= 60
        other = client.post("/webhooks/rest/webhook", json={"sender": "s2", "message": "hi"})
        assert other.status_code == 200, "another sender has its own allowance"


def test_one_client_address_over_its_rate_gets_429_whatever_senders_it_uses(app_runtime):
    with app_with(app_runtime, rest_client_rate_per_minute=3) as client:
        statuses = [client.post("/webhooks/rest/webhook",
                                json={"sender": f"new-{number}", "message": "hi"}).status_code
                    for number in range(4)]
        assert statuses == [200, 200, 200, 429]
        parse = client.post("/model/parse", json={"text": "hi"})
        assert parse.status_code == 429 and "retry-after" in parse.headers


@pytest.mark.parametrize("path, body", [
    ("/webhooks/rest/webhook", b'{"sender": "s1", "message": "hi \\ud800"}'),
    ("/webhooks/rest/webhook", b'{"sender": "s\\udc00", "message": "hi"}'),
    ("/model/parse", b'{"text": "\\udfff pay"}'),
])
def test_a_lone_surrogate_is_refused_with_a_4xx_not_a_500(app_runtime, path, body):
    with TestClient(create_app(app_runtime), raise_server_exceptions=False) as client:
        response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert "input" not in response.json()["detail"][0], "a refusal never echoes the input"


def test_api_docs_are_off_unless_enabled(app_runtime):
    with TestClient(create_app(app_runtime)) as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path).status_code == 404
    with app_with(app_runtime, api_docs_enabled=True) as client:
        assert client.get("/openapi.json").status_code == 200
        assert client.get("/docs").status_code == 200


@pytest.mark.parametrize("token_settings, token", [
    ({"rest_auth_token": "rest-token"}, "rest-token"),
    ({"rest_auth_token": "rest-token", "metrics_token": "scrape-token"}, "scrape-token"),
])
def test_metrics_need_the_token_when_one_is_set(app_runtime, token_settings, token):
    with app_with(app_runtime, **token_settings) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code \
            == 401
        scraped = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert scraped.status_code == 200 and "healthpay_" in scraped.text


def test_a_strangers_hi_is_not_kept_for_ever(http_client, app_runtime, clock):
    from bot.scheduler import job_context, run_job
    from services.persistence.models import Conversation

    def conversations() -> set[str]:
        with app_runtime.services.uow() as uow:
            return set(uow.session.scalars(select(Conversation.sender_id)))

    for number in range(3):
        http_client.post("/webhooks/rest/webhook", json={"sender": f"new-{number}",
                                                         "message": "hi"})
    assert {"new-0", "new-1", "new-2"} <= conversations()
    clock.advance(days=31)
    run_job("apply_retention", job_context(app_runtime.services, sender=None,
                                           settings=app_runtime.settings))
    assert not {"new-0", "new-1", "new-2"} & conversations()
