"""The outbox: every message pushed to a member waits here until services/delivery.py sends it.

Each notification carries a unique dedupe key naming what it is about — the member, the bill,
the kind and the day offset of a reminder; the payment and its outcome — so planning it again,
or two workers planning it at the same moment, adds nothing. Keys are built by the planners:
  reminder:<account>:<invoice>:<offset>        autopay_notice:<account>:<mandate>:<period>
  card_expiring:<account>:<mandate>:<period>:<method>
  grace:<account>:<first unpaid month>:<notice>:<month of grace>
  payment:<payment>:<status>                   autopay:<charge>:<status>:<attempt>
Anything that reports an event through `OutboxNotifier` passes a key of its own the same way.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from typing import NamedTuple

from services.persistence.bulk import insert_missing
from services.persistence.models import Notification
from services.persistence.unit_of_work import UnitOfWork
from services.ports import Clock

Buttons = list[dict[str, str]]


def button(title: str, payload: str) -> dict[str, str]:
    """A reply button: a title for the member, an intent payload (`/make_payment`) for us."""
    return {"title": title, "payload": payload}


class NewNotification(NamedTuple):  # a tuple: planning makes 100,000 of them at a time
    account_id: int
    kind: str
    dedupe_key: str
    text: str
    buttons: Buttons | None = None
    invoice_id: int | None = None  # dropped at delivery if this bill is paid by then
    not_before: dt.datetime | None = None  # default: now


def enqueue(session, notifications: Iterable[NewNotification], *,
            now: dt.datetime) -> list[int]:
    """Add the notifications not planned before, in the caller's transaction; their ids."""
    rows = [
        {
            "account_id": n.account_id, "kind": n.kind, "dedupe_key": n.dedupe_key,
            "text": n.text, "buttons": n.buttons, "invoice_id": n.invoice_id,
            "not_before": n.not_before or now, "status": "queued", "attempts": 0,
            "created_at": now,
        }
        for n in notifications
    ]
    return insert_missing(session, Notification.__table__, rows, unique=["dedupe_key"])


class OutboxNotifier:
    """The Notifier port: a message for a member goes into the outbox (committed at once) and
    is delivered by the scheduler, in the member's waking hours, exactly like a reminder."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Clock):
        self._uow_factory = uow_factory
        self._clock = clock

    def send_to_member(self, account_id: int, text: str, buttons: Buttons | None = None, *,
                       dedupe_key: str | None = None, kind: str = "message") -> None:
        # Without a key the message is new each time: only the caller knows what repeats.
        key = dedupe_key or f"{kind}:{uuid.uuid4().hex}"
        with self._uow_factory() as uow:
            enqueue(uow.session, [NewNotification(account_id, kind, key, text, buttons)],
                    now=self._clock.now())
            uow.commit()
