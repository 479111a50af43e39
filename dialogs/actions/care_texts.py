"""Pieces the care conversations (autopay, methods, troubleshooting, sign-in, support) compose
in the member's language: a button titled by a response, ordinal days, a month with its year,
a time of day and a payment method's name. The words are responses in
data/languages/<code>/responses_care.yml; the formats are Babel's for the member's locale."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton, format_time
from rasa_sdk import Tracker

from dialogs.actions.money_texts import button
from dialogs.actions.texts import language_of, text
from services import formatting, payment_methods
from services.context import Services

_BUSINESS_DAYS = re.compile(r"(\d+) business days?", re.I)


def titled(domain: Mapping[str, Any], tracker: Tracker, title: str, intent: str,
           **entities: object) -> dict[str, str]:
    """A button titled by response `utter_care_button_<title>`, its payload `/intent{...}`."""
    return button(text(domain, tracker, f"utter_care_button_{title}"), intent, **entities)


def ordinal(domain: Mapping[str, Any], tracker: Tracker, number: int) -> str:
    """23 -> "23rd" in English, "23" in Spanish: the language's CLDR ordinal form picks the
    response (`utter_care_ordinal_<form>`) that writes it."""
    form = Locale.parse(_locale(tracker)).ordinal_form(number)
    name = f"utter_care_ordinal_{form}"
    if not (domain.get("responses") or {}).get(name):
        name = "utter_care_ordinal_other"
    return text(domain, tracker, name, n=number)


def month_and_year(date: dt.date, tracker: Tracker) -> str:
    """"December 2026" / "diciembre de 2026"."""
    return format_skeleton("yMMMM", date, locale=_locale(tracker))


def clock_time(svc: Services, at: dt.datetime, tracker: Tracker) -> str:
    """"3:45 PM" / "3:45 p.m." in the exchange's time zone."""
    local = at.astimezone(ZoneInfo(svc.policy.time_zone))
    # CLDR puts a narrow no-break space before AM/PM, which some chat fonts show as a box.
    return format_time(local.time(), "short", locale=_locale(tracker)).replace("\u202f", " ")


def method_name(domain: Mapping[str, Any], tracker: Tracker, method: Any, *,
                on: dt.date | None = None) -> str:
    """"Visa ending in 4242" / "Visa terminada en 4242", with its nickname in front, and
    "(expired)" after a card past its date when `on` is given."""
    # A bank account's "brand" is its type ("Checking"): said in the member's words.
    brand_name = f"utter_care_brand_{str(method.brand).lower().replace(' ', '_')}"
    brand = text(domain, tracker, brand_name) \
        if (domain.get("responses") or {}).get(brand_name) else method.brand
    label = text(domain, tracker, "utter_care_method_label", brand=brand, last4=method.last4)
    if method.nickname:
        label = f"{method.nickname}: {label}"
    if on is not None and payment_methods.card_expired(method, on):
        label = text(domain, tracker, "utter_care_method_expired", method=label)
    return label


def label_of(domain: Mapping[str, Any], tracker: Tracker,
             parts: tuple[str, str, str | None]) -> str:
    """A method's name from its (brand, last four, nickname), as method_name says it."""
    brand, last4, nickname = parts
    return method_name(domain, tracker, SimpleNamespace(brand=brand, last4=last4,
                                                        nickname=nickname))


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
