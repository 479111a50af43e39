"""Automatic payments in chat: set up, show, change, pause, resume, cancel — each reviewed and
confirmed — and the warning when the card expires before the next charge."""

from __future__ import annotations

import pytest

from dialogs.actions.money_texts import day
from services import autopay, payment_methods
from tests.e2e.demo_members import demo_member


@pytest.fixture
def svc(app_runtime):
    return app_runtime.services


def mandate_of(svc, username):
    return autopay.get_mandate(svc, demo_member(svc, username).account_id)


def walk(chat, *steps):
    for step in steps:
        if step.startswith("tap:"):
            chat.tap(step.removeprefix("tap:"))
        else:
            chat.say(step)


def test_set_up_autopay_for_the_full_balance(rest_chat, svc):
    rest_chat.log_in("alex")

    walk(rest_chat, "I want to set up autopay", "tap:Visa", "tap:Full balance", "tap:Monthly",
         "tap:3 days")

    assert "Please check your autopay:" in rest_chat.text
    assert "• From: Visa ending in 4242" in rest_chat.text
    assert "• Pays: your full balance" in rest_chat.text
    assert "• When: 3 days before each due date" in rest_chat.text
    assert "• First charge: Fri, Nov 20" in rest_chat.text
    assert mandate_of(svc, "alex") is None, "nothing starts before Activate"

    rest_chat.tap("Activate")

    mandate = mandate_of(svc, "alex")
    assert (mandate.status, mandate.amount_rule, mandate.frequency, mandate.days_before_due) \
        == ("active", "full_balance", "monthly", 3)
    assert mandate.method_id == demo_member(svc, "alex").method_ids["pm_card_visa"]
    assert f"Autopay is on. Next charge: {day(autopay.next_charge_date(svc, mandate))}" \
        in rest_chat.text


def test_set_up_a_fixed_amount_with_typed_answers(rest_chat, svc):
    rest_chat.log_in("alex")

    walk(rest_chat, "/setup_autopay", "the checking account", "a fixed amount", "$1,000.555",
         "$100", "quarterly", "25", "5 days")

    assert "Please check your autopay:" in rest_chat.text
    assert "• Pays: $100.00 each time (never more than you owe)" in rest_chat.text
    assert "• How often: quarterly" in rest_chat.text
    rest_chat.tap("Activate")
    mandate = mandate_of(svc, "alex")
    assert (mandate.amount_rule, mandate.fixed_amount_cents, mandate.frequency,
            mandate.days_before_due) == ("fixed", 10_000, "quarterly", 5)


def test_refused_answers_say_why_and_ask_again(rest_chat):
    rest_chat.log_in("alex")
    walk(rest_chat, "/setup_autopay", "tap:Visa", "tap:A fixed amount")

    rest_chat.say("12.345")
    assert "at most two decimals" in rest_chat.text
    assert "How much should autopay pay" in rest_chat.text

    walk(rest_chat, "50", "tap:Monthly")
    rest_chat.say("25")
    assert "from 0 to 20" in rest_chat.text
    assert "How many days before the due date" in rest_chat.text


@pytest.mark.parametrize("steps", [(), ("tap:Visa",), ("tap:Visa", "tap:Full balance"),
                                   ("tap:Visa", "tap:Full balance", "tap:Monthly")])
def test_cancel_in_the_middle_of_the_autopay_form(rest_chat, svc, steps):
    rest_chat.log_in("alex")
    walk(rest_chat, "/setup_autopay", *steps)

    rest_chat.say("cancel")

    assert "I've stopped that" in rest_chat.text
    assert mandate_of(svc, "alex") is None


def test_cancel_at_the_review_activates_nothing(rest_chat, svc):
    rest_chat.log_in("alex")
    walk(rest_chat, "/setup_autopay", "tap:Visa", "tap:Full balance", "tap:Monthly", "tap:3 days")
    activate = next(b["payload"] for b in rest_chat.buttons if b["title"] == "Activate")

    rest_chat.tap("Cancel")
    assert "Nothing was charged or changed" in rest_chat.text
    rest_chat.say(activate)

    assert "no longer open" in rest_chat.text
    assert mandate_of(svc, "alex") is None


