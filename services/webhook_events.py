"""Applying each gateway event once.

Stripe delivers an event at least once, and again whenever it did not hear a 2xx in time. The
event's id is recorded by the transaction that applies it; a redelivery cannot record it again
(the id is unique), so it changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.persistence.models import WebhookEvent


class EventNotReady(Exception):
    """The event is about something HealthPay has not caught up with yet (a refund of a
    payment not known to have succeeded, when Stripe delivered the events out of order):
    nothing is recorded, and the gateway is asked to deliver it again later."""


@dataclass(frozen=True)
class ReceivedEvent:
    """A verified event from the gateway: its id and type (e.g. "payment_intent.succeeded")."""

    id: str
    type: str


def claim_event(session: Session, event: ReceivedEvent, at: dt.datetime) -> WebhookEvent | None:
    """Record the event as the first thing in the caller's transaction; None when it was
    recorded before (the transaction is rolled back then, with nothing in it yet). A
    concurrent delivery of the same event waits on the unique index and then gets None."""
    record = WebhookEvent(event_id=event.id, type=event.type, received_at=at)
    session.add(record)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return None
    return record
