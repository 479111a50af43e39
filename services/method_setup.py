"""Adding a payment method, whichever gateway runs: the chat only ever asks for a link.

The member adds the method on a hosted page, never in chat: the sandbox's own page behind a
one-time HealthPay link, or Stripe Checkout in setup mode. Either way, once the method is saved
the member hears about it in chat (`notify_method_added`) and the conversation goes on.
"""

from __future__ import annotations

import logging

from sqlalchemy import select, update

from services.adapters.stripe_events import MethodSetupCompleted
from services.context import Services
from services.errors import NotFound
from services.member_language import DEFAULT_LANGUAGE, language_of
from services.notice_language import buttons_in, method_name, notice_text
from services.notice_texts import PAY_NOW
from services.outbox import button
from services.payment_methods import (
    add_saved_method,
    create_setup_token,
    redeem_setup_token,
)
from services.persistence.models import Account, PaymentMethod
from services.ports import SavedMethod
from services.webhook_events import ReceivedEvent, claim_event

logger = logging.getLogger(__name__)

AFTER_METHOD_ADDED = [PAY_NOW, button("Something else", "/help")]


def start_method_setup(svc: Services, account_id: int) -> str:
    """The link to send the member: where they add a card or bank account."""
    create_checkout = getattr(svc.gateway, "create_setup_checkout", None)
    if create_checkout is None:
        return create_setup_token(svc, account_id)
    base = svc.config.public_base_url.rstrip("/")
    # The pages the gateway sends the member back to know no account: the link tells them
    # the member's language.
    language = language_of(svc, account_id)
    query = "" if language == DEFAULT_LANGUAGE else f"?lang={language}"
    return create_checkout(
        customer_id=ensure_gateway_customer(svc, account_id),
        account_id=account_id,
        success_url=f"{base}/methods/setup/done{query}",
        cancel_url=f"{base}/methods/setup/cancelled{query}",
    )


def ensure_gateway_customer(svc: Services, account_id: int) -> str:
    """The account's customer at the gateway, created on first need and kept on the account.
    The gateway is asked outside any transaction; the first id stored wins a race."""
    with svc.uow() as uow:
        account = uow.session.get(Account, account_id)
        if account is None:
            raise NotFound("I couldn't find your account. Please log in again.",
                           key="account_not_found")
        existing = account.gateway_customer_id
        email, name = account.enrollment.email, account.enrollment.full_name
    if existing:
        return existing
    customer_id = svc.gateway.ensure_customer(account_id=account_id, email=email, name=name,
                                              existing_id=None)
    with svc.uow() as uow:
        uow.session.execute(
            update(Account)
            .where(Account.id == account_id, Account.gateway_customer_id.is_(None))
            .values(gateway_customer_id=customer_id)
        )
        stored = uow.session.scalar(
            select(Account.gateway_customer_id).where(Account.id == account_id))
        uow.commit()
    return stored


def save_method_from_page(svc: Services, token: str, saved: SavedMethod) -> PaymentMethod:
    """The sandbox page saved a method under a setup link: bind it to the link's account."""
    method = redeem_setup_token(svc, token, saved)
    notify_method_added(svc, method.account_id, method)
    return method


def add_method_from_gateway(svc: Services, account_id: int, saved: SavedMethod, *,
                            event: ReceivedEvent | None = None) -> PaymentMethod | None:
    """Save a method the gateway's own hosted page saved. Once per gateway token and account:
    Stripe reports one setup twice (checkout.session.completed, setup_intent.succeeded), and
    the second report returns the method already saved. With `event`, the event is recorded
    in the same transaction, and None comes back when it was applied before."""
    with svc.uow() as uow:
        session = uow.session
        if event is not None and claim_event(session, event, svc.now()) is None:
            return None
        # Locked, so the two reports of one setup, arriving together, add one method.
        account = session.scalar(select(Account).where(Account.id == account_id)
                                 .with_for_update())
        if account is None:
            raise NotFound("I couldn't find your account. Please log in again.",
                           key="account_not_found")
        method = session.scalar(select(PaymentMethod).where(
            PaymentMethod.account_id == account_id,
            PaymentMethod.gateway_token == saved.token,
            PaymentMethod.removed_at.is_(None),
        ))
        added = method is None
        if added:
            method = add_saved_method(session, account_id, saved, at=svc.now())
        uow.commit()
    if added:
        notify_method_added(svc, account_id, method)
    return method


def complete_gateway_setup(svc: Services, setup: MethodSetupCompleted, *,
                           event: ReceivedEvent) -> PaymentMethod | None:
    """A member finished the gateway's hosted setup page (a Stripe webhook): ask the gateway
    what was saved and add it to the account it was started for. None when nothing is saved
    yet (a bank account still being verified reports again when it is), the account is not
    found, or the event was applied before."""
    saved = svc.gateway.saved_method_from_setup_intent(setup.setup_intent_id)
    if saved is None:
        return None
    account_id = setup_account(svc, setup.account_id, setup.customer_id)
    if account_id is None:
        logger.warning("setup %s names no HealthPay account (customer %s)",
                       setup.setup_intent_id, setup.customer_id)
        return None
    return add_method_from_gateway(svc, account_id, saved, event=event)


def notify_method_added(svc: Services, account_id: int, method: PaymentMethod) -> None:
    """Carry the conversation on in chat: the member left it for the hosted page. Sent after
    the method is committed; a notifier that fails is logged and undoes nothing."""
    if svc.notifier is None:
        return
    try:
        language = language_of(svc, account_id)
        svc.notifier.send_to_member(
            account_id, notice_text(language, "method_saved", method=method_name(
                language, method.brand, method.last4, method.nickname)),
            buttons_in(language, AFTER_METHOD_ADDED))
    except Exception:  # noqa: BLE001 - the method is saved; a lost message must not undo it
        logger.exception("could not tell account %s its method was saved", account_id)


def setup_account(svc: Services, account_id: int | None, customer_id: str | None) -> int | None:
    """The account a setup was started for: by the id HealthPay put in its metadata, which
    must agree with the gateway customer when both are known; or by the customer alone."""
    with svc.uow() as uow:
        if account_id is not None:
            account = uow.session.get(Account, account_id)
            if account is None:
                return None
            if customer_id and account.gateway_customer_id not in (None, customer_id):
                return None
            return account.id
        if not customer_id:
            return None
        return uow.session.scalar(
            select(Account.id).where(Account.gateway_customer_id == customer_id))
