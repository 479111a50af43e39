"""The database connection drops in the middle of a turn: inside an action, while the turn is
stored, and after a payment was charged but before it was recorded. The member gets a short
apology, the conversation goes on with the next message, and nothing is half-written.

A drop is a DBAPI OperationalError raised when one chosen statement is sent, the way the
driver raises it when the server goes away (SQLAlchemy wraps it as it would a real one).
"""

from __future__ import annotations

import contextlib
import sqlite3

from sqlalchemy import event, func, select

from bot import metrics
from services import sessions
from services.persistence.models import AuditEvent, ConversationEvent, Payment
from services.settlement import settle_payments

APOLOGY = "Sorry, something went wrong on our side."


@contextlib.contextmanager
def connection_drops(db_engine, statement_start: str, *, when=lambda parameters: True):
    """The first statement starting with `statement_start` (and whose parameters pass `when`)
    fails as if the server had gone away; yields the list of statements it failed."""
    failed: list[str] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        if not failed and statement.lstrip().upper().startswith(statement_start.upper()) \
                and when(parameters):
            failed.append(statement)
            raise sqlite3.OperationalError("disk I/O error: the connection was lost")

    event.listen(db_engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield failed
    finally:
        event.remove(db_engine, "before_cursor_execute", before_cursor_execute)


def count(svc, query) -> int:
    with svc.uow() as uow:
        return uow.session.scalar(query)


def stored_turns(svc) -> int:
    return count(svc, select(func.count()).select_from(ConversationEvent)
                 .where(ConversationEvent.kind == "user"))


def test_a_drop_inside_an_action_gets_an_apology_and_writes_nothing(rest_chat, app_runtime,
                                                                    e2e_engine):
    svc = app_runtime.services
    rest_chat.log_in("alex")
    audits = count(svc, select(func.count()).select_from(AuditEvent))
    failures = metrics.ACTION_FAILURES.labels(action="action_log_out")._value.get()

    with connection_drops(e2e_engine, "DELETE FROM chat_links") as failed:
        rest_chat.say("/log_out")

    assert failed, "the log-out reached the database"
    assert APOLOGY in rest_chat.text
    # The log-out's transaction was rolled back whole: still logged in, nothing audited.
    assert sessions.current_account_id(svc, channel="rest", chat_id="member-1") is not None
    assert count(svc, select(func.count()).select_from(AuditEvent)) == audits
    assert metrics.ACTION_FAILURES.labels(action="action_log_out")._value.get() == failures + 1
    rest_chat.say("/check_balance")
    assert "$441.50" in rest_chat.text, "the next message works, still logged in"


def test_a_drop_while_the_turn_is_stored_keeps_none_of_it(rest_chat, app_runtime, e2e_engine):
    svc = app_runtime.services
    rest_chat.say("hi")
    turns = stored_turns(svc)

    with connection_drops(e2e_engine, "INSERT INTO conversation_events") as failed:
        rest_chat.say("/help")

    assert failed
    assert [reply["text"] for reply in rest_chat.replies] == [
        "Sorry, something went wrong on our side. Please try again, or type *help*."]
    assert stored_turns(svc) == turns, "no half-stored turn"
    rest_chat.say("/help")  # answered at once: the failed turn gave the conversation back
    assert rest_chat.buttons
    assert stored_turns(svc) == turns + 1


def test_a_drop_after_the_charge_leaves_a_pending_payment_settled_once(rest_chat, app_runtime,
                                                                       e2e_engine, clock):
    svc = app_runtime.services
    rest_chat.log_in("alex")
    charged = svc.gateway.charge_count()
    seeded = count(svc, select(func.max(Payment.id)))
    rest_chat.say("I want to pay my bill")
    rest_chat.tap("Both")
    rest_chat.tap("Pay $441.50")
    rest_chat.tap("Visa")

    # The gateway charges; recording its answer (pending -> succeeded) meets the drop.
    with connection_drops(e2e_engine, "UPDATE payments SET status",
                          when=lambda parameters: "succeeded" in parameters) as failed:
        rest_chat.tap("Confirm")

    assert failed
    assert APOLOGY in rest_chat.text
    assert svc.gateway.charge_count() == charged + 1
    [(payment_id, status)] = payments_since(svc, seeded)
    assert status == "pending", "a known state, with its idempotency key"
    rest_chat.say("/check_balance")
    assert rest_chat.replies, "the conversation goes on"

    clock.advance(minutes=5)
    settle_payments(svc, svc.today())
    assert payments_since(svc, seeded) == [(payment_id, "succeeded")]
    assert svc.gateway.charge_count() == charged + 1, "settled without a second charge"


def payments_since(svc, last_seeded: int) -> list[tuple[int, str]]:
    with svc.uow() as uow:
        return [tuple(row) for row in uow.session.execute(
            select(Payment.id, Payment.status).where(Payment.id > last_seeded))]
