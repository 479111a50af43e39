"""Support requests: a member asks for a person, and the exchange's staff get what they need to
answer without asking again — who it is, the topic, a payment reference if there is one, the
member's latest payment references, the recent conversation and, for a visitor who is not logged
in, how to reach them.

A member has at most one open request (a visitor: one per chat), held by unique indexes: asking
again while it is open adds to it (the conversation since, a new topic or payment) instead of
opening another. The caller passes the conversation as it was stored (secrets already redacted).
Each request gets a number the member can quote, like SR-20261117-0042: the exchange-local date
and the count of that day's requests. A chat, and an account, may open MAX_REQUESTS_PER_DAY new
requests a day (members who are not logged in too): the staff's queue is not a place anyone can
fill. Transcripts are emptied after the retention period (services.retention).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError

from services import audit
from services.context import Services
from services.errors import InvalidInput, SupportLimitReached
from services.persistence.models import Payment, SupportRequest
from services.references import normalize_reference

TRANSCRIPT_LINES = 20
# What an open request keeps when it is added to again and again: the latest lines.
KEPT_LINES = 100
LINE_LENGTH = 500
RECENT_PAYMENTS = 5
_TOPIC_LENGTH = 40
_CONTACT_LENGTH = 254
_NUMBER_ATTEMPTS = 5
MAX_REQUESTS_PER_DAY = 3
OPEN = "open"
NOTE_PREFIX = "-- "  # a line of HealthPay's own in the transcript, not the conversation


@dataclass(frozen=True)
class Handoff:
    """The request the member was given: a new one, or their open one, added to."""

    number: str
    added_to: bool
    request: SupportRequest


def open_support_request(svc: Services, *, account_id: int | None, channel: str,
                         chat_id: str | int, topic: str, transcript: list[str],
                         payment_reference: str | None = None,
                         contact: str | None = None, daily_limit: bool = True) -> Handoff:
    """The member's open request, added to, or a new one; `account_id` is None for a visitor
    who is not logged in, `contact` how to reach them (already validated). With `daily_limit`
    (a member asking), SupportLimitReached when the chat or the account has opened
    MAX_REQUESTS_PER_DAY new requests today; HealthPay's own requests are not limited."""
    topic = (topic or "").strip()
    if not topic or len(topic) > _TOPIC_LENGTH:
        raise InvalidInput("Please say what your request is about.", key="support_topic_needed")
    if contact is not None and not 0 < len(contact) <= _CONTACT_LENGTH:
        raise InvalidInput("Please give a phone number or an e-mail address.",
                           key="support_contact_needed")
    reference = None
    if payment_reference is not None:
        reference = normalize_reference(payment_reference)
        if reference is None:
            raise InvalidInput("That doesn't look like a payment reference (like HC-7K3M-9Q2D).",
                               key="support_reference_unreadable")
    lines = [line[:LINE_LENGTH] for line in transcript[-TRANSCRIPT_LINES:]]
    fields = {"account_id": account_id, "channel": channel, "chat_id": str(chat_id),
              "topic": topic, "payment_reference": reference, "transcript": lines,
              "contact": contact}
    for attempt in range(1, _NUMBER_ATTEMPTS + 1):
        try:
            return _open_or_add(svc, daily_limit, **fields)
        except IntegrityError:
            # Another request took this number, or another turn opened the member's request,
            # a moment ago: look again.
            if attempt == _NUMBER_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _open_or_add(svc: Services, daily_limit: bool, **fields) -> Handoff:
    with svc.uow() as uow:
        session = uow.session
        now = svc.now()
        # Touched first: the open request's row is locked (SQLite: the database) before it is
        # read, so two asks at once add one after the other, neither losing the other's lines.
        where = _open_request_of(fields["account_id"], fields["channel"], fields["chat_id"])
        session.execute(update(SupportRequest).where(*where).values(updated_at=now))
        request = session.scalar(select(SupportRequest).where(*where))
        if request is not None:
            _add_to(request, now, **fields)
            kind = "support_request_added_to"
        else:
            if daily_limit and _opened_today(svc, session, fields["channel"], fields["chat_id"],
                                             fields["account_id"]) >= MAX_REQUESTS_PER_DAY:
                raise SupportLimitReached(
                    f"You've already opened {MAX_REQUESTS_PER_DAY} support requests today, and "
                    "our team will answer them. For anything urgent, please call "
                    f"{svc.policy.phone} (TTY {svc.policy.tty}).",
                    key="support_limit_reached", most=MAX_REQUESTS_PER_DAY,
                    phone=svc.policy.phone, tty=svc.policy.tty)
            request = SupportRequest(
                number=_next_number(svc, session),
                recent_payment_references=_recent_references(session, fields["account_id"]),
                status=OPEN, created_at=now, **fields)
            session.add(request)
            kind = "support_request_opened"
        session.flush()
        audit.record(session, kind, at=now, account_id=request.account_id,
                     number=request.number, topic=fields["topic"],
                     payment_reference=fields["payment_reference"])
        uow.commit()
    return Handoff(number=request.number, added_to=kind == "support_request_added_to",
                   request=request)


