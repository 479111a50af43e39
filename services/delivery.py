"""Delivering the outbox: due notifications go out through the member's chat, each at most once.

A row moves   queued/held --claim--> claimed --> sending --> sent
A worker claims a batch of due rows under a lease with its own id (PostgreSQL: SELECT ... FOR
UPDATE SKIP LOCKED, so two workers take different rows; SQLite: one worker, the same
conditional UPDATE). Right before calling the channel it commits `sending`, right after it
commits `sent`. Every move is a conditional UPDATE on the status and the worker's id, so a
worker whose lease ran out can never overwrite what another did.

Exactly once, and a crash: a worker that dies leaves rows `claimed` or `sending` behind, with a
lease that runs out. A claimed row was never handed to the channel: it goes back to the queue.
A sending row is the one ambiguous case — the message may or may not have left before the
crash. It is marked `unknown` and logged, never sent again: at most once, and a possible loss
is visible, not silent. A crashed worker leaves at most one such row, and the window is one
call to the channel. An error the channel cannot classify is treated the same way, since the
message may have gone; channels raise DeliveryRetryLater only when it surely did not.

Also on the way out:
- quiet hours, in the member's time zone: the row is `held` until they end (unless the member
  is chatting right now);
- the member's chat: the reachable link used most recently; none at all: `undeliverable`;
  all blocked: `unreachable` (a channel's RecipientUnreachable marks the link);
- a reminder or notice about a bill paid meanwhile, or a reminder after reminders were turned
  off: `obsolete`;
- the rate: every send waits for the shared pacer (30 a second by default for all workers
  together), one message a second at most to one chat, and a 429's retry_after pauses all;
- transient failures are retried with exponential back-off, up to `max_attempts`: `failed`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import exists, or_, select, update

from services import events
from services.context import Services
from services.errors import DeliveryRetryLater, RecipientUnreachable
from services.persistence.models import Account, ChatLink, Enrollment, Invoice, Notification
from services.ports import ChatSender, Pacer
from services.quiet_hours import quiet_until
from services.sessions import mark_unreachable

logger = logging.getLogger(__name__)

WAITING = ("queued", "held")
PER_CHAT_INTERVAL = 1.0  # seconds between two messages to one chat (Telegram's limit)


@dataclass(frozen=True)
class DeliveryOptions:
    batch: int = 100
    claim_lease: dt.timedelta = dt.timedelta(minutes=5)
    send_lease: dt.timedelta = dt.timedelta(minutes=2)  # longer than any channel call
    max_attempts: int = 8
    backoff_first: dt.timedelta = dt.timedelta(seconds=30)
    backoff_max: dt.timedelta = dt.timedelta(hours=1)
    # A member who wrote in the chat this recently is awake: quiet hours do not hold them.
    chatting_within: dt.timedelta = dt.timedelta(minutes=15)
    time_budget_seconds: float | None = None  # stop claiming after this long (scheduler)


@dataclass
class DeliveryStats:
    sent: int = 0
    held: int = 0
    retried: int = 0
    failed: int = 0
    undeliverable: int = 0
    unreachable: int = 0
    obsolete: int = 0
    unknown: int = 0
    requeued_after_crash: int = 0
    sent_ids: list[int] = field(default_factory=list, repr=False)

    def summary(self) -> str:
        counts = {name: value for name, value in vars(self).items()
                  if isinstance(value, int) and value}
        return ", ".join(f"{value} {name.replace('_', ' ')}" for name, value in counts.items()) \
            or "nothing due"


@dataclass(frozen=True)
class _Claimed:
    id: int
    account_id: int
    kind: str
    text: str
    buttons: list | None
    attempts: int
    invoice_paid: bool
    reminders_enabled: bool
    time_zone: str
    quiet_hours: tuple[int, int]


def deliver_due(svc: Services, sender: ChatSender, *, pacer: Pacer,
                options: DeliveryOptions = DeliveryOptions()) -> DeliveryStats:
    """Send every notification that is due, through `sender`'s channels; returns what
    happened. Safe to run on several workers at once."""
    worker = uuid.uuid4().hex
    stats = DeliveryStats()
    stats.requeued_after_crash, stats.unknown = recover_abandoned(svc)
    started = time.monotonic()
    last_to_chat: dict[tuple[str, str], float] = {}
    while options.time_budget_seconds is None or \
            time.monotonic() - started < options.time_budget_seconds:
        batch = _claim(svc, worker, sender.channels, options)
        if not batch:
            break
        lease_ends = time.monotonic() + options.claim_lease.total_seconds() / 2
        handled: set[int] = set()
        try:
            for row in batch:
                if time.monotonic() > lease_ends:
                    break  # the rest goes back to the queue before the lease runs out
                _deliver(svc, sender, pacer, worker, row, options, stats, last_to_chat)
                handled.add(row.id)
        finally:
            _release(svc, worker, [row.id for row in batch if row.id not in handled])
    events.emit("notifications", **{name: value for name, value in vars(stats).items()
                                    if isinstance(value, int)})
    return stats


def recover_abandoned(svc: Services) -> tuple[int, int]:
    """Rows of workers that stopped: claimed ones go back to the queue; the ones being sent
    become `unknown` (see the module's docstring). Returns (requeued, unknown)."""
    now = svc.now()
    with svc.uow() as uow:
        session = uow.session
        requeued = session.execute(
            update(Notification)
            .where(Notification.status == "claimed", Notification.lease_until < now)
            .values(status="queued", lease_owner=None, lease_until=None)
            .returning(Notification.id).execution_options(synchronize_session=False)
        ).scalars().all()
        unknown = session.execute(
            update(Notification)
            .where(Notification.status == "sending", Notification.lease_until < now)
            .values(status="unknown", last_error="the worker stopped while sending: the "
                    "message may or may not have been delivered; not sent again")
            .returning(Notification.id, Notification.account_id, Notification.kind)
            .execution_options(synchronize_session=False)
        ).all()
        uow.commit()
    for notification_id, account_id, kind in unknown:
        logger.warning("notification %s (%s for account %s) was being sent when its worker "
                       "stopped; marked unknown, not resent", notification_id, kind, account_id)
    return len(requeued), len(unknown)


def _claim(svc: Services, worker: str, channels: frozenset[str],
           options: DeliveryOptions) -> list[_Claimed]:
    now = svc.now()
    reachable = select(ChatLink.id).where(ChatLink.account_id == Notification.account_id,
                                          ChatLink.unreachable_since.is_(None))
    with svc.uow() as uow:
        session = uow.session
        # Rows for members this process can reach, or that nobody can (to mark them); rows
        # for another channel's members are left to the workers serving that channel.
        candidates = session.scalars(
            select(Notification.id)
            .where(Notification.status.in_(WAITING), Notification.not_before <= now,
                   or_(exists(reachable.where(ChatLink.channel.in_(channels))),
                       ~exists(reachable)))
            .order_by(Notification.not_before, Notification.id)
            .limit(options.batch)
            .with_for_update(skip_locked=True)
        ).all()
        if not candidates:
            return []
        claimed = session.scalars(
            update(Notification)
            .where(Notification.id.in_(candidates), Notification.status.in_(WAITING))
            .values(status="claimed", lease_owner=worker,
                    lease_until=now + options.claim_lease)
            .returning(Notification.id).execution_options(synchronize_session=False)
        ).all()
        uow.commit()
        rows = session.execute(
            select(Notification, Account.reminders_enabled, Account.quiet_hours_start,
                   Account.quiet_hours_end, Enrollment.time_zone,
                   Invoice.paid_cents >= Invoice.amount_cents)
            .join(Account, Account.id == Notification.account_id)
            .join(Enrollment, Enrollment.id == Account.enrollment_id)
            .outerjoin(Invoice, Invoice.id == Notification.invoice_id)
            .where(Notification.id.in_(claimed))
            .order_by(Notification.not_before, Notification.id)
        ).all()
        return [
            _Claimed(id=n.id, account_id=n.account_id, kind=n.kind, text=n.text,
                     buttons=n.buttons, attempts=n.attempts, invoice_paid=bool(paid),
                     reminders_enabled=enabled, time_zone=zone, quiet_hours=(start, end))
            for n, enabled, start, end, zone, paid in rows
        ]


def _deliver(svc: Services, sender: ChatSender, pacer: Pacer, worker: str, row: _Claimed,
             options: DeliveryOptions, stats: DeliveryStats,
             last_to_chat: dict[tuple[str, str], float]) -> None:
    if row.invoice_paid or (row.kind == "reminder" and not row.reminders_enabled):
        _finish(svc, worker, row.id, "claimed", status="obsolete")
        stats.obsolete += 1
        return
    link = _chat_for(svc, row.account_id)
    if link is None or link.unreachable_since is not None:
        status = "undeliverable" if link is None else "unreachable"
        reason = "no chat is linked to this account" if link is None \
            else "the member blocked the bot"
        _finish(svc, worker, row.id, "claimed", status=status, last_error=reason)
        setattr(stats, status, getattr(stats, status) + 1)
        return
    if link.channel not in sender.channels:  # linked elsewhere since the claim
        _finish(svc, worker, row.id, "claimed", status="queued", lease_owner=None)
        return
    now = svc.now()
    held_until = quiet_until(now, row.time_zone, *row.quiet_hours,
                             fallback_zone=svc.policy.time_zone)
    if held_until and now - link.last_active_at > options.chatting_within:
        _finish(svc, worker, row.id, "claimed", status="held", not_before=held_until,
                lease_owner=None)
        stats.held += 1
        return
    chat = (link.channel, link.chat_id)
    _space_out(last_to_chat.get(chat))
    pacer.acquire()
    if not _finish(svc, worker, row.id, "claimed", status="sending",
                   lease_until=svc.now() + options.send_lease,
                   attempts=Notification.attempts + 1, release=False):
        return  # our lease ran out and another worker has the row now
    try:
        sender.send(link.channel, link.chat_id, row.text, row.buttons)
    except DeliveryRetryLater as error:
        _retry_later(svc, worker, row, error, pacer, options, stats)
        return
    except RecipientUnreachable as error:
        mark_unreachable(svc, channel=link.channel, chat_id=link.chat_id)
        # Back to the queue: the member's other chat gets it, or it is marked unreachable.
        _finish(svc, worker, row.id, "sending", status="queued", lease_owner=None,
                last_error=_short(f"unreachable: {error}"))
        return
    except Exception as error:
        logger.exception("sending notification %s failed in an unknown way", row.id)
        _finish(svc, worker, row.id, "sending", status="unknown",
                last_error=_short(f"{type(error).__name__}: {error}; not sent again"))
        stats.unknown += 1
        return
    finally:
        last_to_chat[chat] = time.monotonic()
    # `unknown` too: a slow send another worker gave up on did arrive after all.
    _finish(svc, worker, row.id, ("sending", "unknown"), status="sent", sent_at=svc.now(),
            last_error=None)
    stats.sent += 1
    stats.sent_ids.append(row.id)


def _retry_later(svc: Services, worker: str, row: _Claimed, error: DeliveryRetryLater,
                 pacer: Pacer, options: DeliveryOptions, stats: DeliveryStats) -> None:
    attempts = row.attempts + 1
    if error.retry_after_seconds:
        pacer.pause(error.retry_after_seconds)  # the channel is over its limit for everybody
    elif attempts >= options.max_attempts:
        logger.error("notification %s failed %s times; giving up: %s", row.id, attempts, error)
        _finish(svc, worker, row.id, "sending", status="failed", last_error=_short(str(error)))
        stats.failed += 1
        return
    backoff = min(options.backoff_first * 2 ** (attempts - 1), options.backoff_max)
    delay = dt.timedelta(seconds=error.retry_after_seconds) if error.retry_after_seconds \
        else backoff
    _finish(svc, worker, row.id, "sending", status="queued", not_before=svc.now() + delay,
            lease_owner=None, last_error=_short(str(error)))
    stats.retried += 1


def _finish(svc: Services, worker: str, notification_id: int, from_status: str | Sequence[str],
            *, release: bool = True, **values) -> bool:
    """Move one of this worker's rows on, if it is still ours in `from_status`."""
    if release:
        values.setdefault("lease_until", None)
    allowed = (from_status,) if isinstance(from_status, str) else tuple(from_status)
    with svc.uow() as uow:
        moved = uow.session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.lease_owner == worker,
                   Notification.status.in_(allowed))
            .values(**values).execution_options(synchronize_session=False)
        ).rowcount == 1
        uow.commit()
    return moved


def _release(svc: Services, worker: str, notification_ids: list[int]) -> None:
    if not notification_ids:
        return
    with svc.uow() as uow:
        uow.session.execute(
            update(Notification)
            .where(Notification.id.in_(notification_ids), Notification.lease_owner == worker,
                   Notification.status == "claimed")
            .values(status="queued", lease_owner=None, lease_until=None)
            .execution_options(synchronize_session=False))
        uow.commit()


def _chat_for(svc: Services, account_id: int) -> ChatLink | None:
    """The reachable chat the member used last, else a blocked one, else None."""
    with svc.uow() as uow:
        links = uow.session.scalars(
            select(ChatLink).where(ChatLink.account_id == account_id)
            .order_by(ChatLink.last_active_at.desc())).all()
        uow.session.expunge_all()
    reachable = [link for link in links if link.unreachable_since is None]
    return (reachable or links or [None])[0]


def _space_out(last_sent: float | None) -> None:
    if last_sent is not None:
        wait = last_sent + PER_CHAT_INTERVAL - time.monotonic()
        if wait > 0:
            time.sleep(wait)


def _short(text: str) -> str:
    return text[:300]

