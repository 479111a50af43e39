"""Logs: one JSON object a line (or plain text), and no secrets in either, whoever logs them.

    configure_logging(level="INFO", log_format="json")

A line holds `ts`, `level`, `logger`, `message`, the fields a caller passes as `extra`
(`sender`, `payment_id`, `intent`...) and `exc` for a traceback. The service layer's events
(services.events: a payment's new status, an autopay attempt, a delivery run) are logged a line
each by the `healthpay.events` logger.

Secrets are removed from every record of every logger, libraries' included (httpx logs the
Telegram token inside its request URLs; rasa-sdk logs slot values at DEBUG): the record factory
redacts each record as it is made, before any handler or filter sees it, and the filter on our
handler redacts the `extra` fields, which are set after the factory. What goes:
- card numbers with the expiry and CVC typed next to them, and SSNs in any format the chat
  catches: the engine's own detector (dialogs.engine.nlu.redaction), so logs miss nothing that
  the tracker store and Telegram's deletion catch,
- besides, any run of exactly 9 digits, with or without dashes or spaces (a log has no cue
  words to tell an SSN by),
- the value of a password, SSN, date of birth, security answer, token or key when it comes as
  `name=value` or `"name": "value"`, for these names and every sensitive slot of the domain,
- bearer tokens, Telegram bot tokens, Stripe secret keys and webhook secrets,
- the token of a hosted page's link (method setup, 3-D Secure, Telegram deep links).
A message with a secret in it loses its %-arguments (they are merged into the redacted text)
unless redacting each argument alone was enough.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import yaml

from bot.http.access_log import SECRET_IN_PATH
from bot.settings import PROJECT_ROOT
from services import events
from services.private_files import open_private_for_append

REDACTED = "[redacted]"
SSN_REMOVED = "[ssn removed]"
# Fields our own code logs as identifiers; kept as they are (a Telegram chat id may have 9 digits).
IDENTIFIER_FIELDS = frozenset({"sender", "chat_id", "payment_id", "account_id",
                               "notification_id", "reference", "intent", "action"})
_SECRET_NAMES = (
    "password", "passwd", "pwd", r"new_password\w*", r"current_password\w*", "secret",
    "client_secret", "api_key", "apikey", "access_token", "refresh_token", "token",
    "authorization", "ssn", "social_security_number", "date_of_birth", "dob", "birth_date",
    r"security_answer\w*", "card_number", "cvc", "cvv", "account_number",
)
_VALUE = r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,;&)}\]]+)"""
_FIXED_PATTERNS = [
    (re.compile(r"\b\d{5,12}:[A-Za-z0-9_-]{30,}"), "[telegram token]"),
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+"), rf"\1 {REDACTED}"),
    (re.compile(r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]+|\bwhsec_[A-Za-z0-9]+"), "[stripe key]"),
    (SECRET_IN_PATH, r"\1…"),
    (re.compile(r"([?&]start=)[A-Za-z0-9_-]+"), rf"\1{REDACTED}"),
]
_DIGIT_RUN = re.compile(r"[0-9]+(?:[\s-][0-9]+)*")
# Every attribute a LogRecord has before `extra` is applied.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName", "_healthpay_redacted"}


class Redactor:
    """Removes secrets from text; see the module's docstring for what counts."""

    def __init__(self, sensitive_names: Iterable[str] = ()):
        # Imported here: the engine package is heavy, and `healthpay db upgrade` logs too.
        from dialogs.engine.nlu.redaction import redact_secrets

        self._redact_typed_secrets = redact_secrets
        names = "|".join([*_SECRET_NAMES, *(re.escape(name) for name in sensitive_names)])
        self._pair = re.compile(rf"""(?i)(["']?\b(?:{names})\b["']?\s*[:=]\s*){_VALUE}""")
        # A slot event or SlotSet printed as a dict: {"name": "password", "value": "..."}.
        self._slot = re.compile(
            rf"""(?i)(["']name["']\s*:\s*["'](?:{names})["']\s*,\s*["']value["']\s*:\s*){_VALUE}""")

    def __call__(self, text: str) -> str:
        for pattern, replacement in _FIXED_PATTERNS:
            text = pattern.sub(replacement, text)
        text = self._slot.sub(rf"\1{REDACTED}", text)
        text = self._pair.sub(rf"\1{REDACTED}", text)
        text = self._redact_typed_secrets(text)
        return _DIGIT_RUN.sub(_hide_ssn, text)


def _hide_ssn(run: re.Match) -> str:
    digits = sum(char.isdigit() for char in run.group())
    return SSN_REMOVED if digits == 9 else run.group()


def sensitive_slot_names(path: Path = PROJECT_ROOT / "data" / "sensitive_slots.yml") -> list[str]:
    """The domain's secret slots: their values are redacted wherever they are named."""
    try:
        return list(yaml.safe_load(path.read_text())["sensitive_slots"] or [])
    except (OSError, KeyError, TypeError):
        return []


class RedactSecrets(logging.Filter):
    """Redacts a record in place: its message, arguments, traceback and `extra` fields."""

    def __init__(self, redactor: Redactor):
        super().__init__()
        self._redact = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "_healthpay_redacted", False):
            self.redact_message(record)
        for name, value in list(vars(record).items()):
            if name not in _RECORD_FIELDS and name not in IDENTIFIER_FIELDS \
                    and isinstance(value, str):
                setattr(record, name, self._redact(value))
        return True

    def redact_message(self, record: logging.LogRecord) -> None:
        record._healthpay_redacted = True
        try:
            message = record.getMessage()
        except Exception:  # a caller's bad %-arguments: logging would print them raw
            record.msg, record.args = self._redact(f"{record.msg} {record.args!r}"), None
            message = None
        if message is not None and self._redact(message) != message:
            args = _redact_args(record.args, self._redact)
            if args is not None and _formats_clean(record.msg, args, self._redact):
                record.args = args  # keeps the arguments for formatters that read them
            else:
                record.msg, record.args = self._redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)


