"""The fake Bot API refuses what Telegram refuses: its rules on their own (Telegram's API
description, HTML parse mode, currency limits), and through HTTP with Telegram's answer."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.telegram.formatting import to_html
from tests.e2e.fake_bot_api import TOKEN
from tests.e2e.telegram.bot_api_rules import Refused, check_request
from tests.e2e.telegram.telegram_html import HtmlRefused, parse_html


def form(**params) -> dict[str, str]:
    """As python-telegram-bot sends them: strings as they are, the rest as JSON."""
    return {name: value if isinstance(value, str) else json.dumps(value)
            for name, value in params.items()}


def refusal(method: str, **params) -> str:
    with pytest.raises(Refused) as refused:
        check_request(method, form(**params))
    return refused.value.description


@given(st.text())
def test_whatever_the_bot_escapes_telegram_parses_back(text):
    assert parse_html(to_html(text)) == text


@pytest.mark.parametrize("html, reason", [
    ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
    ("x</b>", "Unexpected end tag at byte offset 1"),
    ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
    ("a < b", "Unsupported start tag at byte offset 2"),
    ("Tom & Jerry", "Character '&' is reserved"),
    ("&nbsp;", 'Unsupported HTML entity "&nbsp;"'),
    ("<code><b>x</b></code>", 'Entities can\'t be nested in "code"'),
    ('<span class="x">x</span>', 'Tag "span" must have class "tg-spoiler"'),
    ("<a href=\"https://x.example\"><a href=\"https://y.example\">x</a></a>",
     'Tag "a" can\'t be nested in itself'),
    ('<b onclick="x">x</b>', 'Unsupported attribute "onclick" of tag "b"'),
])
def test_html_telegram_cannot_parse_is_refused(html, reason):
    with pytest.raises(HtmlRefused, match="^can't parse entities: ") as refused:
        parse_html(html)
    assert reason in str(refused.value)


def test_html_telegram_parses():
    assert parse_html('<b>a <i>b</i></b> &lt;&amp;&gt;&quot;&#36;&#x41; '
                      '<pre><code class="language-python">x</code></pre> '
                      '<tg-spoiler>s</tg-spoiler> <a href="https://x.example">l</a>') == \
        'a b <&>"$A x s l'


@pytest.mark.parametrize("method, params, description", [
    ("sendMessage", {"chat_id": 1}, "message text is empty"),
    ("sendMessage", {"chat_id": 1, "text": "<b></b>", "parse_mode": "HTML"},
     "message text is empty"),
    ("sendMessage", {"chat_id": 1, "text": "x" * 4097}, "message is too long"),
    ("sendMessage", {"chat_id": 1, "text": "<b>x" + "&amp;" * 4095 + "</b>",
                     "parse_mode": "HTML"}, None),  # 4,096 after parsing: taken
    ("sendMessage", {"chat_id": 1, "text": "x", "colour": "red"}, 'unknown parameter "colour"'),
    ("sendMessage", {"chat_id": 1, "text": "x", "parse_mode": "html5"}, "unsupported parse_mode"),
    ("sendMessage", {"chat_id": 1, "text": "x", "disable_notification": "yes"},
     'can\'t parse parameter "disable_notification": not Boolean'),
    ("sendMessage", {"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": [[
        {"text": "Go", "callback_data": "k" * 65}]]}}, "BUTTON_DATA_INVALID"),
    ("sendMessage", {"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": [[
        {"text": "Go"}]]}}, "exactly one action"),
    ("sendMessage", {"chat_id": 1, "text": "x", "reply_markup": {"inline_keyboard": [[
        {"text": 5, "callback_data": "k"}]]}},
     'field "reply_markup.inline_keyboard[0][0].text" must be of type String'),
    ("answerCallbackQuery", {"callback_query_id": "q", "text": "x" * 201},
     "message is too long"),
    ("sendInvoice", {"chat_id": 1, "title": "Premium payment", "description": "d",
                     "payload": "p", "provider_token": "t", "currency": "USD",
                     "prices": [{"label": "Premium", "amount": 99}]},
     "CURRENCY_TOTAL_AMOUNT_INVALID"),
    ("sendInvoice", {"chat_id": 1, "title": "Premium payment", "description": "d",
                     "payload": "p", "provider_token": "t", "currency": "USD",
                     "prices": [{"label": "Premium", "amount": 1_000_001}]},
     "CURRENCY_TOTAL_AMOUNT_INVALID"),
    ("sendInvoice", {"chat_id": 1, "title": "x" * 33, "description": "d", "payload": "p",
                     "provider_token": "t", "currency": "USD",
                     "prices": [{"label": "Premium", "amount": 100}]},
     'parameter "title" must be 1-32 characters long'),
    ("sendInvoice", {"chat_id": 1, "title": "t", "description": "d", "payload": "p" * 129,
                     "provider_token": "t", "currency": "USD",
                     "prices": [{"label": "Premium", "amount": 100}]},
     'parameter "payload" must be 1-128 bytes long'),
    ("setWebhook", {"url": "http://bot.example/hook"}, "An HTTPS URL must be provided"),
    ("setWebhook", {"url": "https://bot.example/hook", "secret_token": "a b"},
     "secret token contains unallowed characters"),
    ("setMyCommands", {"commands": [{"command": "Pay", "description": "Pay"}]},
     "BOT_COMMAND_INVALID"),
])
def test_requests_telegram_refuses(method, params, description):
    if description is None:
        check_request(method, form(**params))
        return
    assert description in refusal(method, **params)


def test_an_unknown_method_is_not_found():
    with pytest.raises(Refused) as refused:
        check_request("sendTelepathy", {})
    assert (refused.value.status, refused.value.description) == (404, "Not Found")


def test_values_are_read_by_their_declared_types():
    params = check_request("sendMessage", form(chat_id=42, text="123", reply_markup={
        "inline_keyboard": [[{"text": "Go", "callback_data": "k"}]]}))
    assert params == {"chat_id": 42, "text": "123", "reply_markup": {
        "inline_keyboard": [[{"text": "Go", "callback_data": "k"}]]}}


async def test_the_fake_answers_a_refusal_as_telegram_does(fake_api):
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{fake_api.base_url}{TOKEN}/sendMessage",
                                   data={"chat_id": "1", "text": "<b>unclosed"})
        assert answer.status_code == 200  # no parse_mode: the text is taken as it is
        answer = await client.post(f"{fake_api.base_url}{TOKEN}/sendMessage",
                                   data={"chat_id": "1", "text": "<b>unclosed",
                                         "parse_mode": "HTML"})
    assert answer.status_code == 400
    assert answer.json() == {"ok": False, "error_code": 400, "description":
                             "Bad Request: can't parse entities: Can't find end tag "
                             "corresponding to start tag \"b\""}
    assert fake_api.take_refusals() == [("sendMessage", answer.json()["description"])]


async def test_a_callback_query_is_answered_once_and_in_time(fake_api):
    fake_api.user_says(1, "hi")
    sent = await _call(fake_api, "sendMessage", chat_id="1", text="Pick", reply_markup=json.dumps(
        {"inline_keyboard": [[{"text": "Go", "callback_data": "k"}]]}))
    first = fake_api.user_taps(1, sent["result"]["message_id"], "k")
    assert (await _call(fake_api, "answerCallbackQuery", callback_query_id=first))["ok"]
    again = await _call(fake_api, "answerCallbackQuery", callback_query_id=first)
    fake_api.query_timeout_seconds = 0
    late = fake_api.user_taps(1, sent["result"]["message_id"], "k")
    too_old = await _call(fake_api, "answerCallbackQuery", callback_query_id=late)
    assert again == too_old == {"ok": False, "error_code": 400, "description":
                                "Bad Request: query is too old and response timeout expired "
                                "or query ID is invalid"}
    assert len(fake_api.take_refusals()) == 2


async def _call(api, method: str, **data) -> dict:
    async with httpx.AsyncClient() as client:
        return (await client.post(f"{api.base_url}{TOKEN}/{method}", data=data)).json()
