"""Pieces the care conversations (autopay, methods, troubleshooting, sign-in, support) compose
in the member's language: a button titled by a response, ordinal days, a month with its year,
a time of day and a payment method's name. The words are responses in
data/languages/<code>/responses_care.yml; the formats are Babel's for the member's locale."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from rasa_sdk import Tracker

from dialogs.actions import money_texts
from dialogs.actions.member_session import member_time as clock_time  # noqa: F401 (one place)
from dialogs.actions.money_texts import button
from dialogs.actions.texts import language_of, text
from services import formatting, payment_methods

_BUSINESS_DAYS = re.compile(r"(\d+) business days?", re.I)


def titled(domain: Mapping[str, Any], tracker: Tracker, title: str, intent: str,
           **entities: object) -> dict[str, str]:
    """A button titled by response `utter_care_button_<title>`, its payload `/intent{...}`."""
    return button(text(domain, tracker, f"utter_care_button_{title}"), intent, **entities)


def ordinal(domain: Mapping[str, Any], tracker: Tracker, number: int) -> str:
    """23 -> "23rd" in English, "23" in Spanish (money_texts.ordinal, one set of texts)."""
    return money_texts.ordinal(number, domain, tracker)


def month_and_year(date: dt.date, tracker: Tracker) -> str:
    """"December 2026" / "diciembre de 2026"."""
    return money_texts.month(date, tracker)


def method_name(domain: Mapping[str, Any], tracker: Tracker, method: Any, *,
                on: dt.date | None = None) -> str:
    """"Visa ending in 4242" / "Visa terminada en 4242", with its nickname in front
    (money_texts.label_title), and "(expired)" after a card past its date when `on` is
    given."""
    label = money_texts.label_title(method.brand, method.last4, method.nickname, domain,
                                    tracker)
    if on is not None and payment_methods.card_expired(method, on):
        label = text(domain, tracker, "utter_care_method_expired", method=label)
    return label


def label_of(domain: Mapping[str, Any], tracker: Tracker,
             parts: tuple[str, str, str | None]) -> str:
    """A method's name from its (brand, last four, nickname), as method_name says it."""
    brand, last4, nickname = parts
    return money_texts.label_title(brand, last4, nickname, domain, tracker)


def answer_within(domain: Mapping[str, Any], tracker: Tracker, said: str) -> str:
    """The exchange's answer time (data/policy.yml, "1 business day") in the member's words;
    a wording other than "<n> business day(s)" is shown as the policy file says it."""
    found = _BUSINESS_DAYS.fullmatch(said.strip())
    if found is None:
        return said
    count = int(found.group(1))
    return text(domain, tracker, "utter_care_business_day" if count == 1
                else "utter_care_business_days", n=count)


def _locale(tracker: Tracker) -> str:
    return formatting.locale_for(language_of(tracker))
