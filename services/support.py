"""Support requests: a member asks for a person, and the exchange's staff get what they need to
answer without asking again — who it is, the topic, a payment reference if there is one, the
member's latest payment references and the recent conversation.

The caller passes the conversation as it was stored (secrets already redacted). Each request gets
a number the member can quote, like SR-20261117-0042: the exchange-local date and the count of
that day's requests. A chat, and an account, may open MAX_REQUESTS_PER_DAY a day (members who
are not logged in too): the staff's queue is not a place anyone can fill. Transcripts are
emptied after the retention period (services.retention).
"""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from services import audit
from services.context import Services
from services.errors import InvalidInput, SupportLimitReached
from services.persistence.models import Payment, SupportRequest
from services.references import normalize_reference

TRANSCRIPT_LINES = 20
LINE_LENGTH = 500
RECENT_PAYMENTS = 5
_TOPIC_LENGTH = 40
_NUMBER_ATTEMPTS = 5
MAX_REQUESTS_PER_DAY = 3


def open_support_request(svc: Services, *, account_id: int | None, channel: str,
                         chat_id: str | int, topic: str, transcript: list[str],
                         payment_reference: str | None = None) -> SupportRequest:
    """Open a request; `account_id` is None for a member who is not logged in.
    SupportLimitReached when the chat or the account has opened MAX_REQUESTS_PER_DAY today."""
    topic = (topic or "").strip()
    if not topic or len(topic) > _TOPIC_LENGTH:
        raise InvalidInput("Please say what your request is about.")
    reference = None
    if payment_reference is not None:
        reference = normalize_reference(payment_reference)
        if reference is None:
            raise InvalidInput("That doesn't look like a payment reference (like HC-7K3M-9Q2D).")
    lines = [line[:LINE_LENGTH] for line in transcript[-TRANSCRIPT_LINES:]]
    for attempt in range(1, _NUMBER_ATTEMPTS + 1):
        try:
            return _insert(svc, account_id=account_id, channel=channel, chat_id=str(chat_id),
                           topic=topic, payment_reference=reference, transcript=lines)
        except IntegrityError:
            # Another request took this number a moment ago: count again.
            if attempt == _NUMBER_ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _insert(svc: Services, **fields) -> SupportRequest:
    with svc.uow() as uow:
        session = uow.session
        now = svc.now()
        if _opened_today(svc, session, fields["channel"], fields["chat_id"],
                         fields["account_id"]) >= MAX_REQUESTS_PER_DAY:
            raise SupportLimitReached(
                f"You've already opened {MAX_REQUESTS_PER_DAY} support requests today, and our "
                "team will answer them. For anything urgent, please call "
                f"{svc.policy.phone} (TTY {svc.policy.tty}).")
        request = SupportRequest(
            number=_next_number(svc, session),
            recent_payment_references=_recent_references(session, fields["account_id"]),
            status="open",
            created_at=now,
            **fields,
        )
        session.add(request)
        session.flush()
        audit.record(session, "support_request_opened", at=now, account_id=request.account_id,
                     number=request.number, topic=request.topic,
                     payment_reference=request.payment_reference)
        uow.commit()
    return request


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
