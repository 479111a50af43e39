"""A Spanish-speaking member through the REST channel, in the care conversations: logging in
(a wrong password first), opening an account, resetting a password, autopay (set up, change,
pause, resume, cancel), payment methods, a declined payment, a payment that hasn't shown up,
the questions menu, reminder settings and a person to talk to. Every reply these
conversations write reads as Spanish: no English sentence, in texts or button titles.

Steps whose reply is another part's text (the dashboard shown after a log-in, a service's
refusal such as the wrong-password reason, the hosted page's link) are driven but not checked
here: tests/e2e/spanish (the whole-flow leak test) covers those.
"""

from __future__ import annotations

import re

import pytest

from services import autopay, payment_methods
from services.accounts import SECURITY_QUESTIONS
from services.member_language import language_of, save_language
from services.support import find_open_request
from tests.e2e.conftest import DEMO_PASSWORD, RestChat
from tests.e2e.demo_members import demo_member
from tests.e2e.spanish.english_leaks import english_in as leaks_in

NEW_PASSWORD = "Harbor-Lights-2027"
# Words and phrases only an English sentence has. Names (HealthPay, Visa, ConnectorCare) and
# references (HC-7K3M-9Q2D) are the same in Spanish and trip nothing here.
def english_in(chat: RestChat, replies: list[dict] | None = None) -> list[str]:
    """The texts and button titles of `replies` (the last ones) that have English
    (tests/e2e/spanish/english_leaks.py, the one detector)."""
    replies = chat.replies if replies is None else replies
    said = [reply.get("text") or "" for reply in replies] + \
        [button["title"] for reply in replies for button in reply.get("buttons") or ()]
    return leaks_in(said)


def say(chat: RestChat, text: str) -> str:
    """Say `text`; every reply must be Spanish."""
    chat.say(text)
    assert english_in(chat) == [], f"English after {text!r}"
    return chat.text


def tap(chat: RestChat, title: str) -> str:
    chat.tap(title)
    assert english_in(chat) == [], f"English after tapping {title!r}"
    return chat.text


def log_in_in_spanish(chat: RestChat, username: str) -> None:
    say(chat, "español")
    say(chat, "quiero iniciar sesión")
    say(chat, username)
    chat.say(DEMO_PASSWORD)  # the greeting, then the dashboard (the money texts' own test)
    assert english_in(chat, chat.replies[:1]) == []


@pytest.fixture
def svc(app_runtime):
    return app_runtime.services


def test_the_detector_catches_english_and_lets_spanish_through():
    chat = RestChat(client=None, sender="none")
    chat.replies = [{"text": "Your autopay is on:", "buttons": [{"title": "Pausar"}]}]
    assert english_in(chat) == ["Your autopay is on:"]
    chat.replies = [{"text": "Su pago automático está activo:\n• Desde: Visa terminada en 4242",
                     "buttons": [{"title": "Never mind"}]}]
    assert english_in(chat) == ["Never mind"]
    chat.replies = [{"text": "Pago HC-7K3M-9Q2D: $120.50, pagado. Llame al 1-877-623-6765 "
                             "(TTY 711). HealthPay, ConnectorCare."}]
    assert english_in(chat) == []


def test_log_in_with_a_wrong_password_first_in_spanish(rest_chat, svc):
    say(rest_chat, "español")
    assert "nombre de usuario" in say(rest_chat, "quiero iniciar sesión")
    say(rest_chat, "alex")
    rest_chat.say("contraseña-equivocada-1")  # the refusal's reason is the services' text
    assert [b["title"] for b in rest_chat.buttons][0] == "Olvidé mi contraseña"
    rest_chat.say(DEMO_PASSWORD)
    assert rest_chat.replies[0]["text"] == "¡Bienvenido de nuevo, Alex! Ya inició sesión."
    # The language chosen before logging in is kept on the account, for pushed notices.
    assert language_of(svc, demo_member(svc, "alex").account_id) == "es"