def test_show_the_mandate_with_what_can_be_done(rest_chat, svc):
    rest_chat.log_in("maria")
    mandate = mandate_of(svc, "maria")

    rest_chat.say("/setup_autopay")

    assert "Your autopay is on:" in rest_chat.text
    assert "• From: Checking ending in 6789" in rest_chat.text
    assert "• Pays: your full balance" in rest_chat.text
    assert f"• Next charge: {day(autopay.next_charge_date(svc, mandate))}" in rest_chat.text
    assert [b["title"] for b in rest_chat.buttons] == ["Change", "Pause", "Cancel autopay"]


def test_change_pause_resume_and_cancel_each_after_a_review(rest_chat, svc):
    rest_chat.log_in("maria")

    walk(rest_chat, "/setup_autopay", "tap:Change", "tap:Days before")
    rest_chat.tap("7 days")
    assert "Please check the new terms:" in rest_chat.text
    assert mandate_of(svc, "maria").days_before_due == 3
    rest_chat.tap("Confirm")
    assert "Autopay is updated" in rest_chat.text
    assert mandate_of(svc, "maria").days_before_due == 7

    walk(rest_chat, "/setup_autopay", "tap:Pause")
    assert "Pause autopay?" in rest_chat.text
    assert mandate_of(svc, "maria").status == "active"
    rest_chat.tap("Pause autopay")
    assert mandate_of(svc, "maria").status == "paused"

    walk(rest_chat, "/setup_autopay", "tap:Resume")
    assert mandate_of(svc, "maria").status == "paused"
    rest_chat.say("yes")
    assert "Autopay is back on" in rest_chat.text
    assert mandate_of(svc, "maria").status == "active"

    rest_chat.say("stop my autopay")
    assert "Cancel autopay?" in rest_chat.text
    rest_chat.tap("Never mind")
    assert mandate_of(svc, "maria").status == "active"
    rest_chat.say("/cancel_autopay")
    rest_chat.tap("Cancel autopay")
    assert "Autopay is cancelled" in rest_chat.text
    assert mandate_of(svc, "maria") is None


def test_change_the_amount_asks_the_amount_only(rest_chat, svc):
    rest_chat.log_in("maria")

    walk(rest_chat, "/setup_autopay", "tap:Change", "tap:The amount", "tap:A fixed amount")
    assert "How much should autopay pay" in rest_chat.text
    rest_chat.say("80")

    assert "Please check the new terms:" in rest_chat.text
    assert "• Pays: $80.00 each time" in rest_chat.text
    rest_chat.tap("Confirm")
    mandate = mandate_of(svc, "maria")
    assert (mandate.amount_rule, mandate.fixed_amount_cents, mandate.days_before_due) == \
        ("fixed", 8_000, 3)


def test_a_card_expiring_before_the_next_charge_is_warned_about(rest_chat, svc):
    alex = demo_member(svc, "alex")
    # A card that works through November 2026 only; autopay would first charge in December.
    saved = svc.gateway.tokenize_card("4242424242424242", 11, 2026, "123", "02110",
                                      today=svc.today())
    url = payment_methods.create_setup_token(svc, alex.account_id)
    expiring = payment_methods.redeem_setup_token(svc, url.rsplit("/", 1)[-1], saved)
    rest_chat.log_in("alex")

    walk(rest_chat, "/setup_autopay", f'/inform{{"payment_method": "{expiring.id}"}}',
         "tap:Full balance", "tap:Quarterly", "tap:3 days")

    assert "expires at the end of November 2026, before the charge on December 20, 2026" \
        in rest_chat.text


def test_autopay_needs_the_password_again_after_an_idle_session(rest_chat, svc, clock):
    rest_chat.log_in("maria")
    walk(rest_chat, "/setup_autopay", "tap:Pause")
    clock.advance(minutes=16)

    rest_chat.tap("Pause autopay")
    assert "password" in rest_chat.text.lower()
    assert mandate_of(svc, "maria").status == "active"

    rest_chat.say("Premium-Demo-2026")

    assert "Autopay is paused" in rest_chat.text
    assert mandate_of(svc, "maria").status == "paused"
