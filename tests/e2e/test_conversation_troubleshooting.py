"""Troubleshooting in chat: a declined payment explained, and a payment that isn't showing up
traced by its reference — the member's own only — with a support request when it is overdue."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from dialogs.actions.money_texts import long_day
from services import payment_methods, payments
from services.persistence.models import Base, Payment, SupportRequest
from services.troubleshooting import explain_decline
from tests.e2e.demo_members import demo_member


@pytest.fixture
def svc(app_runtime, e2e_engine):
    # Tables added since the migration the seeded database was made with (support requests);
    # a no-op once the migration has them.
    Base.metadata.create_all(e2e_engine)
    return app_runtime.services


def latest_payment(svc, username, status):
    account_id = demo_member(svc, username).account_id
    with svc.uow() as uow:
        return uow.session.scalar(
            select(Payment).where(Payment.account_id == account_id, Payment.status == status)
            .order_by(Payment.id.desc()).limit(1))


def test_a_declined_payment_is_explained_with_what_to_do_next(rest_chat, svc):
    declined = latest_payment(svc, "spatel", "declined")
    rest_chat.log_in("spatel")

    rest_chat.say("my payment was declined")

    assert f"(reference {declined.reference}) didn't go through" in rest_chat.text
    assert "Visa ending in 9995" in rest_chat.text
    explanation = explain_decline("insufficient_funds")
    assert f"{explanation.title}. {explanation.explanation}" in rest_chat.text
    assert f"• {explanation.next_steps[0]}" in rest_chat.text
    assert [(b["title"], b["payload"]) for b in rest_chat.buttons] == [
        ("Try another method", "/make_payment"),
        ("Add a card or bank account", "/manage_payment_methods"),
        ("Talk to a person", "/talk_to_human")]


def test_a_lost_card_reads_as_a_generic_decline(rest_chat, svc):
    alex = demo_member(svc, "alex")
    saved = svc.gateway.describe("pm_card_visa_chargeDeclinedLostCard")
    url = payment_methods.create_setup_token(svc, alex.account_id)
    lost = payment_methods.redeem_setup_token(svc, url.rsplit("/", 1)[-1], saved)
    draft = payments.create_draft(svc, alex.account_id, amount_cents=2_900, method_id=lost.id)
    assert payments.confirm_payment(svc, alex.account_id, draft.id).decline_code == "lost_card"
    rest_chat.log_in("alex")

    rest_chat.say("/payment_declined")

    assert "declined this payment without telling us why" in rest_chat.text
    for word in ("lost", "stolen", "fraud"):
        assert word not in rest_chat.text.lower()


def test_no_declined_payment_says_so(rest_chat, svc):
    rest_chat.log_in("alex")

    rest_chat.say("/payment_declined")

    assert "I don't see any declined payments" in rest_chat.text
    assert "Payment history" in [b["title"] for b in rest_chat.buttons]


def test_a_bank_payment_shows_its_timeline_and_settlement_date(rest_chat, svc):
    processing = latest_payment(svc, "dana", "processing")
    rest_chat.log_in("dana")

    rest_chat.say("my payment isn't showing up")
    assert "What's the payment's reference number?" in rest_chat.text
    assert processing.reference in [b["title"].split(" · ")[0] for b in rest_chat.buttons]
    rest_chat.say(processing.reference.lower().replace("-", " "))

    assert f"Payment {processing.reference}: $354.00 from Checking ending in 6789, " \
           "processing (bank)." in rest_chat.text
    assert "Sent to the payment service." in rest_chat.text
    assert f"it should settle by {long_day(processing.expected_settlement_on)}" \
        in rest_chat.text
    assert "Open a support request" not in [b["title"] for b in rest_chat.buttons]


def test_a_recent_payment_can_be_tapped(rest_chat, svc):
    rest_chat.log_in("alex")
    rest_chat.say("/payment_missing")

    rest_chat.tap("HC-")

    newest = payments.recent_payments(svc, demo_member(svc, "alex").account_id, limit=1)[0]
    assert f"Payment {newest.reference}: $441.50 from Visa ending in 4242, paid." \
        in rest_chat.text
    assert "It paid Health, November 2026 ($412.50); Dental, November 2026 ($29.00)." \
        in rest_chat.text


def test_a_reference_in_the_first_message_is_traced_at_once(rest_chat, svc):
    processing = latest_payment(svc, "dana", "processing")
    rest_chat.log_in("dana")

    rest_chat.say(f"payment {processing.reference} hasn't shown up")

    assert f"Payment {processing.reference}:" in rest_chat.text


def test_another_members_reference_reads_as_not_found(rest_chat, svc):
    marias = latest_payment(svc, "maria", "succeeded").reference
    rest_chat.log_in("alex")
    rest_chat.say("/payment_missing")

    rest_chat.say(marias)

    assert f"I couldn't find a payment with reference {marias} on your account." \
        in rest_chat.text
    assert "$" not in rest_chat.text


def test_a_mistyped_reference_is_asked_again(rest_chat, svc):
    rest_chat.log_in("alex")
    rest_chat.say("/payment_missing")

    rest_chat.say("HC-1234")

    assert "doesn't look like a payment reference" in rest_chat.text
    assert "What's the payment's reference number?" in rest_chat.text
    rest_chat.say("cancel")
    assert "I've stopped that" in rest_chat.text


def test_an_overdue_bank_payment_gets_a_support_request(rest_chat, svc, clock):
    processing = latest_payment(svc, "dana", "processing")
    clock.advance(days=10)  # past its settlement date, and nobody has settled it
    rest_chat.log_in("dana")

    rest_chat.say(f"/payment_missing{{\"payment_reference\": \"{processing.reference}\"}}")
    assert "It was due to settle by" in rest_chat.text
    assert "taking longer than it should" in rest_chat.text

    rest_chat.tap("Open a support request")

    with svc.uow() as uow:
        request = uow.session.scalar(select(SupportRequest))
        assert (request.account_id, request.topic, request.payment_reference) == (
            demo_member(svc, "dana").account_id, "payment_missing", processing.reference)
        number = request.number
    assert f"I've opened support request {number} about payment {processing.reference}" \
        in rest_chat.text


def test_a_support_request_for_another_members_payment_is_refused(rest_chat, svc, caplog):
    marias = latest_payment(svc, "maria", "succeeded").reference
    rest_chat.log_in("alex")

    with caplog.at_level(logging.WARNING):
        rest_chat.say(f'/affirm{{"support_for": "{marias}"}}')

    assert "I couldn't find a payment with that reference" in rest_chat.text
    assert "forged or stale payload" in caplog.text
    with svc.uow() as uow:
        assert uow.session.scalar(select(SupportRequest)) is None


def test_troubleshooting_needs_a_log_in(rest_chat):
    rest_chat.say("/payment_declined")
    assert "let's log you in" in rest_chat.text and "username" in rest_chat.text
    rest_chat.say("/payment_missing")
    assert "let's log you in" in rest_chat.text and "username" in rest_chat.text
