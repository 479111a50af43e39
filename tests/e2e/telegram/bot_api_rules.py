"""What Telegram refuses, from its own description of the Bot API (bot_api/api.json, version
10.1, copied from the telegram-bot-api-spec project): unknown methods and parameters, missing
required ones, wrong types, lengths past the documented limits ("1-4096 characters",
"1-64 bytes", ...), text Telegram's HTML parse mode cannot parse (telegram_html), and prices
outside a currency's limits (Telegram's currencies.json).

    params = check_request("sendMessage", form)   # decoded as Telegram reads them
    # or Refused(400, "Bad Request: ...")

Requests arrive form-encoded, as python-telegram-bot sends them: every value a string, objects
and arrays as JSON. A value is read by its field's declared types, as Telegram reads it.
Stricter than Telegram in one way: an unknown parameter or object field is refused (Telegram
drops it silently), so a misspelt one fails a test instead of being ignored.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from tests.e2e.telegram.telegram_html import HtmlRefused, parse_html

SPEC_FILE = Path(__file__).parent / "bot_api" / "api.json"
# Telegram's currencies.json, for the currencies HealthPay uses: (min, max) in cents.
CURRENCY_LIMITS = {"USD": (100, 1_000_000)}
PARSE_MODES = frozenset({"HTML", "MarkdownV2", "Markdown"})
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
BOT_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_RANGE = re.compile(r"(\d+)-(\d+) (characters|bytes)")
_ARRAY = "Array of "
# Text fields whose length counts after entity parsing, and the parse_mode that applies.
_PARSED_TEXT = {"text": "parse_mode", "caption": "parse_mode"}
# Telegram's own words where it has them; otherwise a description of the same shape.
_TOO_LONG = {"text": "message is too long", "caption": "message caption is too long",
             "callback_data": "BUTTON_DATA_INVALID"}
_EMPTY = {"text": "message text is empty", "callback_data": "BUTTON_DATA_INVALID"}


class Refused(Exception):
    def __init__(self, description: str, status: int = 400):
        super().__init__(description)
        self.status = status
        self.description = description if status != 400 else f"Bad Request: {description}"


@cache
def spec() -> dict:
    return json.loads(SPEC_FILE.read_text(encoding="utf-8"))


@cache
def _fields_of(kind: str, name: str) -> dict[str, dict] | None:
    """The fields of a method or type by name (None: there is no such method or type)."""
    described = spec()[kind].get(name)
    if described is None:
        return None
    return {field["name"]: field for field in described.get("fields", [])}


def check_request(method: str, form: dict[str, str]) -> dict:
    """The request's parameters as Telegram reads them; Refused when Telegram would not."""
    fields = _fields_of("methods", method)
    if fields is None:
        raise Refused("Not Found", status=404)
    params = {}
    for name, raw in form.items():
        field = fields.get(name)
        if field is None:
            raise Refused(f'unknown parameter "{name}" of {method}')
        params[name] = _read_top_level(name, raw, field["types"])
    for field in fields.values():
        if field["required"] and field["name"] not in params:
            raise Refused(_EMPTY.get(field["name"], f'parameter "{field["name"]}" is required'))
    for name, value in params.items():
        _check_value(name, value, fields[name], params, path=name)
    _check_method_rules(method, params)
    return params


def shown_text(params: dict, name: str = "text") -> str:
    """A text parameter as the member sees it (markup parsed away)."""
    text = params[name]
    return parse_html(text) if params.get(_PARSED_TEXT.get(name, "")) == "HTML" else text


def _read_top_level(name: str, raw: str, types: list[str]):
    """A form value by its declared types: a string stays one; numbers, booleans, objects and
    arrays are JSON."""
    if types == ["String"]:
        return raw
    try:
        value = json.loads(raw)
    except ValueError:
        if "String" in types:
            return raw
        raise Refused(f'can\'t parse parameter "{name}": not {" or ".join(types)}') from None
    if "String" in types and not _matches(value, [t for t in types if t != "String"]):
        return raw  # "123" for a chat id is the number, "@channel" the string
    return value


def _check_value(name: str, value, field: dict, params: dict, *, path: str) -> None:
    types = field["types"]
    if not _matches(value, types):
        raise Refused(f'field "{path}" must be of type {" or ".join(types)}')
    if isinstance(value, str):
        _check_length(name, value, field["description"], params)
    _check_nested(value, types, path)


