"""Structured logs: one JSON object a line, and no secret gets through, whoever logs it."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot.logging_setup import Redactor
from tests.log_capture import captured_logs, json_lines

CARD = "4242 4242 4242 4242"
SSN = "123-45-6789"
PASSWORD = "Blue-Harbor-42"
TELEGRAM_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
STRIPE_KEY = "sk_live_51HxYzAbCdEfGhIjKlMnOp"
WEBHOOK_SECRET = "whsec_AbCdEf0123456789"
SETUP_TOKEN = "Zq3xV9-kLm2PqR8sT4uW"


LIBRARY_LOGGERS = ["httpx", "telegram.ext.Updater", "rasa_sdk.forms",
                   "sqlalchemy.engine.Engine", "uvicorn.error", "uvicorn.access"]


@pytest.fixture
def log_lines():
    """Logging configured as `healthpay` does, into a buffer; the lines written so far. The
    libraries' loggers start as they are out of the box (an earlier test may have run uvicorn,
    whose own configuration stops its records from reaching the root logger)."""
    touched = [*LIBRARY_LOGGERS, "uvicorn"]
    saved = {name: _state(logging.getLogger(name)) for name in touched}
    for name in touched:
        _restore(logging.getLogger(name), (logging.NOTSET, True, False))
    try:
        with captured_logs() as buffer:
            yield lambda: json_lines(buffer)
    finally:
        for name, state in saved.items():
            _restore(logging.getLogger(name), state)


def _state(logger: logging.Logger) -> tuple[int, bool, bool]:
    return logger.level, logger.propagate, logger.disabled


def _restore(logger: logging.Logger, state: tuple[int, bool, bool]) -> None:
    level, logger.propagate, logger.disabled = state
    logger.setLevel(level)


def test_one_json_object_a_line_with_the_callers_fields(log_lines):
    logging.getLogger("services.payments").warning(
        "gateway did not answer for payment %s", 42,
        extra={"payment_id": 42, "sender": "telegram:123456789"})
    [line] = log_lines()
    assert line["level"] == "WARNING"
    assert line["logger"] == "services.payments"
    assert line["message"] == "gateway did not answer for payment 42"
    assert line["payment_id"] == 42
    assert line["sender"] == "telegram:123456789"  # an identifier, not an SSN
    assert line["ts"].endswith("+00:00")


def test_a_traceback_stays_on_its_line(log_lines):
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("dialogs.engine.engine").exception("action failed")
    [line] = log_lines()
    assert "ValueError: boom" in line["exc"] and "Traceback" in line["exc"]


@pytest.mark.parametrize("logger_name", LIBRARY_LOGGERS[:-1])
@pytest.mark.parametrize(("message", "secret"), [
    (f"my card is {CARD}", CARD),
    ("card 4000056655665556 exp 12/28", "4000056655665556"),
    (f"ssn {SSN}", SSN),
    ("ssn 123 45 6789", "123 45 6789"),
    ("ssn 123456789 given", "123456789"),
    (f"password={PASSWORD}&user=mary", PASSWORD),
    (f'{{"password": "{PASSWORD}", "username": "mary"}}', PASSWORD),
    (f"Validating extracted slots: {{'password': '{PASSWORD}'}}", PASSWORD),
    ("{'event': 'slot', 'name': 'security_answer_1', 'value': 'Rex the dog'}", "Rex the dog"),
    ("date_of_birth=1985-03-14", "1985-03-14"),
    ("Authorization: Bearer s3cret-rest-token", "s3cret-rest-token"),
    (f'HTTP Request: POST https://api.telegram.org/bot{TELEGRAM_TOKEN}/getUpdates "200 OK"',
     TELEGRAM_TOKEN),
    (f"stripe key {STRIPE_KEY}", STRIPE_KEY),
    (f"webhook secret {WEBHOOK_SECRET}", WEBHOOK_SECRET),
    (f"GET /methods/setup/{SETUP_TOKEN} HTTP/1.1", SETUP_TOKEN),
    (f"open https://t.me/healthpay_bot?start={SETUP_TOKEN}", SETUP_TOKEN),
])
def test_every_kind_of_secret_is_redacted_from_any_library(log_lines, logger_name, message,
                                                           secret):
    logging.getLogger(logger_name).warning(message)
    logging.getLogger(logger_name).warning("value: %s", message)  # as an argument too
    text = json.dumps(log_lines())
    assert secret not in text
    assert secret.replace(" ", "") not in text.replace(" ", "")


def test_secrets_in_exceptions_and_extra_fields_are_redacted(log_lines):
    try:
        raise ValueError(f"invalid literal: {SSN!r}")
    except ValueError:
        logging.getLogger("some.library").exception("parsing failed",
                                                    extra={"detail": f"card {CARD}"})
    text = json.dumps(log_lines())
    assert SSN not in text and CARD not in text
    assert "[ssn removed]" in text and "[card number removed]" in text


def test_a_logger_with_its_own_handler_is_redacted_too(log_lines):
    own = io.StringIO()
    library = logging.getLogger("sanic.access.test")
    handler = logging.StreamHandler(own)
    library.addHandler(handler)
    library.propagate = False
    try:
        library.warning("password=%s", PASSWORD)
    finally:
        library.removeHandler(handler)
        library.propagate = True
    assert PASSWORD not in own.getvalue() and "[redacted]" in own.getvalue()


def test_uvicorn_access_records_keep_their_arguments(log_lines):
    record_args = ("127.0.0.1:5000", "GET", f"/methods/setup/{SETUP_TOKEN}", "1.1", 200)
    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', *record_args)
    [line] = log_lines()
    assert SETUP_TOKEN not in line["message"]
    assert line["message"].startswith('127.0.0.1:5000 - "GET /methods/setup/')


def test_bad_arguments_do_not_leak_through_loggings_error_report(log_lines, capsys):
    logging.getLogger("careless").warning("two %s %s", f"password={PASSWORD}")
    assert PASSWORD not in json.dumps(log_lines())
    assert PASSWORD not in capsys.readouterr().err


@pytest.mark.parametrize("message", [
    "turn intent=check_balance actions=['action_check_balance'] in 12.5 ms",
    "member id 100000000001 paid $412.50 on 2026-11-17 15:00:00",
    "payment HC7K3M9Q2D moved to succeeded; 3 notifications sent",
    "reminder days 7, 3 and 1; quiet hours 21-8",
    "127.0.0.1:54321 - \"POST /webhooks/rest/webhook HTTP/1.1\" 200",
])
def test_ordinary_messages_are_left_alone(message):
    assert Redactor()(message) == message


def test_text_format_is_redacted_as_well():
    with captured_logs("INFO", "text") as buffer:
        logging.getLogger("httpx").warning("password=%s", PASSWORD)
    assert PASSWORD not in buffer.getvalue() and "WARNING httpx" in buffer.getvalue()


def test_the_domains_sensitive_slots_are_redacted_by_name():
    redact = Redactor(["favourite_colour_answer"])
    assert "Teal" not in redact("favourite_colour_answer: 'Teal'")
