"""Every flow an English-speaking member has, done by a Spanish-speaking one, written once for
both channels (conftest.Conversation). Each flow checks that it reached its goal in the
database; the test that runs it then checks that nothing shown was English.

The member writes the way a Spanish speaker would ("quiero pagar") and taps buttons by their
payload: what a button does does not depend on its wording.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import select

from services import accounts, autopay, billing, payment_methods
from services.persistence.models import Account, Payment, SupportRequest
from tests.e2e.demo_members import demo_member
from tests.e2e.spanish.conftest import Conversation

NEW_PASSWORD = "Sunny-Harbor-Lights-42"


def _owed(chat: Conversation, username: str) -> int:
    return billing.account_summary(chat.services,
                                   demo_member(chat.services, username).account_id).total_due_cents


def _latest_payment(chat: Conversation, username: str, status: str | None = None) -> Payment:
    account_id = demo_member(chat.services, username).account_id
    query = select(Payment).where(Payment.account_id == account_id)
    if status:
        query = query.where(Payment.status == status)
    with chat.services.uow() as uow:
        payment = uow.session.scalar(query.order_by(Payment.id.desc()).limit(1))
        uow.session.expunge_all()
    return payment


async def log_in(chat: Conversation) -> None:
    await chat.start()
    await chat.log_in("alex")

    assert chat.logged_in_account() == demo_member(chat.services, "alex").account_id
    assert "441" in chat.text, "the dashboard after logging in: what Alex owes"
    await chat.say("¿cuánto debo?")
    assert "441" in chat.text


async def create_account(chat: Conversation) -> None:
    await chat.start()
    await chat.say("quiero crear una cuenta")
    for answer in ("Jordan Lee", "04/12/1990", "555-12-3456", "jordan.lee", NEW_PASSWORD):
        await chat.say(answer)
    await chat.tap('/inform{"question_choice": "1"')
    await chat.say("Rex")
    await chat.tap('/inform{"question_choice": "2"')
    await chat.say("Elm Street")

    with chat.services.uow() as uow:
        account_id = uow.session.scalar(select(Account.id)
                                        .where(Account.username == "jordan.lee"))
    assert account_id is not None and chat.logged_in_account() == account_id
    accounts.log_in(chat.services, "jordan.lee", NEW_PASSWORD)
    assert "3456" in chat.text, "the account is shown with the SSN's last four"


async def pay(chat: Conversation) -> None:
    await chat.start()
    await chat.log_in("alex")
    before = _owed(chat, "alex")

    await chat.say("quiero pagar mi prima")
    await chat.tap('/inform{"payment_plan":"both"')
    await chat.tap('/inform{"payment_amount":44150')
    await chat.tap("Visa")
    assert "441" in chat.text and "4242" in chat.text, "the review"
    await chat.tap("/affirm")

    assert _owed(chat, "alex") == before - 44_150
    paid = _latest_payment(chat, "alex")
    assert (paid.amount_cents, paid.status) == (44_150, "succeeded") and paid.reference in chat.text


async def set_up_autopay(chat: Conversation) -> None:
    await chat.start()
    await chat.log_in("alex")

    await chat.say("quiero activar el pago automático")
    await chat.tap("Visa")
    await chat.tap('/inform{"autopay_amount_rule":"full_balance"')
    await chat.tap('/inform{"autopay_frequency":"monthly"')
    await chat.tap('/inform{"autopay_days_before":3')
    assert autopay.get_mandate(chat.services,
                               demo_member(chat.services, "alex").account_id) is None
    await chat.tap('/affirm{"autopay_confirm"')

    mandate = autopay.get_mandate(chat.services, demo_member(chat.services, "alex").account_id)
    assert (mandate.status, mandate.amount_rule, mandate.frequency,
            mandate.days_before_due) == ("active", "full_balance", "monthly", 3)


async def manage_methods(chat: Conversation) -> None:
    await chat.start()
    await chat.log_in("alex")
    alex = demo_member(chat.services, "alex")

    await chat.say("mis métodos de pago")
    assert "4242" in chat.text and "6789" in chat.text
    await chat.tap('/manage_payment_methods{"method_action":"add"')
    assert "/methods/setup/" in chat.text, "a link to the hosted page"
    await chat.say("métodos de pago")
    await chat.tap('/manage_payment_methods{"method_action":"default"')
    await chat.tap("6789")

    default = next(m for m in payment_methods.list_methods(chat.services, alex.account_id)
                   if m.is_default)
    assert default.id == alex.method_ids["bank_ok"]


async def declined_payment(chat: Conversation) -> None:
    await chat.start()
    await chat.log_in("spatel")
    declined = _latest_payment(chat, "spatel", "declined")

    await chat.say("mi pago fue rechazado")

    assert declined.reference in chat.text and "9995" in chat.text
    assert any(b["payload"] == "/make_payment" for b in chat.buttons), "what to do next"


async def missing_payment(chat: Conversation) -> None:
    await chat.start()
    await chat.log_in("dana")
    processing = _latest_payment(chat, "dana", "processing")

    await chat.say("mi pago no aparece")
    await chat.tap(f'/payment_missing{{"payment_reference":"{processing.reference}"')

    assert processing.reference in chat.text and "6789" in chat.text
    assert "354" in chat.text


async def ask_questions(chat: Conversation) -> None:
    await chat.start()
    await chat.log_in("james")

    await chat.say("¿qué pasa si no pago a tiempo?")
    assert "gracia" in chat.text, "ConnectorCare: the grace period"
    assert "1-877-623-6765" in chat.text
    await chat.tap('/help{"faq_topic": "questions"')
    await chat.tap('/help{"faq_topic": "due_dates"')
    assert "23" in chat.text, "the due day"


async def reminder_settings(chat: Conversation) -> None:
    await chat.start()
    await chat.log_in("alex")

    await chat.say("quiero cambiar mis recordatorios")
    await chat.tap("/affirm")
    await chat.tap("3 and 1")
    await chat.say("10pm a 7am")

    account = accounts.get_account(chat.services, demo_member(chat.services, "alex").account_id)
    assert (account.reminders_enabled, account.reminder_offsets) == (True, [3, 1])
    assert (account.quiet_hours_start, account.quiet_hours_end) == (22, 7)


async def talk_to_a_person(chat: Conversation) -> None:
    await chat.start()
    await chat.log_in("alex")

    await chat.say("quiero hablar con una persona")

    with chat.services.uow() as uow:
        requests = list(uow.session.scalars(select(SupportRequest.number)))
    assert len(requests) == 1 and requests[0] in chat.text
    assert "1-877-623-6765" in chat.text


Flow = Callable[[Conversation], Awaitable[None]]
FLOWS: dict[str, Flow] = {
    "log in": log_in, "create an account": create_account, "pay": pay,
    "autopay": set_up_autopay, "methods": manage_methods, "declined": declined_payment,
    "missing": missing_payment, "questions": ask_questions, "reminders": reminder_settings,
    "a person": talk_to_a_person,
}
