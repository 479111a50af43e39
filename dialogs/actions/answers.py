"""Answers to members' questions about premiums, written in data/answers.yml and filled from the
exchange's policy (data/policy.yml) and, for a missed payment, the member's own bill.

Which question was asked comes from the `faq_topic` entity (nlu.yml's lookup and synonyms, or a
button's payload); a `missed_payment` message without one asks about missing a payment, and
`faq_topic: questions` asks for the menu of topics.
"""

from __future__ import annotations

from typing import Any

from babel import Locale
from babel.dates import format_skeleton
from babel.lists import format_list
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions import runtime
from dialogs.actions.due_dates import next_due_date
from dialogs.actions.member_session import acting_member
from services import formatting
from services.answer_texts import ANSWERS_FILE, answers_for, load_answers
from services.billing import account_summary
from services.context import Services
from services.policy import ExchangePolicy

__all__ = ["ANSWERS_FILE", "answer", "load_answers", "menu", "policy_values"]

TOPIC_ENTITY = "faq_topic"
MENU = "questions"


class ActionAnswerQuestion(Action):
    def name(self) -> str:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        answers = answers_for(tracker.get_slot("language"))
        topic = next(tracker.get_latest_entity_values(TOPIC_ENTITY), None)
        if topic is None and tracker.get_intent_of_latest_message() == "missed_payment":
            topic = "missed_payment"
        if topic not in answers["topics"]:
            dispatcher.utter_message(text=answers["questions_menu"], buttons=menu(answers))
            return []
        svc = runtime.services()
        # Only the missed-payment answer speaks of the member's own bill.
        member = acting_member(tracker) if topic == "missed_payment" else None
        text = answer(answers, topic, svc, member, tracker.get_slot("language"))
        buttons = answers["topics"][topic].get("buttons", []) + [answers["more_questions"]]
        dispatcher.utter_message(text=text, buttons=buttons)
        return []


def menu(answers: dict) -> list[dict[str, str]]:
    return [{"title": topic["title"], "payload": f'/help{{"{TOPIC_ENTITY}": "{name}"}}'}
            for name, topic in answers["topics"].items()]


def answer(answers: dict, topic: str, svc: Services, account_id: int | None,
           language: str | None = None) -> str:
    values = policy_values(svc.policy, svc.today(), answers, language)
    if topic != "missed_payment":
        return answers["texts"][topic].format_map(values)
    texts = answers["texts"]["missed_payment"]
    return "\n\n".join(text.format_map(values) for text in
                       _missed_payment_texts(texts, svc, account_id, values, language))


def policy_values(policy: ExchangePolicy, today, answers: dict | None = None,
                  language: str | None = None) -> dict[str, Any]:
    """The policy's facts as `language` writes them (days as ordinals, dates by Babel)."""
    coverage_month, due = next_due_date(policy, today)
    locale = formatting.locale_for(language)
    ordinals = (answers or load_answers())["ordinals"]

    def ordinal(day: int) -> str:
        form = Locale.parse(locale).ordinal_form(day)
        return (ordinals.get(form) or ordinals["other"]).format(n=day)

    return {
        "exchange": policy.name,
        "phone": policy.phone,
        "tty": policy.tty,
        "mail_address": policy.mail_address,
        "due_day": ordinal(policy.due_day),
        "bill_day": ordinal(policy.bill_mailed_by_day),
        "bank_days": policy.bank_settlement_business_days,
        "confirmation_days": policy.enrollment_confirmation_business_days,
        "grace_months": policy.grace_for("connectorcare").months,
        "pay_by_days": policy.grace_for("unsubsidized").pay_by_days_after_due,
        "reinstatement_days": policy.reinstatement_days,
        "next_due_date": format_skeleton("MMMMd", due, locale=locale),
        "next_coverage_month": format_skeleton("yMMMM", coverage_month, locale=locale),
    }


def _missed_payment_texts(texts: dict, svc: Services, account_id: int | None,
                          values: dict[str, Any], language: str | None) -> list[str]:
    """The rule for the member's own subsidy type (both rules when not logged in), where their
    bill stands if a premium is past due, and what can happen after."""
    if account_id is None:
        return [texts["both_rules"], texts["after"]]
    summary = account_summary(svc, account_id)
    rule = svc.policy.grace_for(summary.subsidy_type)
    chosen = [texts["grace_period"] if rule.months else texts["pay_by_date"]]
    names = texts["subsidy_names"]
    values |= {"subsidy_name": names.get(summary.subsidy_type) or names["other"],
               "grace_months": rule.months}
    grace = summary.grace
    if grace is not None:
        at_risk = grace.coverage_at_risk_on
        values |= {"arrears": arrears(texts, grace, language),
                   "month_of_grace": grace.month_of_grace,
                   "coverage_at_risk_on": formatting.long_date(at_risk, language)}
        if grace.deadline_passed:
            chosen.append(texts["deadline_passed"])
        else:
            chosen.append(texts["in_grace"] if grace.grace_months else texts["past_due"])
    return chosen + [texts["after"]]


def arrears(texts: dict, grace, language: str | None) -> str:
    """What is past due, named by its coverage months with the amount, in the language's words
    (`arrears_one`, `arrears_many`, `months_in_year` of the missed-payment texts)."""
    months = grace.unpaid_months or (grace.first_unpaid_month,)
    template = texts["arrears_one"] if len(months) == 1 else texts["arrears_many"]
    return template.format(months=_month_names(texts["months_in_year"], months, language),
                           amount=formatting.money(grace.past_due_cents, language))


def _month_names(in_year: str, months, language: str | None) -> str:
    """"October and November 2026"; "December 2026 and January 2027" across a year."""
    locale = formatting.locale_for(language)
    if len({month.year for month in months}) == 1:
        names = [formatting.month_name(month, language) for month in months]
        return in_year.format(months=format_list(names, locale=locale), year=months[0].year)
    return format_list([in_year.format(months=formatting.month_name(month, language),
                                       year=month.year) for month in months], locale=locale)
