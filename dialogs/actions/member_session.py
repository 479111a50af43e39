"""Who the member in this chat is, and whether the session is fresh enough to move money.

The acting member always comes from the chat's session (services.sessions), never from a slot
or a payload. Flows that move money call `money_guard` first:

    events = money_guard(tracker, resume="payment_form")
    if events is not None:
        return events          # log-in or password re-entry starts; nothing else this turn

When the member is not logged in, the guard starts `login_form`; when the session sat idle too
long, `reauth_form` (the password only). Either one's submit action runs `resume` afterwards
with a FollowupAction, so the member carries on where they were. A form that was active when
the guard stopped it keeps its answers and picks them up again when it is resumed.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_time
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from dialogs.actions import runtime
from dialogs.actions.texts import DEFAULT_LANGUAGE, buttons, text
from services import accounts, formatting, sessions
from services.context import Services
from services.errors import NotLoggedIn, SessionExpired
from services.member_language import language_of, save_language

RESUME_SLOT = "resume_after_login"
# How an access form ended early (logged in, stopped...): read and cleared by its submit action.
OUTCOME_SLOT = "access_outcome"
LOGIN_FORM = "login_form"
REAUTH_FORM = "reauth_form"
DASHBOARD_ACTION = "action_show_balance"
LANGUAGE_SLOT = "language"


def acting_member(tracker: Tracker) -> int | None:
    """The account id the chat is logged in to, or None."""
    channel, chat_id = runtime.chat_of(tracker)
    return sessions.current_account_id(runtime.services(), channel=channel, chat_id=chat_id)


def money_guard(tracker: Tracker, resume: str) -> list[EventType] | None:
    """None when the member is logged in with a fresh session (which this touches); otherwise
    the events that start log-in or password re-entry and then `resume`."""
    channel, chat_id = runtime.chat_of(tracker)
    try:
        sessions.require_member(runtime.services(), channel=channel, chat_id=chat_id,
                                for_money=True)
    except NotLoggedIn:
        return start_login(resume)
    except SessionExpired:
        return _leave_form() + [SlotSet(RESUME_SLOT, resume), FollowupAction(REAUTH_FORM)]
    return None


def start_login(resume: str | None) -> list[EventType]:
    """Ask the member to log in, then run `resume` (a form or an action), if any."""
    return _leave_form() + [SlotSet(RESUME_SLOT, resume), FollowupAction(LOGIN_FORM)]


def resume_target(tracker: Tracker) -> str | None:
    """What to run once the member has logged in: only what this session asked for. Slots
    carry over into a new session (the language should), but a payment abandoned at the log-in
    prompt an hour ago must not start by itself when the member logs in today."""
    resume = tracker.get_slot(RESUME_SLOT)
    if not resume:
        return None  # nothing waits: no need to walk the session
    set_this_session = listened = False
    for event in tracker.events:  # the current session: what carried over comes first
        kind = event.get("event")
        if kind == "session_started":
            listened = False
        elif kind == "action" and event.get("name") == "action_listen":
            listened = True
        elif kind == "slot" and event.get("name") == RESUME_SLOT:
            set_this_session = listened
    return resume if resume and set_this_session else None


def resume_events(tracker: Tracker) -> list[EventType]:
    """After a successful log-in or password re-entry: go on with what the member was doing."""
    return _going_on_with(resume_target(tracker))


def _going_on_with(action: str | None) -> list[EventType]:
    """Clear what was waiting (an earlier session's too) and run `action`, if any."""
    return [SlotSet(RESUME_SLOT, None)] + ([FollowupAction(action)] if action else [])


def after_log_in(dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict,
                 greeting: str, **values) -> list[EventType]:
    """Greet the member who just logged in (response `greeting`, given {first_name}), in the
    language the chat and the account agree on (agree_language), then go on with what they
    were doing or show their dashboard."""
    account_id = acting_member(tracker)
    if account_id is None:
        return []
    account = accounts.get_account(runtime.services(), account_id)
    first_name = account.enrollment.full_name.split()[0]
    language = agree_language(tracker, account_id)
    # Responses are rendered with the slots as they were before this action's events: a
    # language taken from the account is applied to the greeting here.
    speaking = _speaking(tracker, language)
    dispatcher.utter_message(text=text(domain, speaking, greeting, first_name=first_name,
                                       **values),
                             buttons=buttons(domain, speaking, greeting))
    dashboard = DASHBOARD_ACTION if DASHBOARD_ACTION in domain.get("actions", ()) else None
    next_action = resume_target(tracker) or dashboard
    if next_action is None:
        dispatcher.utter_message(text=text(domain, speaking, "utter_help_menu"),
                                 buttons=buttons(domain, speaking, "utter_help_menu"))
    return language + _going_on_with(next_action)


def agree_language(tracker: Tracker, account_id: int) -> list[EventType]:
    """At log-in, the chat's language and the account's agree: one chosen (or detected) in
    this chat is kept on the account, for what is pushed later; a chat that has none yet takes
    the account's (the events that set it)."""
    svc = runtime.services()
    chosen = chat_language_choice(tracker)
    if chosen is not None:
        save_language(svc, account_id, chosen)
        return []
    saved = language_of(svc, account_id)
    if saved == (tracker.get_slot(LANGUAGE_SLOT) or DEFAULT_LANGUAGE):
        return []
    return [SlotSet(LANGUAGE_SLOT, saved)]


def chat_language_choice(tracker: Tracker) -> str | None:
    """The language chosen or detected in this chat (a language slot event), if any."""
    return next((event.get("value") for event in reversed(tracker.events)
                 if event.get("event") == "slot" and event.get("name") == LANGUAGE_SLOT
                 and event.get("value")), None)


def _speaking(tracker: Tracker, events: list[EventType]) -> Tracker:
    """`tracker` as the member's language will be once `events` are applied."""
    if not events:
        return tracker
    state = tracker.current_state()
    return Tracker.from_dict({**state, "slots": {**state["slots"],
                                                 LANGUAGE_SLOT: events[0]["value"]}})


def member_time(svc: Services, at: dt.datetime, tracker: Tracker) -> str:
    """"3:45 PM" / "3:45 p.m." in the exchange's time zone, as the member's language writes it
    (Babel)."""
    local = at.astimezone(ZoneInfo(svc.policy.time_zone))
    locale = formatting.locale_for(tracker.get_slot(LANGUAGE_SLOT))
    # CLDR puts a narrow no-break space before AM/PM, which some chat fonts show as a box.
    return format_time(local.time(), "short", locale=locale).replace("\u202f", " ")


def _leave_form() -> list[EventType]:
    # The interrupted form keeps its answers: run again afterwards, it takes them as given.
    return [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None)]
