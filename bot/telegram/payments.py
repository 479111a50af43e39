"""Paying a premium on Telegram's own card form (when TELEGRAM_PAYMENT_PROVIDER_TOKEN is set).

Where the conversation shows a payment for review — a message with a Confirm button whose
payload names the draft (`/affirm{"confirm_payment": "<id>"}`), or `custom.payment_draft_id` —
the member also gets "Pay by card in Telegram". That button sends an invoice for the draft:
amount in cents, and a payload binding the draft, its account and its amount, signed with the
session key, so an invoice can only pay what it was made for.

Telegram then asks, in a pre-checkout query answered within ten seconds, whether the order
still stands: the draft is checked again (still a draft, the same amount, still owed, and the
chat still logged in to its account). After the charge, the successful_payment message is
recorded with the provider's charge id as the gateway reference, exactly once
(services.external_payments). Neither Telegram nor HealthPay's chat ever sees the card.

Telegram takes an invoice only within its limits for the currency (its currencies.json; USD:
$1.00 to $10,000.00), so the form is offered only for amounts inside them. Should Telegram
refuse an invoice all the same (a revoked provider token, a changed limit), the member is told
and given the hosted page to add a card instead.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Sequence

from telegram import Bot, LabeledPrice, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import CallbackContext

from bot.telegram import callback_keys
from bot.telegram.chat_texts import chat_language, chat_message, chat_text
from bot.telegram.context import CHANNEL, runtime_of
from bot.telegram.replies import send_replies
from dialogs.engine import BotMessage
from services import formatting
from services.error_texts import error_text
from services.errors import DomainError, NotAllowed, NotLoggedIn
from services.external_payments import check_external_payment, record_external_payment
from services.method_setup import start_method_setup
from services.persistence.models import Payment
from services.secrets import keyed_hash
from services.sessions import NOT_LOGGED_IN, current_account_id, require_member

logger = logging.getLogger(__name__)

CURRENCY = "USD"
# Telegram's currencies.json: the smallest and largest amount it takes, in cents.
AMOUNT_LIMITS = {"USD": (100, 1_000_000)}
CARD_FORM_PAYLOAD = "telegram:card_form:"  # a button payload the engine never sees
# The log's words; what the member reads is utter_telegram_card_form_invalid
# (data/languages/<code>/responses_telegram.yml), in their language.
INVALID_FORM = "This payment form isn't valid any more. Please start the payment again."
_CONFIRM_PAYLOAD = re.compile(r'"confirm_payment"\s*:\s*"?(\d+)')


def offer_card_form(messages: Sequence[BotMessage], runtime,
                    language: str) -> list[BotMessage]:
    """The messages, with "Pay by card in Telegram" (in `language`) added under a payment
    review whose amount Telegram takes."""
    if not runtime.settings.telegram_payment_provider_token:
        return list(messages)
    offered = []
    for message in messages:
        draft_id = _draft_under_review(message)
        if draft_id is not None and _telegram_takes(runtime.services, draft_id):
            card_form = {"title": chat_text(runtime, "utter_telegram_pay_by_card", language),
                         "payload": f"{CARD_FORM_PAYLOAD}{draft_id}"}
            message = BotMessage(message.text, [*message.buttons, card_form], message.custom)
        offered.append(message)
    return offered


def within_limits(amount_cents: int, currency: str = CURRENCY) -> bool:
    low, high = AMOUNT_LIMITS[currency]
    return low <= amount_cents <= high


def _telegram_takes(svc, draft_id: int) -> bool:
    with svc.uow() as uow:
        draft = uow.session.get(Payment, draft_id)
        return draft is not None and within_limits(draft.amount_cents)


def is_card_form(payload: str) -> bool:
    return payload.startswith(CARD_FORM_PAYLOAD)


async def send_card_form(bot: Bot, runtime, chat_id: int, payload: str, language: str) -> None:
    """The member chose to pay the draft in `payload` by card: send the invoice (in
    `language`)."""
    svc = runtime.services
    try:
        account_id = require_member(svc, channel=CHANNEL, chat_id=chat_id, for_money=True)
        draft = check_external_payment(svc, account_id,
                                       int(payload.removeprefix(CARD_FORM_PAYLOAD)))
    except DomainError as error:
        await send_replies(bot, svc, chat_id, [BotMessage(error_text(error, language))])
        return
    title = chat_text(runtime, "utter_telegram_invoice_title", language)
    callback_keys.open_keyboards(svc, chat_id, [])  # the invoice is the latest message now
    try:
        await bot.send_invoice(
            chat_id,
            title=title,
            description=chat_text(runtime, "utter_telegram_invoice_description", language,
                                  amount=formatting.money(draft.amount_cents, language),
                                  exchange=svc.policy.name, reference=draft.reference)[:255],
            payload=sign_invoice(svc, draft.id, account_id, draft.amount_cents),
            provider_token=runtime.settings.telegram_payment_provider_token,
            currency=CURRENCY,
            prices=[LabeledPrice(title, draft.amount_cents)],
        )
    except (BadRequest, Forbidden) as error:
        if isinstance(error, Forbidden) and "blocked" in error.message.lower():
            raise  # the member blocked the bot: nobody to tell
        logger.error("Telegram refused the invoice for payment %s (%s cents): %s", draft.id,
                     draft.amount_cents, error.message)
        url = start_method_setup(svc, account_id)
        await send_replies(bot, svc, chat_id, [chat_message(
            runtime, "utter_telegram_card_form_refused", language, url=url)])


async def on_pre_checkout(update: Update, context: CallbackContext) -> None:
    """Telegram asks whether to charge: yes only for the draft as it was offered."""
    query = update.pre_checkout_query
    runtime = runtime_of(context)
    svc = runtime.services
    try:
        payment_id, account_id, amount = read_invoice(svc, query.invoice_payload)
        if query.currency != CURRENCY or query.total_amount != amount:
            raise NotAllowed(INVALID_FORM)
        if current_account_id(svc, channel=CHANNEL, chat_id=query.from_user.id) != account_id:
            raise NotLoggedIn(NOT_LOGGED_IN)
        check_external_payment(svc, account_id, payment_id, amount_cents=amount)
    except DomainError as error:
        logger.info("pre-checkout for %s refused: %s", query.from_user.id, error.message)
        language = chat_language(runtime, query.from_user.id, query.from_user)
        refusal = chat_text(runtime, "utter_telegram_card_form_invalid", language) \
            if error.message == INVALID_FORM else error_text(error, language)
        await query.answer(ok=False, error_message=_plain(refusal))
        return
    await query.answer(ok=True)


async def on_successful_payment(update: Update, context: CallbackContext) -> None:
    """The card was charged: record the payment once, and tell the member."""
    message = update.effective_message
    paid = message.successful_payment
    runtime = runtime_of(context)
    svc = runtime.services
    language = chat_language(runtime, message.chat_id, update.effective_user)
    charge_id = paid.provider_payment_charge_id or paid.telegram_payment_charge_id
    try:
        payment_id, account_id, _ = read_invoice(svc, paid.invoice_payload)
    except NotAllowed:
        # Telegram took money for an invoice we cannot read: operators must sort it out.
        logger.error("successful payment %s (telegram %s, %s cents) has an invalid payload",
                     charge_id, paid.telegram_payment_charge_id, paid.total_amount)
        await send_replies(context.bot, svc, message.chat_id, [chat_message(
            runtime, "utter_telegram_card_payment_unmatched", language,
            charge_id=paid.telegram_payment_charge_id)])
        return
    payment = record_external_payment(svc, account_id, payment_id, gateway_ref=charge_id,
                                      amount_cents=paid.total_amount)
    await send_replies(context.bot, svc, message.chat_id, [chat_message(
        runtime, "utter_telegram_card_payment_received", language,
        amount=formatting.money(payment.amount_cents, language), reference=payment.reference)])


def sign_invoice(svc, payment_id: int, account_id: int, amount_cents: int) -> str:
    body = f"{payment_id}.{account_id}.{amount_cents}"
    return f"{body}.{_signature(svc, body)}"


def read_invoice(svc, payload: str) -> tuple[int, int, int]:
    """(payment id, account id, amount in cents) of an invoice payload we signed."""
    body, _, signature = payload.rpartition(".")
    parts = body.split(".")
    if len(parts) != 3 or not all(part.isdigit() for part in parts) or \
            not hmac.compare_digest(signature, _signature(svc, body)):
        logger.warning("invoice payload with a bad signature: %r", payload[:64])
        raise NotAllowed(INVALID_FORM)
    payment_id, account_id, amount = (int(part) for part in parts)
    return payment_id, account_id, amount


def _signature(svc, body: str) -> str:
    return keyed_hash(svc.secrets.session_key, f"telegram-invoice:{body}")[:32]


def _draft_under_review(message: BotMessage) -> int | None:
    draft_id = (message.custom or {}).get("payment_draft_id")
    if draft_id is not None:
        return int(draft_id)
    for button in message.buttons:
        match = _CONFIRM_PAYLOAD.search(button.get("payload", ""))
        if match and button["payload"].startswith("/affirm"):
            return int(match.group(1))
    return None


def _plain(text: str) -> str:
    """Telegram shows a pre-checkout error as plain text."""
    return text.replace("*", "")
