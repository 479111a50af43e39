"""What a worker checks before it works: body sizes and the REST token before a body is read,
422s that do not echo the request, readiness that means a turn can be answered, a "busy" reply
rather than a wait for nothing, and its pools and turn queue in /metrics."""

from __future__ import annotations

import dataclasses

from fastapi.testclient import TestClient

from bot.bootstrap import Pools
from bot.http.app import create_app
from dialogs.engine.turn_queue import TurnQueue
from tests.e2e.test_observability import scrape, value

REST = "/webhooks/rest/webhook"


def app_with(app_runtime, **settings) -> TestClient:
    app_runtime.settings = app_runtime.settings.model_copy(update=settings)
    return TestClient(create_app(app_runtime))


def test_a_body_over_the_limit_is_refused_before_it_is_read(app_runtime):
    with app_with(app_runtime, http_max_body_bytes=1000) as client:
        big = {"sender": "member-1", "message": "x" * 2000}
        assert client.post(REST, json=big).status_code == 413
        assert client.post("/stripe/webhook", content=b"{" * 5000).status_code == 413
        assert client.post(REST, json={"sender": "member-1", "message": "hi"}).status_code \
            == 200


def test_a_chunked_body_is_cut_off_at_the_limit(app_runtime):
    def chunks():
        for _ in range(100):
            yield b"x" * 500

    with app_with(app_runtime, http_max_body_bytes=1000) as client:
        response = client.post(REST, content=chunks(),
                               headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_the_rest_token_is_checked_before_the_body_is_parsed(app_runtime):
    with app_with(app_runtime, rest_auth_token="s3cret") as client:
        malformed = client.post(REST, content=b"{not json",
                                headers={"content-type": "application/json"})
        wrong_shape = client.post(REST, json={"nothing": "here"})
        with_token = client.post(REST, json={"sender": "member-1", "message": "hi"},
                                 headers={"authorization": "Bearer s3cret"})
    assert malformed.status_code == 401 and wrong_shape.status_code == 401
    assert with_token.status_code == 200


def test_a_422_does_not_echo_what_was_sent(http_client):
    secret = "4242424242424242 hunter2-password"
    response = http_client.post(REST, json={"sender": "bad sender id!", "message": secret,
                                            "extra": secret})
    assert response.status_code == 422
    assert "hunter2" not in response.text and "4242" not in response.text
    assert "bad sender id" not in response.text
    assert response.json()["detail"][0]["loc"] == ["body", "sender"]


def test_readyz_warms_the_nlu_up_before_it_says_ready(app_runtime):
    assert not app_runtime.engine.warmed_up
    with TestClient(create_app(app_runtime)) as client:
        assert client.get("/readyz").status_code == 200
    assert app_runtime.engine.warmed_up


def test_a_worker_refusing_turns_is_not_ready_and_says_busy(app_runtime):
    app_runtime.engine.turn_queue = TurnQueue(1, max_waiting=0)
    with TestClient(create_app(app_runtime)) as client:
        ready = client.get("/readyz")
        reply = client.post(REST, json={"sender": "member-1", "message": "hi"})
    assert ready.status_code == 503 and ready.json()["turns"] == "busy"
    assert reply.status_code == 200
    assert "busy" in reply.json()[0]["text"]


def test_metrics_show_the_pools_the_turn_queue_and_the_caches(app_runtime, e2e_engine,
                                                             rest_chat):
    runtime = dataclasses.replace(app_runtime, pools=Pools(e2e_engine, e2e_engine))
    with TestClient(create_app(runtime)) as client:
        client.post(REST, json={"sender": "member-9", "message": "hi"})
        samples = scrape(client)
    capacity = e2e_engine.pool.size() + e2e_engine.pool._max_overflow
    assert value(samples, "healthpay_db_pool_connections", pool="services",
                 state="capacity") == capacity
    assert ("healthpay_db_pool_connections",
            (("pool", "chat_state"), ("state", "checked_out"))) in samples
    assert value(samples, "healthpay_turn_queue", state="threads") \
        == runtime.engine.turn_queue.use().threads
    assert value(samples, "healthpay_turn_queue", state="running") == 0
    # The conversation of that turn is kept, within the limits the settings give.
    for cache, limit in (("trackers", runtime.settings.tracker_cache_events),
                         ("sessions", runtime.settings.session_cache_chars)):
        assert value(samples, "healthpay_conversation_cache", cache=cache,
                     measure="conversations") >= 1
        assert 0 < value(samples, "healthpay_conversation_cache", cache=cache,
                         measure="size") <= limit
        assert value(samples, "healthpay_conversation_cache", cache=cache,
                     measure="limit") == limit
