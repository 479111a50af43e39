"""How pushed messages word things: dates as members read them, and the buttons they offer.

Buttons carry an intent payload (`/make_payment`) that the dialogue engine handles like any
message, so a tap on a reminder starts the same conversation as typing "pay my premium".
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from services.outbox import Buttons, button
from services.troubleshooting import DeclineExplanation

PAY_NOW = button("Pay now", "/make_payment")
REMINDER_SETTINGS = button("Reminder settings", "/reminder_settings")
AUTOPAY_SETTINGS = button("Autopay settings", "/setup_autopay")
ADD_METHOD = button("Add a card or bank account", "/manage_payment_methods")
PAYMENT_OPTIONS = button("What are my options?", "/missed_payment")
PAYMENT_HISTORY = button("Payment history", "/payment_history")


@lru_cache(maxsize=1024)  # planning words thousands of bills due on the same few days
def day(date: dt.date) -> str:
    """Wed, Dec 23"""
    return f"{date:%a, %b} {date.day}"


@lru_cache(maxsize=1024)
def month(date: dt.date) -> str:
    """December"""
    return f"{date:%B}"


def decline_buttons(explanation: DeclineExplanation) -> Buttons:
    return [button(title, payload) for title, payload in explanation.suggested_buttons]