def _redact_args(args: Any, redact: Redactor) -> Any:
    if isinstance(args, tuple):
        return tuple(redact(arg) if isinstance(arg, str) else arg for arg in args)
    if isinstance(args, dict):
        return {key: redact(value) if isinstance(value, str) else value
                for key, value in args.items()}
    return None


def _formats_clean(msg: Any, args: Any, redact: Redactor) -> bool:
    try:
        message = str(msg) % args if args else str(msg)
    except Exception:
        return False
    return redact(message) == message


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts, level, logger, message, the `extra` fields, exc."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC)
            .isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update((name, value) for name, value in vars(record).items()
                    if name not in _RECORD_FIELDS)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


class _OurHandler(logging.StreamHandler):
    """The handler configure_logging installs (so a second call replaces it)."""


def configure_logging(level: str = "INFO", log_format: str = "json", *,
                      stream: IO[str] | None = None, path: Path | None = None) -> None:
    """Send every logger's records, redacted, to `stream` (stderr) or the file at `path`; log
    the service layer's events (a payment's new status, an autopay attempt) a line each."""
    events.subscribe(_log_service_event)
    redactor = Redactor(sensitive_slot_names())
    _install_record_factory(RedactSecrets(redactor))
    if path is not None:
        stream = open_private_for_append(path)  # owner-only: logs name members and payments
    handler = _OurHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(redactor))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    if root.level > logging.DEBUG:
        # One line per HTTP request (python-telegram-bot's polling among them) is noise.
        logging.getLogger("httpx").setLevel(logging.WARNING)


_EVENT_LOGGER = logging.getLogger("healthpay.events")
_LOGGED_EVENTS = {"payment_moved": "payment %(payment_id)s is %(status)s",
                  "autopay_charge": "autopay attempt %(outcome)s",
                  "notifications": "delivery run: %(sent)s sent, %(held)s held, "
                                   "%(retried)s to retry, %(failed)s failed"}


def _log_service_event(name: str, fields: dict[str, Any]) -> None:
    if name in _LOGGED_EVENTS:
        _EVENT_LOGGER.info(_LOGGED_EVENTS[name], fields, extra={"event": name, **fields})


def _install_record_factory(redacting: RedactSecrets) -> None:
    current = logging.getLogRecordFactory()
    base = getattr(current, "_healthpay_base", current)

    def make_record(*args, **kwargs) -> logging.LogRecord:
        record = base(*args, **kwargs)
        redacting.redact_message(record)
        return record

    make_record._healthpay_base = base  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make_record)


def reset_logging() -> None:
    """Undo configure_logging (tests)."""
    events.unsubscribe(_log_service_event)
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(handler)
    factory = logging.getLogRecordFactory()
    logging.setLogRecordFactory(getattr(factory, "_healthpay_base", factory))
