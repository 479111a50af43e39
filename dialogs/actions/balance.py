"""What do I owe: the balance of each plan (health and dental are billed separately), what is
pending, the next due date, autopay, and the grace-period warning when coverage is at risk.
Every line in the member's language (responses_money.yml)."""

from __future__ import annotations

import datetime as dt

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions import runtime
from dialogs.actions.member_session import acting_member
from dialogs.actions.money_texts import (
    Domain,
    button_of,
    day,
    joined,
    long_day,
    money,
    month,
    month_name,
    offer_log_in,
    plan_title,
    words,
)
from services import billing
from services.billing import AccountSummary, AutopayLine, PlanLine
from services.grace import GraceStatus, past_due_since
from services.policy import ExchangePolicy


class ActionShowBalance(Action):
    def name(self) -> str:
        return "action_show_balance"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        member = acting_member(tracker)
        if member is None:
            return offer_log_in(dispatcher, tracker, self.name())
        svc = runtime.services()
        summary = billing.account_summary(svc, member)
        dispatcher.utter_message(text=balance_text(summary, svc.policy, domain, tracker),
                                 buttons=balance_buttons(summary, domain, tracker))
        return []


def balance_text(summary: AccountSummary, policy: ExchangePolicy, domain: Domain = None,
                 tracker: Tracker | None = None) -> str:
    def say(name: str, **values) -> str:
        return words(domain, tracker, name, **values)

    lines = [say("utter_balance_heading")]
    lines += [_plan_line(plan, domain, tracker) for plan in summary.plans]
    if len(summary.plans) > 1:
        lines.append(say("utter_balance_total", total=money(summary.total_due_cents, tracker)))
    if summary.pending_cents:
        lines.append(say("utter_balance_pending", pending=money(summary.pending_cents, tracker)))
    if summary.credit_cents:
        lines.append(say("utter_balance_credit", credit=money(summary.credit_cents, tracker)))
    lines.append(autopay_text(summary.autopay, domain, tracker))
    if summary.grace is not None:
        lines.append(grace_warning(summary.grace, policy, domain, tracker))
    return "\n".join(lines)


def _plan_line(plan: PlanLine, domain: Domain, tracker: Tracker | None) -> str:
    values = {"plan": plan_title(plan.kind, domain, tracker), "plan_name": plan.name,
              "balance": money(plan.balance_cents, tracker)}
    current = plan.balance_cents - plan.past_due_cents
    if plan.balance_cents == 0:
        line = words(domain, tracker, "utter_balance_plan_nothing_due", **values,
                     next_due=day(plan.next_due_date, tracker))
    elif plan.past_due_cents:
        values |= {"past_due": money(plan.past_due_cents, tracker),
                   "since": long_day(past_due_since(plan.next_due_date), tracker)}
        if current > 0 and plan.current_due_date is not None:
            # The current bill's due date too: "when is it due" is answered for it as well.
            line = words(domain, tracker, "utter_balance_plan_past_due_and_current", **values,
                         current=money(current, tracker),
                         current_due=day(plan.current_due_date, tracker))
        else:
            line = words(domain, tracker, "utter_balance_plan_past_due", **values)
    else:
        line = words(domain, tracker, "utter_balance_plan_due", **values,
                     due=day(plan.next_due_date, tracker))
    if plan.pending_cents:
        line = words(domain, tracker, "utter_balance_plan_pending", line=line,
                     pending=money(plan.pending_cents, tracker))
    return line


def autopay_text(autopay: AutopayLine, domain: Domain = None,
                 tracker: Tracker | None = None) -> str:
    if autopay.status == "active":
        if autopay.next_charge_on:
            return words(domain, tracker, "utter_balance_autopay_on",
                         day=day(autopay.next_charge_on, tracker))
        return words(domain, tracker, "utter_balance_autopay_on_unscheduled")
    if autopay.status == "paused":
        return words(domain, tracker, "utter_balance_autopay_paused")
    return words(domain, tracker, "utter_balance_autopay_off")


def grace_warning(grace: GraceStatus, policy: ExchangePolicy, domain: Domain = None,
                  tracker: Tracker | None = None) -> str:
    values = {"arrears": arrears_text(grace, domain, tracker),
              "deadline": long_day(grace.coverage_at_risk_on, tracker)}
    if grace.deadline_passed:
        return words(domain, tracker, "utter_grace_deadline_passed", **values,
                     phone=policy.phone, tty=policy.tty)
    if grace.grace_months:
        return words(domain, tracker, "utter_grace_in_grace_period", **values,
                     month_of_grace=grace.month_of_grace, grace_months=grace.grace_months)
    return words(domain, tracker, "utter_grace_pay_by", **values)


def arrears_text(grace: GraceStatus, domain: Domain = None,
                 tracker: Tracker | None = None) -> str:
    """"Your October and November 2026 premiums, $266.00, are past due": what is past due,
    named by its coverage months."""
    months = grace.unpaid_months or (grace.first_unpaid_month,)
    amount = money(grace.past_due_cents, tracker)
    if len(months) == 1:
        return words(domain, tracker, "utter_arrears_one", month=month(months[0], tracker),
                     amount=amount)
    return words(domain, tracker, "utter_arrears_many",
                 months=month_names(months, domain, tracker), amount=amount)


def month_names(months: tuple[dt.date, ...], domain: Domain = None,
                tracker: Tracker | None = None) -> str:
    """"October and November 2026"; "December 2026 and January 2027" across a year."""
    if len({date.year for date in months}) > 1:
        return joined((month(date, tracker) for date in months), domain, tracker)
    names = joined((month_name(date, tracker) for date in months), domain, tracker)
    return words(domain, tracker, "utter_months_of_year", months=names, year=months[0].year)


def balance_buttons(summary: AccountSummary, domain: Domain = None,
                    tracker: Tracker | None = None) -> list[dict[str, str]]:
    buttons = []
    if summary.total_due_cents:
        buttons.append(button_of(domain, tracker, "utter_button_pay_now", "make_payment"))
    autopay = "utter_button_set_up_autopay" if summary.autopay.status == "off" \
        else "utter_button_manage_autopay"
    buttons.append(button_of(domain, tracker, autopay, "setup_autopay"))
    buttons.append(button_of(domain, tracker, "utter_button_payment_history", "payment_history"))
    return buttons
