"""What do I owe, and payment history: the demo members through the REST channel."""

from __future__ import annotations

import re

import pytest

from dialogs.actions.money_texts import day, long_day
from services import billing, payments
from services.money import format_cents
from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.demo_members import demo_member

REFERENCE = re.compile(r"HC-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}")


@pytest.fixture
def svc(app_runtime):
    return app_runtime.services


def summary_of(svc, username):
    return billing.account_summary(svc, demo_member(svc, username).account_id)


def titles(chat):
    return [button["title"] for button in chat.buttons]


def test_health_and_dental_are_shown_separately_with_the_next_due_date(rest_chat, svc):
    rest_chat.log_in("alex")
    summary = summary_of(svc, "alex")
    health, dental = summary.plans

    rest_chat.say("what do I owe?")

    assert f"Health ({health.name}): {format_cents(health.balance_cents)}, due " \
           f"{day(health.next_due_date)}" in rest_chat.text
    assert f"Dental ({dental.name}): {format_cents(dental.balance_cents)}" in rest_chat.text
    assert f"Total due: {format_cents(summary.total_due_cents)}" in rest_chat.text
    assert "Autopay: off." in rest_chat.text
    assert "past due" not in rest_chat.text
    assert titles(rest_chat) == ["Pay now", "Set up autopay", "Payment history"]


def test_a_member_in_a_grace_period_is_told_when_coverage_is_at_risk(rest_chat, svc):
    rest_chat.log_in("james")
    grace = summary_of(svc, "james").grace
    assert grace is not None and grace.grace_months == 3

    rest_chat.say("/check_balance")

    assert f"Coverage at risk on {long_day(grace.coverage_at_risk_on)}" in rest_chat.text
    assert long_day(grace.coverage_at_risk_on) == "December 31, 2026"
    assert "month 2 of your 3-month grace period" in rest_chat.text
    assert (f"Your October and November 2026 premiums, {format_cents(grace.past_due_cents)}, "
            "are past due") in rest_chat.text
    # The same first day past due as the notices say (services/grace_notices.py).
    assert f"past due since {long_day(grace.past_due_since)}; $133.00 due Mon, Nov 23" \
        in rest_chat.text


def test_an_unsubsidized_member_past_due_is_told_to_pay_by_a_date(rest_chat, svc):
    rest_chat.log_in("linda")
    grace = summary_of(svc, "linda").grace
    assert grace is not None and grace.grace_months == 0

    rest_chat.say("how much do I owe")

    assert f"Please pay by {long_day(grace.coverage_at_risk_on)}" in rest_chat.text
    assert "grace period" not in rest_chat.text
    assert "Pay now" in titles(rest_chat)


def test_autopay_on_shows_the_next_charge_and_a_manage_button(rest_chat, svc):
    rest_chat.log_in("maria")
    autopay = summary_of(svc, "maria").autopay

    rest_chat.say("/check_balance")

    assert f"Autopay: on, next charge {day(autopay.next_charge_on)}." in rest_chat.text
    assert "Manage autopay" in titles(rest_chat)


def test_a_payment_still_settling_shows_as_pending(rest_chat, svc):
    rest_chat.log_in("dana")
    summary = summary_of(svc, "dana")
    assert summary.pending_cents > 0

    rest_chat.say("/check_balance")

    assert f"Pending: {format_cents(summary.pending_cents)}" in rest_chat.text
    assert "Pay now" not in titles(rest_chat)


def test_not_logged_in_is_asked_to_log_in_and_then_shown_what_they_owe(rest_chat):
    rest_chat.say("what do I owe")

    assert "let's log you in" in rest_chat.text
    assert "What's your username?" in rest_chat.text
    assert "/create_account" in [b["payload"] for b in rest_chat.buttons]
    rest_chat.say("alex")
    rest_chat.say(DEMO_PASSWORD)
    assert "Total due: $441.50" in rest_chat.text


def test_history_shows_the_latest_five_then_older_ones(rest_chat, svc):
    rest_chat.log_in("alex")
    member = demo_member(svc, "alex")
    everything = payments.recent_payments(svc, member.account_id, limit=50)
    assert len(everything) > 5

    rest_chat.say("show my payment history")

    lines = [line for line in rest_chat.text.splitlines() if line.startswith("• ")]
    assert len(lines) == 5
    newest = everything[0]
    assert lines[0] == (f"• {long_day(newest.confirmed_at.date())} · "
                        f"{format_cents(newest.amount_cents)} · Visa ending in 4242 · paid · "
                        f"{newest.reference}")
    assert [REFERENCE.search(line).group() for line in lines] == \
        [p.reference for p in everything[:5]]

    rest_chat.tap("Show older")

    older = [REFERENCE.search(line).group() for line in rest_chat.text.splitlines()
             if line.startswith("• ")]
    assert older == [p.reference for p in everything[5:10]]


def test_the_history_cursor_is_only_a_position_in_the_members_own_list(rest_chat, svc):
    rest_chat.log_in("alex")
    maria = demo_member(svc, "maria")
    marias_newest = payments.recent_payments(svc, maria.account_id, limit=1)[0]

    rest_chat.say(f'/payment_history{{"history_before": "{marias_newest.id + 1}"}}')

    assert rest_chat.text.startswith("Older payments:")
    assert not maria.identifying & set(REFERENCE.findall(rest_chat.text))
    alex = {p.reference for p in payments.recent_payments(
        svc, demo_member(svc, "alex").account_id, limit=50)}
    assert set(REFERENCE.findall(rest_chat.text)) <= alex


def test_history_needs_a_log_in(rest_chat):
    rest_chat.say("/payment_history")

    assert "let's log you in" in rest_chat.text and "username" in rest_chat.text
