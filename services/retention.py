"""What HealthPay stops keeping, run daily by the scheduler (`apply_retention`):

- conversations of chats that never logged in (no chat link), idle for `anonymous_idle`: a
  stranger's "hi" is not kept for ever, and ten thousand of them do not fill the database;
- support-request transcripts older than `transcripts_after`: the request (number, topic,
  payment references, status) stays for the exchange's records, the conversation goes;
- attempt counters no longer counting, and Telegram update ids past redelivery.

Conversations of chats linked to an account are kept: they are the member's own history.
Work is done in batches, each its own transaction, claimed with SKIP LOCKED on PostgreSQL so a
turn under way is never waited for, and a conversation that has a turn under way (a row lock,
or a lease on SQLite) is left for the next run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Text, cast, delete, exists, select, update

from services import attempt_limits, update_dedupe
from services.context import Services
from services.persistence.models import (
    ChatLink,
    Conversation,
    ConversationEvent,
    SupportRequest,
)

BATCH = 500
# Attempt counters forget failures after a day without one (attempt_limits.BackOff): a row
# quiet for two days counts nothing any more.
COUNTERS_QUIET = dt.timedelta(days=2)


@dataclass(frozen=True)
class RetentionOutcome:
    conversations: int
    transcripts: int
    counters: int
    updates: int

    def summary(self) -> str:
        return (f"{self.conversations} idle anonymous conversations deleted, "
                f"{self.transcripts} support transcripts emptied, {self.counters} attempt "
                f"counters and {self.updates} Telegram update ids forgotten")


def apply_retention(svc: Services, *, anonymous_idle: dt.timedelta,
                    transcripts_after: dt.timedelta) -> RetentionOutcome:
    now = svc.now()
    conversations = _delete_idle_anonymous_conversations(svc, now - anonymous_idle, now)
    transcripts = _empty_old_transcripts(svc, now - transcripts_after)
    with svc.uow() as uow:
        counters = attempt_limits.forget_older_than(uow.session, now - COUNTERS_QUIET)
        uow.commit()
    updates = update_dedupe.forget_before(svc, now - update_dedupe.KEEP)
    return RetentionOutcome(conversations, transcripts, counters, updates)


def _delete_idle_anonymous_conversations(svc: Services, idle_before: dt.datetime,
                                         now: dt.datetime) -> int:
    linked = exists().where(ChatLink.channel == Conversation.channel,
                            ChatLink.chat_id == Conversation.sender_id)
    last_used = Conversation.last_event_at
    idle = select(Conversation.id).where(
        ~linked,
        (last_used < idle_before) | (last_used.is_(None) & (Conversation.created_at < idle_before)),
        Conversation.lease_expires_at.is_(None) | (Conversation.lease_expires_at < now),
    ).limit(BATCH).with_for_update(skip_locked=True)
    deleted = 0
    while True:
        with svc.uow() as uow:
            session = uow.session
            ids = list(session.scalars(idle))
            if ids:
                session.execute(delete(ConversationEvent)
                                .where(ConversationEvent.conversation_id.in_(ids)))
                session.execute(delete(Conversation).where(Conversation.id.in_(ids)))
            uow.commit()
        deleted += len(ids)
        if len(ids) < BATCH:
            return deleted


def _empty_old_transcripts(svc: Services, created_before: dt.datetime) -> int:
    with svc.uow() as uow:
        result = uow.session.execute(
            update(SupportRequest)
            .where(SupportRequest.created_at < created_before,
                   cast(SupportRequest.transcript, Text) != "[]")
            .values(transcript=[]))
        uow.commit()
    return result.rowcount
