"""When premiums are due, from the exchange's policy (data/policy.yml), in the member's
language."""

from __future__ import annotations

import datetime as dt

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions import runtime
from dialogs.actions.money_texts import day_and_month, month, ordinal
from services.policy import ExchangePolicy


class ActionExplainDueDate(Action):
    def name(self) -> str:
        return "action_explain_due_date"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        svc = runtime.services()
        coverage_month, due = next_due_date(svc.policy, svc.today())
        dispatcher.utter_message(
            response="utter_due_dates",
            due_day=ordinal(svc.policy.due_day, domain, tracker),
            next_due_date=day_and_month(due, tracker),
            coverage_month=month(coverage_month, tracker),
        )
        return []


def next_due_date(policy: ExchangePolicy, today: dt.date) -> tuple[dt.date, dt.date]:
    """(coverage month, its due date) for the first premium due today or later."""
    month = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    while policy.due_date_for(month) < today:
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return month, policy.due_date_for(month)
