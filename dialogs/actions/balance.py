"""What do I owe: the balance of each plan (health and dental are billed separately), what is
pending, the next due date, autopay, and the grace-period warning when coverage is at risk."""

from __future__ import annotations

import datetime as dt

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from dialogs.actions import runtime
from dialogs.actions.member_session import acting_member
from dialogs.actions.money_texts import button, day, long_day, offer_log_in, plan_title
from services import billing
from services.billing import AccountSummary, AutopayLine, PlanLine
from services.grace import GraceStatus, past_due_since
from services.money import format_cents
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
        dispatcher.utter_message(text=balance_text(summary, svc.policy),
                                 buttons=balance_buttons(summary))
        return []


def balance_text(summary: AccountSummary, policy: ExchangePolicy) -> str:
    lines = ["Here's what you owe:"]
    lines += [_plan_line(plan) for plan in summary.plans]
    if len(summary.plans) > 1:
        lines.append(f"Total due: {format_cents(summary.total_due_cents)}")
    if summary.pending_cents:
        lines.append(f"Pending: {format_cents(summary.pending_cents)} you paid is still being "
                     "processed.")
    if summary.credit_cents:
        lines.append(f"Credit: {format_cents(summary.credit_cents)} will go toward your next "
                     "bills.")
    lines.append(autopay_text(summary.autopay))
    if summary.grace is not None:
        lines.append(grace_warning(summary.grace, policy))
    return "\n".join(lines)


def _plan_line(plan: PlanLine) -> str:
    title = f"• {plan_title(plan.kind)} ({plan.name}): "
    if plan.balance_cents == 0:
        line = title + f"nothing due now; next bill due {day(plan.next_due_date)}"
    elif plan.past_due_cents:
        since = long_day(past_due_since(plan.next_due_date))
        line = title + (f"{format_cents(plan.balance_cents)} ({format_cents(plan.past_due_cents)}"
                        f" past due since {since}")
        current = plan.balance_cents - plan.past_due_cents
        if current > 0 and plan.current_due_date is not None:
            # The current bill's due date too: "when is it due" is answered for it as well.
            line += f"; {format_cents(current)} due {day(plan.current_due_date)}"
        line += ")"
    else:
        line = title + f"{format_cents(plan.balance_cents)}, due {day(plan.next_due_date)}"
    if plan.pending_cents:
        line += f"; {format_cents(plan.pending_cents)} pending"
    return line


def autopay_text(autopay: AutopayLine) -> str:
    if autopay.status == "active":
        when = f"next charge {day(autopay.next_charge_on)}" if autopay.next_charge_on \
            else "no charge scheduled"
        return f"Autopay: on, {when}."
    if autopay.status == "paused":
        return "Autopay: paused. Nothing will be charged until you resume it."
    return "Autopay: off."


def grace_warning(grace: GraceStatus, policy: ExchangePolicy) -> str:
    arrears, verb = arrears_text(grace)
    arrears = arrears[0].upper() + arrears[1:]
    deadline = long_day(grace.coverage_at_risk_on)
    if grace.deadline_passed:
        return (f"⚠️ {arrears} {verb} past due and the last day to pay, {deadline}, has "
                f"passed. Please call {policy.phone} (TTY {policy.tty}) about your coverage.")
    if grace.grace_months:
        return (f"⚠️ {arrears} {verb} past due: month {grace.month_of_grace} of your "
                f"{grace.grace_months}-month grace period. Coverage at risk on {deadline}: "
                "pay the past-due amount before then to keep your coverage.")
    return (f"⚠️ {arrears} {verb} past due. Please pay by {deadline} to keep your coverage "
            "(coverage at risk on that date).")


def arrears_text(grace: GraceStatus) -> tuple[str, str]:
    """("your October and November 2026 premiums, $266.00,", "are"): what is past due, named
    by its coverage months, and the verb that agrees with it."""
    months = grace.unpaid_months or (grace.first_unpaid_month,)
    amount = format_cents(grace.past_due_cents)
    if len(months) == 1:
        return f"your {months[0]:%B %Y} premium, {amount},", "is"
    return f"your {month_names(months)} premiums, {amount},", "are"


def month_names(months: tuple[dt.date, ...]) -> str:
    """"October and November 2026"; "December 2026 and January 2027" across a year."""
    same_year = len({month.year for month in months}) == 1
    names = [f"{month:%B}" if same_year else f"{month:%B %Y}" for month in months]
    joined = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{joined} {months[0].year}" if same_year else joined


def balance_buttons(summary: AccountSummary) -> list[dict[str, str]]:
    buttons = []
    if summary.total_due_cents:
        buttons.append(button("Pay now", "make_payment"))
    autopay = "Set up autopay" if summary.autopay.status == "off" else "Manage autopay"
    buttons.append(button(autopay, "setup_autopay"))
    buttons.append(button("Payment history", "payment_history"))
    return buttons
