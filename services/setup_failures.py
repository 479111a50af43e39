"""A method the member added on the hosted page could not be saved: most often a bank account
whose verification failed (wrong numbers, micro-deposits never confirmed). The member is told
what happened and what to do, once per gateway event."""

from __future__ import annotations

import logging

from services import audit
from services.adapters.stripe_events import MethodSetupFailed
from services.context import Services
from services.method_setup import setup_account
from services.notice_language import buttons_in, notice_text
from services.notice_texts import ADD_METHOD
from services.outbox import NewNotification, enqueue
from services.persistence.models import Account
from services.webhook_events import ReceivedEvent, claim_event

logger = logging.getLogger(__name__)

def tell_setup_failed(svc: Services, failure: MethodSetupFailed, *,
                      event: ReceivedEvent) -> bool:
    """True when the member was told; False for a replayed event or an unknown account."""
    account_id = setup_account(svc, failure.account_id, failure.customer_id)
    with svc.uow() as uow:
        session = uow.session
        if claim_event(session, event, svc.now()) is None:
            return False
        if account_id is None:
            logger.warning("failed setup %s names no HealthPay account (customer %s)",
                           failure.setup_intent_id, failure.customer_id)
            uow.commit()
            return False
        language = session.get(Account, account_id).language
        text = notice_text(language,
                           "card_not_confirmed"
                           if failure.code == "setup_intent_authentication_failure"
                           else "bank_not_verified")
        now = svc.now()
        enqueue(session, [NewNotification(
            account_id=account_id, kind="method_setup_failed",
            dedupe_key=f"setup_failed:{event.id}", text=text,
            buttons=buttons_in(language, [ADD_METHOD]))], now=now)
        audit.record(session, "method_setup_failed", at=now, account_id=account_id,
                     setup_intent=failure.setup_intent_id, code=failure.code)
        uow.commit()
    return True
