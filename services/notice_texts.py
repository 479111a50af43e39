"""The buttons pushed messages offer, titled in English (other languages title them by payload
in data/languages/<code>/notices.yml; the texts are there too).

Buttons carry an intent payload (`/make_payment`) that the dialogue engine handles like any
message, so a tap on a reminder starts the same conversation as typing "pay my premium".
"""

from __future__ import annotations

from services.outbox import Buttons, button
from services.troubleshooting import DeclineExplanation

PAY_NOW = button("Pay now", "/make_payment")
REMINDER_SETTINGS = button("Reminder settings", "/reminder_settings")
AUTOPAY_SETTINGS = button("Autopay settings", "/setup_autopay")
ADD_METHOD = button("Add a card or bank account", "/manage_payment_methods")
PAYMENT_OPTIONS = button("What are my options?", "/missed_payment")
PAYMENT_HISTORY = button("Payment history", "/payment_history")


def decline_buttons(explanation: DeclineExplanation) -> Buttons:
    return [button(title, payload) for title, payload in explanation.suggested_buttons]
