"""The money conversations in Spanish, through the REST channel: what do I owe, paying (the
plan, the amount, the method, the review, Confirm), the history and the due dates, with no
English in any reply or button — and a request to pay said again inside the payment form is
the request again, not a wrong answer, in either language."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import RestChat
from tests.e2e.spanish.english_leaks import assert_no_english


def assert_spanish(chat: RestChat) -> None:
    assert chat.replies, "no reply"
    assert_no_english([reply.get("text") or "" for reply in chat.replies]
                      + [b["title"] for reply in chat.replies for b in reply.get("buttons") or ()])


def say(chat: RestChat, message: str) -> str:
    chat.say(message)
    assert_spanish(chat)
    return chat.text


def tap(chat: RestChat, title: str) -> str:
    chat.tap(title)
    assert_spanish(chat)
    return chat.text


@pytest.fixture
def spanish_chat(rest_chat):
    rest_chat.say("español")
    return rest_chat


def test_balance_pay_history_and_due_dates_in_spanish(spanish_chat):
    chat = spanish_chat
    chat.log_in("alex")
    assert_spanish(chat)
    text = say(chat, "¿cuánto debo?")
    assert "Esto es lo que debe:" in text and "• Médico (Harbor Health Silver 2): $412.50" in text
    assert "Total a pagar: $441.50" in text

    assert "¿Qué desea pagar?" in say(chat, "hola, quiero pagar mi factura")
    assert "Los dos — $441.50" in [b["title"] for b in chat.buttons]
    text = say(chat, "los dos")
    assert text.startswith("Debe $441.50. ¿Cuánto desea pagar?")
    assert "¿Con qué método desea pagar?" in tap(chat, "Pagar $441.50")
    assert "Visa terminada en 4242 (predeterminado)" in [b["title"] for b in chat.buttons]
    text = tap(chat, "Visa")
    assert text.startswith("Revise su pago:\n• Cantidad: $441.50\n• Desde: Visa terminada en 4242")
    assert "• Paga: Médico, diciembre de 2026 ($412.50); Dental, diciembre de 2026 ($29.00)" \
        in text
    text = tap(chat, "Confirmar")
    assert text.startswith("✅ Pago recibido: $441.50. Referencia HC-")

    text = say(chat, "/payment_history")
    assert text.startswith("Sus pagos más recientes:\n• ")
    assert "· $441.50 · Visa terminada en 4242 · pagado · HC-" in text

    # The due dates, asked in the middle of the reminder settings (action_explain_due_date).
    chat.say("recordatorios")
    chat.say("cuánto debo")
    due = next(reply["text"] for reply in chat.replies if "vencen" in (reply["text"] or ""))
    assert_no_english([due])
    assert "el día 23 del mes" in due and "23 de noviembre" in due \
        and "diciembre de 2026" in due


def test_a_bank_payment_of_a_typed_amount_for_one_plan_in_spanish(spanish_chat):
    chat = spanish_chat
    chat.log_in("alex")
    say(chat, "quiero pagar")
    assert "Debe $412.50 en su plan médico." in say(chat, "el de salud")
    assert "Escriba una cantidad" in tap(chat, "Otra cantidad")
    assert "¿Con qué método desea pagar?" in say(chat, "$5")
    assert "• Desde: Cuenta corriente terminada en 6789" in say(chat, "con la cuenta del banco")
    text = say(chat, "sí")
    assert text.startswith("🏦 Su pago bancario de $5.00 está en camino.")
    text = say(chat, "/check_balance")
    assert "$407.50, vence el lun, 23 de nov; $5.00 en proceso" in text
    assert "En proceso: $5.00 que usted pagó todavía se está procesando." in text


@pytest.mark.parametrize(("member", "expected"), [
    ("james", "⚠️ Sus primas de octubre y noviembre de 2026, $266.00, están vencidas: mes 2 de "
              "su período de gracia de 3 meses."),
    ("linda", "⚠️ Su prima de noviembre de 2026, $734.00, está vencida. Pague a más tardar el "
              "22 de noviembre de 2026"),
    ("maria", "Pago automático: activado, próximo cargo el vie, 20 de nov."),
    ("dana", "no debe nada ahora; la próxima factura vence el mié, 23 de dic; $354.00 en "
             "proceso"),
])
def test_every_kind_of_balance_and_history_in_spanish(spanish_chat, member, expected):
    spanish_chat.log_in(member)
    assert expected in say(spanish_chat, "/check_balance")
    assert "Sus pagos más recientes:" in say(spanish_chat, "/payment_history")


def test_nothing_to_pay_in_spanish(spanish_chat):
    spanish_chat.log_in("dana")
    assert say(spanish_chat, "quiero pagar").startswith("No debe nada en este momento")
    assert [b["title"] for b in spanish_chat.buttons] == ["Historial de pagos",
                                                          "Activar pago automático"]


@pytest.mark.parametrize(("language", "request_again", "refusal", "plan_question",
                          "amount_question"), [
    ("español", "hola, quiero pagar mi factura", "Elija médico, dental o los dos.",
     "¿Qué desea pagar?", "¿Cuánto desea pagar?"),
    ("english", "hi, I want to pay my bill", "Please choose health, dental or both.",
     "What would you like to pay?", "How much would you like to pay?"),
])
def test_asking_to_pay_again_inside_the_form_asks_the_question_again(
        rest_chat, language, request_again, refusal, plan_question, amount_question):
    rest_chat.say(language)
    rest_chat.log_in("alex")
    rest_chat.say(request_again)
    assert plan_question in rest_chat.text
    rest_chat.say(request_again)
    assert plan_question in rest_chat.text
    assert refusal not in rest_chat.text
    rest_chat.say("pizza")  # a wrong answer is still refused
    assert refusal in rest_chat.text
    rest_chat.say("dental")
    assert amount_question in rest_chat.text
    rest_chat.tap("Another amount" if language == "english" else "Otra cantidad")
    rest_chat.say(request_again)
    assert amount_question in rest_chat.text
    assert "read that as an amount" not in rest_chat.text
    rest_chat.say("$5")
    method_buttons = [b["title"] for b in rest_chat.buttons]
    rest_chat.say(request_again)
    assert [b["title"] for b in rest_chat.buttons] == method_buttons  # asked again
    assert "tap one of the methods" not in rest_chat.text.lower() \
        and "toque uno de los métodos" not in rest_chat.text.lower()
    rest_chat.say("pay with the visa" if language == "english" else "pagar con la visa")
    assert ("Please check your payment" if language == "english" else "Revise su pago") \
        in rest_chat.text  # a request that names the method answers the question


def test_a_visitor_asking_how_to_pay_is_answered_in_spanish(spanish_chat):
    text = say(spanish_chat, "¿cómo puedo pagar?")
    assert "cheque" in text.lower() or "teléfono" in text.lower(), text