def test_a_chat_with_no_choice_takes_the_accounts_language_at_log_in(rest_chat, svc):
    save_language(svc, demo_member(svc, "alex").account_id, "es")

    rest_chat.log_in("alex")

    assert rest_chat.replies[0]["text"] == "¡Bienvenido de nuevo, Alex! Ya inició sesión."
    assert "Sus métodos de pago guardados:" in say(rest_chat, "/manage_payment_methods"), \
        "the chat speaks Spanish from now on"


def test_an_english_choice_in_the_chat_is_kept_over_the_accounts_spanish(rest_chat, svc):
    save_language(svc, demo_member(svc, "alex").account_id, "es")

    rest_chat.say("english")
    rest_chat.log_in("alex")

    assert rest_chat.replies[0]["text"] == "Welcome back, Alex! You're logged in."
    assert language_of(svc, demo_member(svc, "alex").account_id) == "en"


def test_open_an_account_in_spanish_keeps_spanish_on_it(rest_chat, app_runtime, svc):
    say(rest_chat, "español")
    say(rest_chat, "quiero crear una cuenta")
    say(rest_chat, "Jordan Lee")
    rest_chat.say("04/12/1990")
    assert english_in(rest_chat) == []
    assert "3456" in say(rest_chat, "555-12-3456")
    say(rest_chat, "jordan.lee")
    say(rest_chat, NEW_PASSWORD)
    titles = [b["title"] for b in rest_chat.buttons]
    assert "¿Cómo se llamaba su primera mascota?" in titles
    assert not set(titles) & set(SECURITY_QUESTIONS)
    assert "¿Cómo se llamaba su primera mascota?" in tap(rest_chat, "¿Cómo se llamaba su primera")
    say(rest_chat, "Rex")
    tap(rest_chat, "¿Cómo se llamaba la calle")
    rest_chat.say("Elm Street")
    assert rest_chat.replies[0]["text"].startswith("Su cuenta está lista, Jordan")
    account = svc.uow_factory
    with account() as uow:
        from sqlalchemy import select

        from services.persistence.models import Account
        row = uow.session.scalar(select(Account).where(Account.username == "jordan.lee"))
        assert row.language == "es"


def test_reset_a_password_in_spanish(rest_chat):
    say(rest_chat, "español")
    say(rest_chat, "olvidé mi contraseña")
    say(rest_chat, "alex")
    say(rest_chat, "05/14/1986")
    text = say(rest_chat, "9999")
    assert "¿Cómo se llamaba su primera mascota?" in text
    say(rest_chat, "Rex")
    assert "Su contraseña fue cambiada" in say(rest_chat, NEW_PASSWORD)


def test_autopay_set_up_change_pause_resume_and_cancel_in_spanish(rest_chat, svc):
    log_in_in_spanish(rest_chat, "alex")
    account = demo_member(svc, "alex").account_id

    rest_chat.say("quiero configurar el pago automático")
    assert english_in(rest_chat, rest_chat.replies[:1]) == [], "the introduction"
    assert "¿Con qué método debe cobrar el pago automático?" in rest_chat.text
    rest_chat.tap("Visa")
    say(rest_chat, '/inform{"autopay_amount_rule":"full_balance"}')
    say(rest_chat, '/inform{"autopay_frequency":"monthly"}')
    review = say(rest_chat, '/inform{"autopay_days_before":3}')
    assert "Revise su pago automático:" in review
    assert "• Desde: Visa terminada en 4242" in review
    assert "• Cuándo: 3 días antes de cada vencimiento" in review
    assert "• Primer cobro: vie, 20 de nov" in review
    assert "El pago automático está activado. Próximo cobro:" in tap(rest_chat, "Activar")
    assert autopay.get_mandate(svc, account).status == "active"

    shown = say(rest_chat, "/setup_autopay")
    assert "Su pago automático está activo:" in shown
    tap(rest_chat, "Cambiar")
    tap(rest_chat, "Días antes")
    assert "Revise las nuevas condiciones:" in say(rest_chat, '/inform{"autopay_days_before":7}')
    assert "actualizado" in tap(rest_chat, "Confirmar")
    assert autopay.get_mandate(svc, account).days_before_due == 7

    say(rest_chat, "/setup_autopay")
    assert "¿Pausar el pago automático?" in tap(rest_chat, "Pausar")
    assert "en pausa" in tap(rest_chat, "Pausar el pago automático")
    assert "ya está en pausa" in say(rest_chat, '/setup_autopay{"autopay_action":"pause"}')

    say(rest_chat, "/setup_autopay")
    assert "¿Reanudar el pago automático?" in tap(rest_chat, "Reanudar")
    assert "activo de nuevo" in tap(rest_chat, "Reanudar el pago automático")

    assert "¿Cancelar el pago automático?" in say(rest_chat, "/cancel_autopay")
    done = tap(rest_chat, "Cancelar el pago automático")
    assert "el día 23 del mes anterior a la cobertura" in done
    assert autopay.get_mandate(svc, account) is None
    assert "No tiene el pago automático activado." in say(
        rest_chat, '/setup_autopay{"autopay_action":"pause"}')


