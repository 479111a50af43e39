"""Settings Telegram would refuse only at start-up are refused with a clear error before; polling
does not delete a webhook that is set unless asked; members' links follow `serve --port`."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot import cli
from bot.settings import Settings


def settings(**env) -> Settings:
    return Settings(_env_file=None, **env)


@pytest.mark.parametrize("secret", ["a", "webhook-secret_0123456789", "x" * 256])
def test_a_webhook_secret_telegram_takes_is_taken(secret):
    assert settings(TELEGRAM_WEBHOOK_SECRET=secret).telegram_webhook_secret == secret


@pytest.mark.parametrize("secret", ["with space", "per%cent", "dot.ted", "é", "x" * 257])
def test_a_webhook_secret_telegram_refuses_is_refused_clearly(secret):
    with pytest.raises(ValidationError) as refused:
        settings(TELEGRAM_WEBHOOK_SECRET=secret)
    text = cli.settings_errors(refused.value)
    assert "TELEGRAM_WEBHOOK_SECRET must be 1 to 256 characters" in text
    assert "Value error" not in text and secret not in text, "the secret is never shown"


def test_a_webhook_url_must_be_https():
    assert settings(TELEGRAM_WEBHOOK_URL="https://bot.example/telegram/webhook")
    with pytest.raises(ValidationError, match="TELEGRAM_WEBHOOK_URL must be an https://"):
        settings(TELEGRAM_WEBHOOK_URL="http://bot.example/telegram/webhook")


def test_the_command_line_says_what_to_fix_instead_of_a_traceback(monkeypatch, capsys):
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "http://bot.example/telegram/webhook")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "not allowed!")
    assert cli.main(["jobs", "list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("HealthPay's settings need fixing")
    assert "TELEGRAM_WEBHOOK_URL must be an https://" in err
    assert "TELEGRAM_WEBHOOK_SECRET must be" in err and "Traceback" not in err


def test_links_follow_the_port_serve_listens_on():
    chosen = cli.serve_settings(settings(), None, 18731)
    assert chosen.effective_public_base_url == "http://127.0.0.1:18731"
    assert cli.serve_settings(settings(HTTP_PORT=9000), None, None).http_port == 9000
    public = settings(PUBLIC_BASE_URL="https://pay.example")
    assert cli.serve_settings(public, "0.0.0.0", 18731).effective_public_base_url == \
        "https://pay.example"