def _check_nested(value, types: list[str], path: str) -> None:
    for declared in types:
        if declared.startswith(_ARRAY) and isinstance(value, list):
            for index, item in enumerate(value):
                _check_nested(item, [declared.removeprefix(_ARRAY)], f"{path}[{index}]")
            return
        if isinstance(value, dict) and declared in spec()["types"]:
            _check_object(value, declared, path)
            return


def _check_object(value: dict, type_name: str, path: str) -> None:
    described = spec()["types"][type_name]
    subtypes = described.get("subtypes")
    if subtypes:
        errors = []
        for subtype in subtypes:
            try:
                _check_object(value, subtype, path)
                return
            except Refused as error:
                errors.append(error.description)
        raise Refused(f'field "{path}" is not any {type_name}: {errors[0]}'
                      .replace("Bad Request: ", ""))
    fields = _fields_of("types", type_name)
    for name in value:
        if name not in fields:
            raise Refused(f'unknown field "{path}.{name}" of {type_name}')
    for field in fields.values():
        if field["required"] and field["name"] not in value:
            raise Refused(f'field "{path}.{field["name"]}" of {type_name} is required')
    for name, item in value.items():
        _check_value(name, item, fields[name], value, path=f"{path}.{name}")
    if type_name == "InlineKeyboardButton" and len(value) - ("style" in value) - (
            "icon_custom_emoji_id" in value) != 2:
        raise Refused("a button must have exactly one action besides its text")
    if type_name == "BotCommand" and not BOT_COMMAND.fullmatch(value["command"]):
        raise Refused("BOT_COMMAND_INVALID")


def _matches(value, types: list[str]) -> bool:
    return any(_is(value, declared) for declared in types)


def _is(value, declared: str) -> bool:
    if declared.startswith(_ARRAY):
        inner = declared.removeprefix(_ARRAY)
        return isinstance(value, list) and all(_is(item, inner) for item in value)
    if declared == "Integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if declared == "Float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if declared == "Boolean":
        return isinstance(value, bool)
    if declared in ("String", "InputFile"):
        return isinstance(value, str)
    return isinstance(value, dict)  # an object type: its fields are checked on their own


def _check_length(name: str, value: str, description: str, params: dict) -> None:
    found = _RANGE.search(description)
    if found is None:
        return
    low, high, unit = int(found[1]), int(found[2]), found[3]
    if name in _PARSED_TEXT:
        try:
            value = shown_text(params, name)
        except HtmlRefused as error:
            raise Refused(str(error)) from None
        size = len(value.strip().encode("utf-16-le")) // 2
    else:
        size = len(value.encode()) if unit == "bytes" else len(value.encode("utf-16-le")) // 2
    if size < low:
        raise Refused(_EMPTY.get(name, f'parameter "{name}" must be {low}-{high} {unit} long'))
    if size > high:
        raise Refused(_TOO_LONG.get(name, f'parameter "{name}" must be {low}-{high} {unit} '
                                          f"long, not {size}"))


def _check_method_rules(method: str, params: dict) -> None:
    """What api.json says only in words."""
    for name in ("parse_mode",):
        if name in params and params[name] not in PARSE_MODES:
            raise Refused(f"unsupported parse_mode {params[name]!r}")
    if method == "setWebhook":
        url = params["url"]
        if url and not url.startswith("https://"):
            raise Refused("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not SECRET_TOKEN.fullmatch(secret):
            raise Refused("secret token contains unallowed characters")
    if method == "sendInvoice":
        limits = CURRENCY_LIMITS.get(params["currency"])
        if limits is None:
            raise Refused("CURRENCY_INVALID")
        if not params.get("provider_token"):
            raise Refused("PAYMENT_PROVIDER_INVALID")
        total = sum(price["amount"] for price in params["prices"])
        if not params["prices"] or not limits[0] <= total <= limits[1]:
            raise Refused("CURRENCY_TOTAL_AMOUNT_INVALID")
    if method == "editMessageText" and "text" not in params:
        raise Refused(_EMPTY["text"])
    if method == "answerPreCheckoutQuery" and params["ok"] is False and \
            not params.get("error_message"):
        raise Refused("error_message is required when ok is False")
    if method == "getUpdates" and not 1 <= params.get("limit", 100) <= 100:
        raise Refused('parameter "limit" must be 1-100')
