"""Rasa's REST channel and /model/parse through the real app."""

import pytest
from fastapi.testclient import TestClient

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
