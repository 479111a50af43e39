"""The audit trail: who did what and when, for the exchange's operators. Never secrets."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from services.persistence.models import AuditEvent

# Detail keys containing any of these are refused: the value would be a secret or card data.
_SECRET_KEY_PARTS = ("password", "ssn", "dob", "birth", "answer", "card", "cvc", "cvv")


def record(session: Session, kind: str, *, at: dt.datetime, account_id: int | None = None,
           **detail) -> None:
    """Add an audit event to the caller's unit of work; it is committed with the use case."""
    secret_keys = [key for key in detail if any(part in key.lower() for part in _SECRET_KEY_PARTS)]
    if secret_keys:
        raise ValueError(f"audit detail must not carry secrets: {sorted(secret_keys)}")
    session.add(AuditEvent(at=at, account_id=account_id, kind=kind, detail=detail))
