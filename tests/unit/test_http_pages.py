"""Small pieces of the HTTP app: which routes a gateway gets, reading the expiry field, and
access logs without secrets."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from bot.http.access_log import HideLinkSecrets
from bot.http.app import create_app
from bot.http.method_setup_page import _split_expiry
from bot.settings import Settings


@pytest.mark.parametrize("typed, expected", [
    ("04/29", ("04", "29")),
    (" 4 / 2029 ", ("4", "2029")),
    ("04-29", ("04", "29")),
    ("0429", ("04", "29")),
    ("042029", ("04", "2029")),
    ("", ("", "")),
    ("April 2029", ("", "")),
    ("4/2", ("", "")),
])
def test_the_expiry_field_takes_what_members_type(typed, expected):
    assert _split_expiry(typed) == expected


def access_record(path: str) -> logging.LogRecord:
    return logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                             '%s - "%s %s HTTP/%s" %d',
                             ("127.0.0.1:5000", "GET", path, "1.1", 200), None)


@pytest.mark.parametrize("path, shown", [
    ("/methods/setup/Tq3x-9_abc", "/methods/setup/…"),
    ("/methods/setup/Tq3x-9_abc?x=1", "/methods/setup/…?x=1"),
    ("/sandbox/authenticate/pi_sandbox_0a1b", "/sandbox/authenticate/…"),
    ("/methods/setup/done", "/methods/setup/done"),
    ("/methods/setup/cancelled", "/methods/setup/cancelled"),
    ("/methods/setup/doneXYZ", "/methods/setup/…"),
    ("/healthz", "/healthz"),
])
def test_access_logs_never_show_a_links_secret(path, shown):
    record = access_record(path)

    assert HideLinkSecrets().filter(record)

    assert record.getMessage() == f'127.0.0.1:5000 - "GET {shown} HTTP/1.1" 200'


def paths_served(gateway: str, webhook_secret: str = "") -> set[str]:
    runtime = SimpleNamespace(
        settings=Settings(_env_file=None, STRIPE_WEBHOOK_SECRET=webhook_secret),
        services=SimpleNamespace(gateway=SimpleNamespace(name=gateway)))
    return set(create_app(runtime).openapi()["paths"])


def test_the_app_serves_the_pages_and_webhooks_of_its_gateway():
    sandbox, stripe = paths_served("sandbox"), paths_served("stripe", "whsec_x")

    assert {"/methods/setup/{token}", "/sandbox/authenticate/{charge_ref}"} <= sandbox
    assert "/stripe/webhook" not in sandbox
    assert "/stripe/webhook" in stripe and "/methods/setup/done" in stripe
    assert "/methods/setup/{token}" not in stripe
    assert "/stripe/webhook" in paths_served("stripe")  # to say the secret is missing
