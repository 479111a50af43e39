"""Texts an action composes in the member's language, from the domain's responses.

Every text a member reads lives in the domain (data/domain.yml and the language folders,
data/languages/<code>/responses*.yml), never in an action's code. An action that sends one
whole response uses `dispatcher.utter_message(response=..., **values)`, as Rasa does; one that
builds a message out of several pieces (a line per bill, a heading and a list) takes each
piece's text from `domain["responses"]` with `text()`. Rasa passes the domain to every action,
so this works the same in the embedded engine and behind a Rasa action server.

Values are formatted for the member's language before they are filled in: `money()`,
`short_day()`, `long_date()` and `month()` below, by Babel (services/formatting.py).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from rasa_sdk import Tracker

from services import formatting
from services.error_texts import error_text
from services.errors import DomainError

LANGUAGE_SLOT = "language"
DEFAULT_LANGUAGE = "en"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def language_of(tracker: Tracker | None) -> str:
    """The member's language code (a data/languages folder name); English without a chat."""
    return (tracker.get_slot(LANGUAGE_SLOT) if tracker is not None else None) \
        or DEFAULT_LANGUAGE


def text(domain: Mapping[str, Any], tracker: Tracker, name: str, **values: Any) -> str:
    """Response `name`'s text in the member's language, `{placeholders}` filled from
    `values`. A response without a text is a bug in the data, not something to show a
    member, so it raises."""
    chosen = _variation(domain, tracker, name)
    if chosen is None or chosen.get("text") is None:
        raise KeyError(f"the domain has no text for response {name!r}")
    return fill(chosen["text"], values)


def buttons(domain: Mapping[str, Any], tracker: Tracker, name: str,
            **values: Any) -> list[dict[str, str]]:
    """Response `name`'s buttons in the member's language, filled like its text."""
    return [{"title": fill(b["title"], values), "payload": fill(b["payload"], values)}
            for b in (_variation(domain, tracker, name) or {}).get("buttons") or ()]


def _variation(domain: Mapping[str, Any], tracker: Tracker, name: str) -> dict | None:
    """The first variation of response `name` whose conditions hold (as in Rasa, conditional
    ones before the default), else its first unconditional one."""
    variations = (domain.get("responses") or {}).get(name) or []
    slots = tracker.slots
    return next((v for v in variations if v.get("condition")
                 and all(_holds(c, slots) for c in v["condition"])), None) \
        or next((v for v in variations if not v.get("condition")), None)


def refusal_text(error: DomainError, tracker: Tracker) -> str:
    """A service's refusal as the member reads it in their language (services/error_texts)."""
    return error_text(error, language_of(tracker))


def fill(template: str, values: Mapping[str, Any]) -> str:
    """`{name}` placeholders filled; unknown names are left as they are, as Rasa leaves them."""
    return _PLACEHOLDER.sub(
        lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0), template)


def money(cents: int, tracker: Tracker | None = None) -> str:
    """"$12,345.50" (en and es_US alike)."""
    return formatting.money(cents, language_of(tracker))


def short_day(date: dt.date, tracker: Tracker | None = None) -> str:
    """"Wed, Dec 23" / "mié, 23 dic": where the weekday helps."""
    return formatting.short_day(date, language_of(tracker))


def long_date(date: dt.date, tracker: Tracker | None = None) -> str:
    """"December 23, 2026" / "23 de diciembre de 2026": where the year matters."""
    return formatting.long_date(date, language_of(tracker))


def month(date: dt.date, tracker: Tracker | None = None) -> str:
    """"December" / "diciembre"."""
    return formatting.month_name(date, language_of(tracker))


def _holds(condition: Mapping[str, Any], slots: Mapping[str, Any]) -> bool:
    return condition.get("type") == "slot" and slots.get(condition.get("name")) \
        == condition.get("value")
