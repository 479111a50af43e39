"""After a whole run that enters passwords, an SSN, a date of birth, security answers and card
numbers — opening an account, logging in, a forgotten password, a card number typed in chat and
one typed on the hosted page — none of them is in clear in the logs (JSON, DEBUG, libraries
included), in any text or JSON column of any table (conversation events, audit, support
requests with their transcripts...), or in the tracker's events. Secrets typed in the wrong place
too: an SSN in chat, a card number with odd separators, a password typed at the username prompt
after a failed log-in, a password retyped at the security question chooser. And no sealed
answer is left in conversation_events once the forms that needed them have ended.

The enrollment's own date of birth is the exchange's record, kept in a DATE column to match
identities against: that is what the member's answer is checked with, not a copy of it.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import JSON, MetaData, String, Text, select

from dialogs.engine.sealing import SEALED_KEY
from services import payment_methods, sessions
from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.demo_members import demo_member
from tests.log_capture import captured_logs

SSN, DOB = "555-12-3456", "04/12/1990"
WEAK_PASSWORD, PASSWORD = "password123", "Quiet-Lantern-Harbor-77"
NEW_PASSWORD, WRONG_PASSWORD = "Second-Quiet-Lantern-88", "Wrong-Lantern-Guess-55"
ANSWERS = ("Biscuit the beagle", "Maplewood Avenue")
CHAT_CARD, PAGE_CARD = "4000 0566 5566 5556", "5555555555554444"
ODD_CARD = "4000  0566/5566_5556"
SECRETS = {
    "SSN": [SSN, SSN.replace("-", ""), SSN.replace("-", " ")],
    "date of birth": [DOB, "1990-04-12", "04121990"],
    "password": [WEAK_PASSWORD, PASSWORD, NEW_PASSWORD, WRONG_PASSWORD, DEMO_PASSWORD],
    "security answer": [*ANSWERS, *(answer.lower() for answer in ANSWERS)],
    "card number": [CHAT_CARD, CHAT_CARD.replace(" ", ""), PAGE_CARD, ODD_CARD,
                    " ".join(re.findall("....", PAGE_CARD))],
}


@pytest.fixture
def log_buffer():
    with captured_logs("DEBUG") as buffer:
        yield buffer


def open_account(chat) -> None:
    chat.say("I'd like to create an account")
    for answer in ("Jordan Lee", DOB, SSN, "jordan.lee", WEAK_PASSWORD, PASSWORD):
        chat.say(answer)
    chat.say(PASSWORD)  # once more, at the question chooser: not a question
    assert chat.deleted and "Pick a security question" in chat.text
    for number, answer in enumerate(ANSWERS):
        chat.tap(chat.buttons[0]["title"] if number else
                 next(b["title"] for b in chat.buttons if "pet" in b["title"]))
        chat.say(answer)
    assert "Your account is ready, Jordan" in chat.text, chat.text


def reset_password(chat) -> None:
    chat.say("I forgot my password")
    for answer in ("jordan.lee", DOB, SSN[-4:], ANSWERS[0], NEW_PASSWORD):
        chat.say(answer)
    assert "Your password is changed" in chat.text, chat.text


def type_the_password_at_the_username_prompt_then_fail_the_log_in(chat) -> None:
    chat.say("/log_in")
    chat.say(NEW_PASSWORD)  # the password a step early: taken for a username
    chat.say(NEW_PASSWORD)
    assert "don't match" in chat.text, chat.text
    chat.say("/cancel")


def add_card_on_the_hosted_page(client, svc, account_id: int) -> None:
    path = urlsplit(payment_methods.create_setup_token(svc, account_id)).path
    page = client.get(path)
    field = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    saved = client.post(path, data={"kind": "card", "number": PAGE_CARD, "expiry": "12/30",
                                    "cvc": "737", "postal_code": "02108", "csrf_token": field})
    assert saved.status_code == 200, saved.text


def every_text_value(engine) -> list[tuple[str, str]]:
    """(table.column, value) for every string, text and JSON value in the database."""
    metadata = MetaData()
    metadata.reflect(engine)
    found = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if not columns:
                continue
            for row in conn.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    if value is not None:
                        found.append((f"{table.name}.{column.name}",
                                      value if isinstance(value, str) else json.dumps(value)))
    return found


def test_no_secret_entered_in_a_whole_run_is_kept_in_clear(rest_chat, another_chat,
                                                           http_client, app_runtime,
                                                           e2e_engine, log_buffer):
    svc = app_runtime.services
    open_account(rest_chat)
    rest_chat.say(f"my card is {CHAT_CARD} exp 12/30")
    assert rest_chat.deleted
    rest_chat.say(f"or this one {ODD_CARD}")
    assert rest_chat.deleted
    rest_chat.say(f"my social is {SSN.replace('-', ' ')}")
    assert rest_chat.deleted and "Social Security number" in rest_chat.text
    rest_chat.say("/log_out")
    reset_password(rest_chat)
    rest_chat.say("/log_out")  # the reset logged the chat in
    type_the_password_at_the_username_prompt_then_fail_the_log_in(rest_chat)
    rest_chat.log_in("jordan.lee", NEW_PASSWORD)
    assert "Welcome back" in rest_chat.text
    jordan = sessions.current_account_id(svc, channel="rest", chat_id=rest_chat.sender)
    add_card_on_the_hosted_page(http_client, svc, jordan)
    rest_chat.say("talk to a person")  # a transcript of all this goes to the staff
    assert "support request" in rest_chat.text
    another_chat.log_in("alex", DEMO_PASSWORD)
    another_chat.say("/check_balance")
    assert demo_member(svc, "alex").account_id == sessions.current_account_id(
        svc, channel="rest", chat_id=another_chat.sender)

    logs = log_buffer.getvalue()
    assert '"logger": "dialogs.engine.engine"' in logs, "the run was logged, at DEBUG"
    database = every_text_value(e2e_engine)
    assert any(place.startswith("conversation_events.") for place, _ in database)
    assert any(place.startswith("support_requests.transcript") for place, _ in database)
    tracker = json.dumps([app_runtime.engine._store.session_events("rest", sender,
                                                                   all_sessions=True)
                          for sender in (rest_chat.sender, another_chat.sender)])
    # What members typed that is no secret is there to be found: the greps can see.
    assert "Jordan Lee" in tracker
    assert any("jordan.lee" in value for _, value in database)
    found = []
    for kind, forms in SECRETS.items():
        for secret in forms:
            if secret in logs:
                found.append(f"{kind} {secret!r} in the logs")
            found += [f"{kind} {secret!r} in {place}" for place, value in database
                      if secret in value]
            if secret in tracker:
                found.append(f"{kind} {secret!r} in the tracker")
    # The forms that needed sealed answers have ended: no seal is left in storage.
    found += [f"a sealed answer in {place}" for place, value in database
              if place.startswith("conversation_events.") and f'"{SEALED_KEY}"' in value]
    assert not found, "\n".join(found)
