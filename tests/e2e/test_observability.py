"""What operators see: /metrics in Prometheus's format counting turns, payments and errors;
/healthz and /readyz; one JSON log line per event, naming the sender and the payment."""

from __future__ import annotations

import dataclasses

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from bot.http.app import create_app
from services import payments
from services.persistence.database import make_engine, make_session_factory
from services.persistence.models import Base
from services.persistence.unit_of_work import UnitOfWork
from tests.e2e.demo_members import demo_member
from tests.log_capture import captured_logs, json_lines

FAMILIES = {
    "healthpay_turns", "healthpay_fallbacks", "healthpay_turn_seconds", "healthpay_turn_failures",
    "healthpay_action_failures", "healthpay_payments", "healthpay_declines",
    "healthpay_autopay_charges", "healthpay_notifications", "healthpay_gateway_errors",
    "healthpay_telegram_errors",
}


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples}


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_lists_every_family(http_client):
    response = http_client.get("/metrics")
    names = {family.name for family in text_string_to_metric_families(response.text)}
    assert FAMILIES <= names
    assert "process_cpu_seconds" in names  # the process's own figures too


def test_a_turn_is_counted_by_intent_and_timed(http_client, rest_chat):
    unsure = ["?", "blorp", "hmm?"]  # the NLU should offer choices for some of these
    before = scrape(http_client)
    rest_chat.say("/greet")
    for text in unsure:
        rest_chat.say(text)
    after = scrape(http_client)

    def grew(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("healthpay_turns_total", channel="rest", intent="greet") == 1
    fallbacks = grew("healthpay_fallbacks_total", channel="rest")
    assert fallbacks > 0
    assert fallbacks == grew("healthpay_turns_total", channel="rest", intent="nlu_fallback")
    assert grew("healthpay_turn_seconds_count") == 1 + len(unsure)


def test_payments_are_counted_by_outcome_and_declines_by_code(http_client, app_runtime):
    svc = app_runtime.services
    alex = demo_member(svc, "alex")
    sam = demo_member(svc, "spatel")
    before = scrape(http_client)
    paid = payments.create_draft(svc, alex.account_id, amount_cents=5_000,
                                 method_id=alex.method_ids["pm_card_visa"])
    payments.confirm_payment(svc, alex.account_id, paid.id)
    declined = payments.create_draft(
        svc, sam.account_id, amount_cents=5_000,
        method_id=sam.method_ids["pm_card_visa_chargeDeclinedInsufficientFunds"])
    payments.confirm_payment(svc, sam.account_id, declined.id)
    after = scrape(http_client)
    assert value(after, "healthpay_payments_total", outcome="succeeded", source="member") == \
        value(before, "healthpay_payments_total", outcome="succeeded", source="member") + 1
    assert value(after, "healthpay_declines_total", code="insufficient_funds") == \
        value(before, "healthpay_declines_total", code="insufficient_funds") + 1


def test_healthz_says_alive(http_client):
    assert http_client.get("/healthz").json() == {"status": "ok"}


def test_readyz_says_ready_on_a_migrated_database(http_client):
    response = http_client.get("/readyz")
    assert response.status_code == 200, response.text


def test_readyz_refuses_when_migrations_are_pending(app_runtime, tmp_path):
    database = make_engine(f"sqlite:///{tmp_path / 'unmigrated.db'}")
    Base.metadata.create_all(database)  # the tables, but no Alembic revision
    sessions = make_session_factory(database)
    app_runtime.services = dataclasses.replace(app_runtime.services,
                                               uow_factory=lambda: UnitOfWork(sessions))
    with TestClient(create_app(app_runtime)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "migrations pending"


def test_readyz_refuses_when_the_database_is_unreachable(app_runtime, tmp_path):
    database = make_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    sessions = make_session_factory(database)
    app_runtime.services = dataclasses.replace(app_runtime.services,
                                               uow_factory=lambda: UnitOfWork(sessions))
    with TestClient(create_app(app_runtime)) as client:
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200


@pytest.fixture
def json_log():
    with captured_logs("INFO") as buffer:
        yield lambda: json_lines(buffer)


def test_each_turn_is_one_json_line_naming_its_sender(rest_chat, json_log):
    rest_chat.say("/greet")
    turns = [line for line in json_log() if line["message"].startswith("turn ")]
    assert len(turns) == 1
    assert turns[0]["sender"] == "rest:member-1"
    assert turns[0]["intent"] == "greet"


def test_a_gateway_timeout_is_logged_with_its_payment_id(app_runtime, json_log, monkeypatch):
    from services.errors import GatewayUnavailable

    svc = app_runtime.services
    alex = demo_member(svc, "alex")
    draft = payments.create_draft(svc, alex.account_id, amount_cents=5_000,
                                  method_id=alex.method_ids["pm_card_visa"])

    def no_answer(request):
        raise GatewayUnavailable("timeout")

    monkeypatch.setattr(svc.gateway, "charge", no_answer)
    payments.confirm_payment(svc, alex.account_id, draft.id)
    [line] = [line for line in json_log() if line.get("payment_id") == draft.id]
    assert line["level"] == "WARNING" and "pending" in line["message"]


def test_a_payments_new_status_is_one_json_line_with_its_id(app_runtime, json_log):
    svc = app_runtime.services
    alex = demo_member(svc, "alex")
    draft = payments.create_draft(svc, alex.account_id, amount_cents=5_000,
                                  method_id=alex.method_ids["pm_card_visa"])
    payments.confirm_payment(svc, alex.account_id, draft.id)
    [line] = [line for line in json_log() if line.get("event") == "payment_moved"]
    assert (line["payment_id"], line["status"], line["source"]) == \
        (draft.id, "succeeded", "member")
    assert line["message"] == f"payment {draft.id} is succeeded"
