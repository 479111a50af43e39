"""Make a payment, end to end: amount, plan, method, review, Confirm, and every outcome — and
that nothing is ever charged twice or for someone else."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select

from dialogs.actions.money_texts import day
from services import billing, payment_methods, payments
from services.adapters.sandbox_gateway import SandboxGateway
from services.business_days import add_business_days
from services.errors import GatewayUnavailable
from services.persistence.database import make_session_factory
from services.persistence.models import Payment
from services.ports import SavedMethod
from tests.e2e.demo_members import demo_member

REFERENCE = re.compile(r"HC-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}")


@pytest.fixture
def svc(app_runtime):
    return app_runtime.services


@pytest.fixture
def alex(rest_chat, svc):
    rest_chat.log_in("alex")
    return demo_member(svc, "alex")


def owed(svc, member):
    return billing.account_summary(svc, member.account_id).total_due_cents


def charges(svc):
    return svc.gateway.charge_count()


def button_payload(chat, title):
    return next(b["payload"] for b in chat.buttons if b["title"].startswith(title))


def pay_to_review(chat, *answers):
    chat.say("I want to pay my bill")
    for answer in answers:
        if answer.startswith("tap:"):
            chat.tap(answer.removeprefix("tap:"))
        else:
            chat.say(answer)
    assert "Please check your payment" in chat.text, chat.text


def test_a_whole_card_payment(rest_chat, svc, alex):
    before, charged = owed(svc, alex), charges(svc)

    pay_to_review(rest_chat, "tap:Both", "tap:Pay $441.50", "tap:Visa")

    assert "• Amount: $441.50" in rest_chat.text
    assert "• From: Visa ending in 4242" in rest_chat.text
    assert f"• Date: {day(svc.today())} (today)" in rest_chat.text
    assert "Health, December 2026 ($412.50); Dental, December 2026 ($29.00)" in rest_chat.text
    assert charges(svc) == charged, "the review charges nothing"

    rest_chat.tap("Confirm")

    assert "Payment received: $441.50" in rest_chat.text
    reference = REFERENCE.search(rest_chat.text).group()
    assert "It paid Health, December 2026" in rest_chat.text
    assert charges(svc) == charged + 1
    assert owed(svc, alex) == before - 44_150
    rest_chat.say("/payment_history")
    assert f"paid · {reference}" in rest_chat.text


def test_a_bank_payment_is_processing_until_it_settles(rest_chat, svc, alex):
    pay_to_review(rest_chat, "tap:Health", "tap:Pay $412.50", "tap:Checking")
    assert "Pays: Health, December 2026 ($412.50)" in rest_chat.text

    rest_chat.tap("Confirm")

    settles = add_business_days(svc.today(), svc.policy.bank_settlement_business_days)
    assert "Your bank payment of $412.50 is on its way" in rest_chat.text
    assert f"it should settle by {day(settles)}" in rest_chat.text
    assert REFERENCE.search(rest_chat.text)


def test_a_typed_amount_pays_part_of_the_bill(rest_chat, svc, alex):
    pay_to_review(rest_chat, "tap:Both", "tap:Another amount", "I'll pay $100", "the visa")

    assert "• Amount: $100.00" in rest_chat.text
    assert "Pays: Health, December 2026 ($100.00)" in rest_chat.text


def test_an_amount_in_the_first_message_is_taken(rest_chat, svc, alex):
    rest_chat.say("pay $29 for dental")

    assert "Which method" in rest_chat.text
    rest_chat.tap("Visa")
    assert "• Amount: $29.00" in rest_chat.text
    assert "Pays: Dental, December 2026 ($29.00)" in rest_chat.text


@pytest.mark.parametrize(("typed", "reason"), [
    ("0", "The amount must be more than $0.00."),
    ("-5", "The amount can't be negative."),
    ("12.345", "Amounts can have at most two decimals (cents)."),
    ("20000", "The most you can pay at once is $10,000.00."),
    ("$500", "That's more than you owe ($441.50). Please pay $441.50 or less."),
    ("0.25", "The smallest payment I can take is $0.50."),
    ("a lot", "I couldn't read that as an amount."),
])
def test_amounts_that_cannot_be_paid_are_refused_and_the_member_tries_again(
        rest_chat, svc, alex, typed, reason):
    rest_chat.say("/make_payment")
    rest_chat.tap("Both")

    rest_chat.say(typed)

    assert reason in rest_chat.text
    assert "How much would you like to pay?" in rest_chat.text
    rest_chat.say("41.50")
    assert "Which method" in rest_chat.text


def test_a_second_confirm_tap_charges_once(rest_chat, svc, alex):
    pay_to_review(rest_chat, "tap:Both", "tap:Pay $441.50", "tap:Visa")
    confirm = button_payload(rest_chat, "Confirm")
    charged = charges(svc)

    rest_chat.say(confirm)
    reference = REFERENCE.search(rest_chat.text).group()
    rest_chat.say(confirm)

    assert f"This payment was already submitted: {reference}, status paid" in rest_chat.text
    assert charges(svc) == charged + 1
    with svc.uow() as uow:
        assert len(uow.session.scalars(select(Payment).where(
            Payment.account_id == alex.account_id, Payment.status == "succeeded",
            Payment.reference == reference)).all()) == 1


def test_confirm_on_an_old_message_after_a_newer_payment_shows_that_payment(rest_chat, svc,
                                                                            alex):
    pay_to_review(rest_chat, "tap:Health", "tap:Pay $412.50", "tap:Visa")
    first_confirm = button_payload(rest_chat, "Confirm")
    rest_chat.say(first_confirm)
    first = REFERENCE.search(rest_chat.text).group()
    pay_to_review(rest_chat, "tap:Pay $29.00", "tap:Visa")
    rest_chat.tap("Confirm")
    charged = charges(svc)

    rest_chat.say(first_confirm)

    assert f"already submitted: {first}" in rest_chat.text
    assert charges(svc) == charged


def test_a_confirm_naming_another_members_draft_is_refused(rest_chat, svc, alex, caplog):
    maria = demo_member(svc, "maria")
    marias = payments.create_draft(svc, maria.account_id, amount_cents=9_600,
                                   method_id=maria.method_ids["bank_ok"])
    charged = charges(svc)

    with caplog.at_level(logging.WARNING):
        rest_chat.say(f'/affirm{{"confirm_payment": "{marias.id}"}}')

    assert "I couldn't find that payment" in rest_chat.text
    assert charges(svc) == charged
    with svc.uow() as uow:
        assert uow.session.get(Payment, marias.id).status == "draft"
    assert any("forged or stale payload" in r.getMessage() and "member-1" in r.getMessage()
               for r in caplog.records)


def test_a_cancelled_review_cannot_be_confirmed_later(rest_chat, svc, alex):
    pay_to_review(rest_chat, "tap:Both", "tap:Pay $441.50", "tap:Visa")
    confirm = button_payload(rest_chat, "Confirm")
    charged = charges(svc)

    rest_chat.tap("Cancel")
    assert "Nothing was charged" in rest_chat.text
    rest_chat.say(confirm)

    assert "I couldn't find that payment" in rest_chat.text
    assert charges(svc) == charged


def test_a_typed_yes_confirms_the_review(rest_chat, svc, alex):
    pay_to_review(rest_chat, "tap:Dental", "tap:Pay $29.00", "tap:Visa")

    rest_chat.say("yes")

    assert "Payment received: $29.00" in rest_chat.text


@pytest.mark.parametrize("step", ["plan", "amount", "method"])
def test_cancel_in_the_middle_of_the_payment(rest_chat, svc, alex, step):
    before, charged = owed(svc, alex), charges(svc)
    rest_chat.say("/make_payment")
    if step != "plan":
        rest_chat.tap("Both")
    if step == "method":
        rest_chat.tap("Pay $441.50")

    rest_chat.say("cancel")

    assert "I've stopped that" in rest_chat.text
    rest_chat.say("yes")
    assert "Payment received" not in rest_chat.text
    assert (owed(svc, alex), charges(svc)) == (before, charged)


def test_a_declined_card_gets_the_plain_reason_and_next_steps(rest_chat, svc):
    rest_chat.log_in("spatel")

    pay_to_review(rest_chat, "tap:Pay $187.00", "tap:Visa ending in 9995")
    rest_chat.tap("Confirm")

    assert "declined" in rest_chat.text.lower()
    assert "insufficient" in rest_chat.text.lower() or "funds" in rest_chat.text.lower()
    assert [(b["title"], b["payload"]) for b in rest_chat.buttons] == [
        ("Try another method", "/make_payment"),
        ("Add a card or bank account", "/manage_payment_methods"),
        ("Talk to a person", "/talk_to_human")]

    rest_chat.tap("Try another method")
    rest_chat.tap("Pay $187.00")
    rest_chat.tap("Mastercard")
    rest_chat.tap("Confirm")
    assert "Payment received: $187.00" in rest_chat.text


def test_a_gateway_timeout_is_checked_and_never_charged_twice(rest_chat, svc, alex, e2e_engine,
                                                               clock):
    def time_out_after_charging(stage, request):
        if stage == "after_charge":
            raise GatewayUnavailable("the gateway did not answer in time")

    svc.gateway = SandboxGateway(make_session_factory(e2e_engine), clock,
                                 fault_injector=time_out_after_charging)
    pay_to_review(rest_chat, "tap:Both", "tap:Pay $441.50", "tap:Visa")
    charged = charges(svc)

    rest_chat.tap("Confirm")

    assert "We're checking on this payment" in rest_chat.text
    assert "You won't be charged twice" in rest_chat.text
    assert charges(svc) == charged + 1
    reference = REFERENCE.search(rest_chat.text).group()
    with svc.uow() as uow:
        payment = uow.session.scalar(select(Payment).where(Payment.reference == reference))
        assert payment.status == "pending"
    svc.gateway = SandboxGateway(make_session_factory(e2e_engine), clock)

    assert payments.reconcile_payment(svc, payment.id).status == "succeeded"
    assert charges(svc) == charged + 1
    assert owed(svc, alex) == 0


def test_adding_a_method_sends_the_link_and_the_form_goes_on_when_it_is_saved(rest_chat, svc,
                                                                             alex):
    rest_chat.say("/make_payment")
    rest_chat.tap("Both")
    rest_chat.tap("Pay $441.50")

    rest_chat.tap("Add a card or bank account")

    link = re.search(r"http://\S+/methods/setup/(\S+)", rest_chat.text)
    assert link, rest_chat.text
    assert "I'll wait here" in rest_chat.text
    saved = svc.gateway.tokenize_card("5555555555554444", 12, 2030, "123", "02110",
                                      today=svc.today())
    method = payment_methods.redeem_setup_token(svc, link.group(1), saved)

    rest_chat.say(f'/inform{{"payment_method": "{method.id}"}}')

    assert "• From: Mastercard ending in 4444" in rest_chat.text
    rest_chat.tap("Confirm")
    assert "Payment received: $441.50" in rest_chat.text


def test_a_method_of_another_member_is_not_offered_or_taken(rest_chat, svc, alex, caplog):
    marias_bank = demo_member(svc, "maria").method_ids["bank_ok"]
    rest_chat.say("/make_payment")
    rest_chat.tap("Both")
    rest_chat.tap("Pay $441.50")

    with caplog.at_level(logging.WARNING):
        rest_chat.say(f'/inform{{"payment_method": "{marias_bank}"}}')

    assert "I couldn't find that payment method" in rest_chat.text
    assert "Which method would you like to pay with?" in rest_chat.text
    assert "forged or stale payload" in caplog.text


def test_nothing_to_pay_says_so(rest_chat, svc, alex):
    pay_to_review(rest_chat, "tap:Both", "tap:Pay $441.50", "tap:Visa")
    rest_chat.tap("Confirm")

    rest_chat.say("/make_payment")

    assert "You don't owe anything right now" in rest_chat.text


def test_not_logged_in_logs_in_first_then_pays(rest_chat, svc):
    rest_chat.say("I want to make a payment")
    assert "username" in rest_chat.text.lower()

    rest_chat.say("alex")
    rest_chat.say("Premium-Demo-2026")

    assert "What would you like to pay?" in rest_chat.text


def test_an_expired_session_asks_for_the_password_then_goes_on(rest_chat, svc, alex, clock):
    clock.advance(minutes=16)

    rest_chat.say("/make_payment")
    assert "password" in rest_chat.text.lower()
    assert "What would you like to pay?" not in rest_chat.text

    rest_chat.say("Premium-Demo-2026")

    assert rest_chat.deleted
    assert "What would you like to pay?" in rest_chat.text


def test_an_expired_session_at_confirm_asks_for_the_password_then_pays(rest_chat, svc, alex,
                                                                        clock):
    pay_to_review(rest_chat, "tap:Both", "tap:Pay $441.50", "tap:Visa")
    charged = charges(svc)
    clock.advance(minutes=16)

    rest_chat.tap("Confirm")
    assert "password" in rest_chat.text.lower()
    assert charges(svc) == charged

    rest_chat.say("Premium-Demo-2026")

    assert "Payment received: $441.50" in rest_chat.text
    assert charges(svc) == charged + 1


def add_method(svc, member, saved):
    """Save a method the way the hosted page does: through a one-time setup link."""
    url = payment_methods.create_setup_token(svc, member.account_id)
    return payment_methods.redeem_setup_token(svc, url.rsplit("/", 1)[-1], saved)


def test_a_card_that_needs_3d_secure_gets_the_secure_link(rest_chat, svc, alex):
    card = add_method(svc, alex, svc.gateway.describe("pm_card_authenticationRequired"))
    rest_chat.say("/make_payment")
    rest_chat.tap("Dental")
    rest_chat.tap("Pay $29.00")
    rest_chat.say(f'/inform{{"payment_method": "{card.id}"}}')

    rest_chat.tap("Confirm")

    assert "Your card issuer wants you to confirm this payment" in rest_chat.text
    assert re.search(r"secure page: http://\S+", rest_chat.text)


def test_an_expired_card_is_not_offered(rest_chat, svc, alex):
    expired = add_method(svc, alex, SavedMethod(token="pm_card_visa", kind="card",
                                                brand="Visa", last4="1881", exp_month=10,
                                                exp_year=2026))
    rest_chat.say("/make_payment")
    rest_chat.tap("Both")
    rest_chat.tap("Pay $441.50")

    assert "Visa ending in 1881 has expired, so it isn't listed" in rest_chat.text
    assert "1881" not in " ".join(b["title"] for b in rest_chat.buttons)
    rest_chat.say(f'/inform{{"payment_method": "{expired.id}"}}')
    assert "Your Visa ending in 1881 has expired" in rest_chat.text
    assert "Which method would you like to pay with?" in rest_chat.text