def test_payment_methods_in_spanish(rest_chat, svc):
    log_in_in_spanish(rest_chat, "alex")

    shown = say(rest_chat, "/manage_payment_methods")
    assert "Sus métodos de pago guardados:" in shown
    assert "• Visa terminada en 4242 (principal)" in shown
    assert "Cuenta corriente terminada en" in shown
    tap(rest_chat, "Elegir el principal")
    assert "Listo:" in tap(rest_chat, "Cuenta corriente")
    tap(rest_chat, "Métodos de pago")
    tap(rest_chat, "Quitar…")
    assert "¿Quitar Visa terminada en 4242?" in tap(rest_chat, "Visa")
    tap(rest_chat, "Quitar")
    assert "Quitado." in rest_chat.text
    assert [m.brand for m in payment_methods.list_methods(
        svc, demo_member(svc, "alex").account_id)] == ["Checking"]


def test_a_declined_payment_explained_in_spanish(rest_chat):
    log_in_in_spanish(rest_chat, "spatel")

    text = say(rest_chat, "/payment_declined")

    assert "no se completó" in text
    assert "Fondos insuficientes." in text
    assert "Usar otro método" in [b["title"] for b in rest_chat.buttons]


def test_a_missing_payment_traced_and_handed_to_a_person_in_spanish(rest_chat, svc):
    log_in_in_spanish(rest_chat, "dana")

    assert "¿Cuál es el número de referencia del pago?" in say(rest_chat, "/payment_missing")
    reference = rest_chat.buttons[0]["title"].split(" · ")[0]
    traced = tap(rest_chat, reference)
    assert f"Pago {reference}:" in traced
    assert "en proceso (banco)" in traced
    assert "Pago bancario enviado" in traced


def test_questions_menu_and_an_answer_in_spanish(rest_chat):
    say(rest_chat, "español")
    say(rest_chat, '/help{"faq_topic": "questions"}')
    text = tap(rest_chat, "Cuándo vencen")
    assert "el día 23 del mes anterior" in text
    assert not re.search(r"\d(st|nd|rd|th)\b", text)


def test_reminder_settings_said_back_in_spanish(rest_chat):
    log_in_in_spanish(rest_chat, "alex")

    say(rest_chat, "/reminder_settings")
    tap(rest_chat, "Sí")
    tap(rest_chat, "7, 3 y 1")
    saved = tap(rest_chat, "9pm a 8am")

    assert "7, 3 y 1 días antes de cada vencimiento" in saved
    assert "entre las 9 p. m. y las 8 a. m." in saved
    assert "7, 3 y 1 días antes" in say(rest_chat, "/reminder_settings")


def test_talk_to_a_person_in_spanish(rest_chat, svc):
    log_in_in_spanish(rest_chat, "alex")

    text = say(rest_chat, "quiero hablar con una persona")

    assert "1 día hábil" in text
    assert find_open_request(svc, account_id=demo_member(svc, "alex").account_id,
                             channel="rest", chat_id="member-1") is not None