def find_open_request(svc: Services, *, account_id: int | None, channel: str,
                      chat_id: str | int) -> SupportRequest | None:
    """The member's open request (a visitor's: this chat's), if there is one."""
    with svc.uow() as uow:
        request = uow.session.scalar(select(SupportRequest).where(
            *_open_request_of(account_id, channel, str(chat_id))))
        uow.commit()
    return request


def _open_request_of(account_id: int | None, channel: str, chat_id: str) -> list:
    if account_id is not None:
        return [SupportRequest.status == OPEN, SupportRequest.account_id == account_id]
    return [SupportRequest.status == OPEN, SupportRequest.account_id.is_(None),
            SupportRequest.channel == channel, SupportRequest.chat_id == chat_id]


def _add_to(request: SupportRequest, now, *, topic: str, payment_reference: str | None,
            transcript: list[str], contact: str | None, **_where) -> None:
    """What the member's new ask adds: the conversation since, a topic or payment not yet on
    it, a way to reach them."""
    note = f"{NOTE_PREFIX}asked again: {topic}" + (f", payment {payment_reference}"
                                                   if payment_reference else "")
    said = [line for line in request.transcript if not line.startswith(NOTE_PREFIX)]
    request.transcript = (list(request.transcript) + [note]
                          + _not_yet_kept(said, transcript))[-KEPT_LINES:]
    if request.payment_reference is None:
        request.payment_reference = payment_reference
    if contact is not None:
        request.contact = contact
    request.updated_at = now


def _not_yet_kept(kept: list[str], lines: list[str]) -> list[str]:
    """The lines after the longest stretch of `lines` that `kept` already ends with."""
    for overlap in range(min(len(kept), len(lines)), 0, -1):
        if kept[-overlap:] == lines[:overlap]:
            return lines[overlap:]
    return lines


def _opened_today(svc: Services, session, channel: str, chat_id: str,
                  account_id: int | None) -> int:
    """Requests opened today (the exchange's day, as numbered) from this chat or account."""
    same_source = (SupportRequest.channel == channel) & (SupportRequest.chat_id == chat_id)
    if account_id is not None:
        same_source = or_(same_source, SupportRequest.account_id == account_id)
    return session.scalar(
        select(func.count()).select_from(SupportRequest)
        .where(SupportRequest.number.like(f"SR-{svc.today():%Y%m%d}-%"), same_source))


def _next_number(svc: Services, session) -> str:
    prefix = f"SR-{svc.today():%Y%m%d}-"
    today_count = session.scalar(
        select(func.count()).select_from(SupportRequest)
        .where(SupportRequest.number.like(f"{prefix}%")))
    return f"{prefix}{today_count + 1:04d}"


def _recent_references(session, account_id: int | None) -> list[str]:
    if account_id is None:
        return []
    return list(session.scalars(
        select(Payment.reference)
        .where(Payment.account_id == account_id, Payment.status != "draft")
        .order_by(Payment.id.desc())
        .limit(RECENT_PAYMENTS)))
