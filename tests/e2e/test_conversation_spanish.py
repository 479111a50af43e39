"""A member who writes in Spanish, through the REST channel: understood, and answered in
Spanish where the texts come from responses and answers (data/languages/es)."""

from __future__ import annotations

from tests.e2e.conftest import DEMO_PASSWORD
from tests.spanish_text import assert_spanish


def test_a_spanish_greeting_is_answered_in_spanish_with_the_spanish_menu(rest_chat):
    rest_chat.say("hola, buenos días, quiero ayuda con mi seguro")
    assert rest_chat.text.startswith("¡Hola! Soy HealthPay.")
    assert "Hacer un pago" in [b["title"] for b in rest_chat.buttons]
    assert_spanish(rest_chat.text)


def test_log_in_in_spanish_then_a_question_in_spanish(rest_chat):
    rest_chat.say("español")
    rest_chat.say("quiero iniciar sesión")
    assert_spanish(rest_chat.text)
    assert "¿Cuál es su nombre de usuario?" in rest_chat.text
    rest_chat.say("alex")
    assert "¿Y su contraseña?" in rest_chat.text
    rest_chat.say(DEMO_PASSWORD)
    rest_chat.say("qué pasa si no pago a tiempo")
    assert "Depende de su subsidio" in rest_chat.text or "período de gracia" in rest_chat.text
    assert "no cobra recargos" in rest_chat.text


def test_cancel_in_spanish_leaves_the_form_in_spanish(rest_chat):
    rest_chat.say("español")
    rest_chat.say("quiero crear una cuenta")
    assert_spanish(rest_chat.text)
    rest_chat.say("cancelar")
    assert rest_chat.text.startswith("Listo, lo he detenido.")
    assert_spanish(rest_chat.text)


def test_back_to_english_on_request(rest_chat):
    rest_chat.say("español")
    rest_chat.say("english")
    assert rest_chat.text == "OK, I'll write to you in English from now on."
