"""The language a member chose, kept on their account so that what is pushed to them later
(reminders, autopay and grace notices) is in it too. Codes are language folder names
(data/languages/<code>); the service layer does not check them against the folders, the
dialogue layer only ever passes one it has."""

from __future__ import annotations

from sqlalchemy import select, update

from services.context import Services
from services.persistence.models import Account, Payment

DEFAULT_LANGUAGE = "en"


def save_language(svc: Services, account_id: int, code: str) -> None:
    with svc.uow() as uow:
        uow.session.execute(update(Account).where(Account.id == account_id)
                            .values(language=code))
        uow.commit()


def language_of(svc: Services, account_id: int) -> str:
    with svc.uow() as uow:
        code = uow.session.scalar(select(Account.language).where(Account.id == account_id))
    return code or DEFAULT_LANGUAGE


def language_of_payment(svc: Services, gateway_ref: str) -> str:
    """The language of the member a payment at the gateway belongs to (the default when no
    payment has that reference): for the pages a payment's link opens."""
    with svc.uow() as uow:
        code = uow.session.scalar(select(Account.language).join(
            Payment, Payment.account_id == Account.id).where(Payment.gateway_ref == gateway_ref))
    return code or DEFAULT_LANGUAGE
