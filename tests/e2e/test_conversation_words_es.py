"""Spanish words a member uses, understood through the REST channel (issue 14): amounts in
words and shares of the balance, reminder days and quiet hours in words, Spanish escape words
at every prompt. The checks read what was kept, not the replies' wording."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.persistence.models import Account


@pytest.fixture
def alex(rest_chat):
    rest_chat.say("español")
    rest_chat.log_in("alex")
    return rest_chat


def _account(app_runtime, username: str = "alex") -> Account:
    with app_runtime.services.uow() as uow:
        account = uow.session.scalar(select(Account).where(Account.username == username))
        uow.session.expunge(account)
        return account


@pytest.mark.parametrize(("said", "amount"), [
    ("la mitad", "$206.25"),
    ("todo lo que debo", "$412.50"),
    ("ciento cincuenta dólares", "$150.00"),
    ("cien", "$100.00"),
])
def test_an_amount_in_spanish_words_or_a_share_of_the_balance(alex, said, amount):
    alex.say("quiero pagar mi factura")
    alex.say('/inform{"payment_plan":"health"}')

    alex.say(said)
    assert '/inform{"payment_method":"1"}' in [b["payload"] for b in alex.buttons]
    alex.say('/inform{"payment_method":"1"}')

    assert amount in alex.text


def test_reminder_days_and_quiet_hours_in_spanish_words_are_kept(alex, app_runtime):
    alex.say("quiero recordatorios")
    alex.say("/affirm")
    alex.say("una semana antes y el día antes")
    alex.say("no después de las 10 de la noche ni antes de las 7")

    account = _account(app_runtime)
    assert account.reminder_offsets == [7, 1]
    assert (account.quiet_hours_start, account.quiet_hours_end) == (22, 7)


@pytest.mark.parametrize("said", ["cancelar", "olvídalo", "ya no quiero", "salir"])
def test_spanish_escape_words_leave_the_form(alex, app_runtime, said):
    alex.say("quiero recordatorios")
    alex.say("/affirm")

    alex.say(said)
    alex.say("3 y 1")  # no form asks for days any more: nothing is saved

    assert _account(app_runtime).reminder_offsets == [7, 3, 1, 0]


def test_cancelar_at_the_password_prompt_leaves_it_and_a_password_is_a_password(rest_chat):
    rest_chat.say("español")
    rest_chat.say("quiero iniciar sesión")
    rest_chat.say("alex")
    rest_chat.say("Cancelar")
    # Left: what HealthPay can do is offered, and no password was tried.
    assert "/check_balance" in [b["payload"] for b in rest_chat.buttons]

    rest_chat.say("quiero iniciar sesión")
    rest_chat.say("alex")
    rest_chat.say("olvidalo ya Premium")  # at a secret prompt only a cancel said alone leaves
    assert rest_chat.deleted


def test_a_spanish_question_at_a_prompt_is_answered_and_the_prompt_asked_again(alex):
    alex.say("quiero pagar mi factura")
    asked = alex.text

    alex.say("¿se puede pagar por teléfono?")

    assert "877-623-6765" in alex.text
    assert alex.text.endswith(asked.splitlines()[-1])
