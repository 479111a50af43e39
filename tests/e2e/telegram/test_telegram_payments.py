"""Paying on Telegram's own card form: the invoice, the pre-checkout query, successful_payment."""

from __future__ import annotations

import pytest

from bot.telegram.payments import sign_invoice
from tests.e2e.fake_bot_api import buttons_of
from tests.e2e.telegram.conftest import (
    CHAT,
    OTHER_CHAT,
    PROVIDER_TOKEN,
    configure,
    last_payment_id,
    payments_after,
    running_bot,
)

PAY_BY_CARD = "💳 Pay by card in Telegram"


@pytest.fixture
async def telegram(telegram_runtime, fake_api):
    configure(telegram_runtime, telegram_payment_provider_token=PROVIDER_TOKEN)
    async with running_bot(telegram_runtime, fake_api) as bot:
        yield bot


async def open_card_form(telegram) -> dict:
    """Up to the invoice; the sendInvoice call."""
    review = await telegram.review_payment(CHAT)
    assert [b["text"] for b in buttons_of(review[-1])] == ["Confirm", "Cancel", PAY_BY_CARD]
    await telegram.tap(CHAT, PAY_BY_CARD)
    [invoice] = telegram.api.calls_to("sendInvoice")
    return invoice


async def pre_checkout(telegram, payload: str, amount: int, user: int = CHAT) -> dict:
    telegram.api.pre_checkout(user, payload, amount)
    await telegram.until_handled()
    return telegram.api.calls_to("answerPreCheckoutQuery")[-1]


async def test_an_invoice_paid_on_the_card_form_is_recorded_exactly_once(telegram):
    seeded = last_payment_id(telegram.runtime)
    invoice = await open_card_form(telegram)
    assert invoice["currency"] == "USD" and invoice["provider_token"] == PROVIDER_TOKEN
    assert invoice["prices"] == [{"label": "Premium payment", "amount": 44150}]
    assert "$441.50" in invoice["description"]

    assert (await pre_checkout(telegram, invoice["payload"], 44150))["ok"] is True
    for _ in range(2):  # Telegram delivers the same payment twice: recorded once
        telegram.api.successful_payment(CHAT, invoice["payload"], 44150, charge_id="tg_ch_1",
                                        provider_charge_id="ch_provider_1")
        await telegram.until_handled()

    [payment] = payments_after(telegram.runtime, seeded)
    assert (payment.status, payment.gateway_ref, payment.source) == (
        "succeeded", "ch_provider_1", "telegram")
    assert "went through and is applied to your bill" in telegram.last_text(CHAT)
    await telegram.say(CHAT, "/balance")
    assert "Total due: $0.00" in telegram.last_text(CHAT)


async def test_yes_typed_after_the_form_opened_charges_nothing_and_the_form_still_pays(
        telegram):
    seeded = last_payment_id(telegram.runtime)
    gateway = telegram.runtime.services.gateway
    charged_before = gateway.charge_count()  # the demo members' own payments
    invoice = await open_card_form(telegram)
    await telegram.say(CHAT, "yes")
    assert "open on the card form" in telegram.last_text(CHAT)
    assert "Nothing was charged" in telegram.last_text(CHAT)
    [draft] = payments_after(telegram.runtime, seeded)
    assert draft.status == "draft" and gateway.charge_count() == charged_before
    assert (await pre_checkout(telegram, invoice["payload"], 44150))["ok"] is True


async def test_pre_checkout_refuses_a_draft_confirmed_in_the_chat_first(telegram):
    seeded = last_payment_id(telegram.runtime)
    svc = telegram.runtime.services
    charged_before = svc.gateway.charge_count()
    await telegram.review_payment(CHAT)
    await telegram.say(CHAT, "yes")
    [payment] = payments_after(telegram.runtime, seeded)
    assert payment.status == "succeeded"
    payload = sign_invoice(svc, payment.id, payment.account_id, payment.amount_cents)
    answer = await pre_checkout(telegram, payload, payment.amount_cents)
    assert answer["ok"] is False and "already made" in answer["error_message"]
    assert svc.gateway.charge_count() == charged_before + 1


async def test_pre_checkout_refuses_a_changed_amount_or_a_forged_payload(telegram):
    invoice = await open_card_form(telegram)
    assert (await pre_checkout(telegram, invoice["payload"], 100))["ok"] is False
    body, _, _ = invoice["payload"].rpartition(".")
    payment_id, account_id, _ = body.split(".")
    forged = f"{payment_id}.{account_id}.100.{'0' * 32}"
    answer = await pre_checkout(telegram, forged, 100)
    assert answer["ok"] is False and "isn't valid" in answer["error_message"]


async def test_pre_checkout_refuses_a_chat_not_logged_in_to_the_draft(telegram):
    invoice = await open_card_form(telegram)
    answer = await pre_checkout(telegram, invoice["payload"], 44150, user=OTHER_CHAT)
    assert answer["ok"] is False and "log in" in answer["error_message"]


async def review_amount(telegram, amount: str) -> list[dict]:
    """Alex pays `amount` of the whole bill with the Visa card, up to the review."""
    await telegram.log_in(CHAT)
    await telegram.say(CHAT, "/pay")
    await telegram.tap(CHAT, "Both")
    await telegram.tap(CHAT, "Another amount")
    await telegram.say(CHAT, amount)
    return await telegram.tap(CHAT, "Visa")


@pytest.mark.parametrize("amount, offered", [("0.50", False), ("0.99", False), ("1.00", True)])
async def test_the_card_form_is_offered_only_for_amounts_telegram_takes(telegram, amount,
                                                                        offered):
    review = await review_amount(telegram, amount)
    assert f"${amount}" in review[-1]["text"]
    titles = [b["text"] for b in buttons_of(review[-1])]
    assert (PAY_BY_CARD in titles) is offered and titles[:2] == ["Confirm", "Cancel"]
    if offered:
        await telegram.tap(CHAT, PAY_BY_CARD)
        [invoice] = telegram.api.calls_to("sendInvoice")
        assert invoice["prices"] == [{"label": "Premium payment", "amount": 100}]


@pytest.mark.parametrize("status, description", [
    (400, "Bad Request: PAYMENT_PROVIDER_INVALID"),
    (403, "Forbidden: bot can't initiate conversation with a user"),
])
async def test_a_refused_invoice_tells_the_member_and_offers_the_hosted_page(telegram, status,
                                                                            description):
    seeded = last_payment_id(telegram.runtime)
    await telegram.review_payment(CHAT)
    telegram.api.fail_next("sendInvoice", status=status, description=description)
    told = await telegram.tap(CHAT, PAY_BY_CARD)
    assert "Telegram couldn't open its card form" in told[-1]["text"]
    assert "://" in told[-1]["text"], "the link to the hosted page"
    assert [b["text"] for b in buttons_of(told[-1])] == ["Make a payment", "Something else"]
    assert [p.status for p in payments_after(telegram.runtime, seeded)] == ["draft"]
