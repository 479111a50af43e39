"""The retention job on SQLite and PostgreSQL: what it deletes, and what it must keep."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from bot.scheduler import job_context, run_job
from bot.settings import Settings
from services import accounts, update_dedupe
from services.errors import LoginFailed
from services.persistence.models import (
    AttemptCounter,
    Conversation,
    ConversationEvent,
    SupportRequest,
    TelegramUpdateSeen,
)
from services.retention import apply_retention
from services.sessions import link_chat
from services.support import open_support_request
from tests.concurrency import run_together
from tests.conftest import build_services
from tests.factories import make_member, use_fast_password_hashing
from tests.fakes import FakeGateway

DAY = dt.timedelta(days=1)


@pytest.fixture
def svc(engine, clock, policy, secrets):
    return build_services(engine, gateway=FakeGateway(), clock=clock, policy=policy,
                          secrets=secrets)


def add_conversation(svc, sender: str, idle: dt.timedelta, *, channel="rest", events=3,
                     leased_for: dt.timedelta | None = None) -> None:
    now = svc.now()
    with svc.uow() as uow:
        conversation = Conversation(
            channel=channel, sender_id=sender, created_at=now - idle, last_event_at=now - idle,
            last_seq=events, session_start_seq=1,
            lease_owner="turn" if leased_for else None,
            lease_expires_at=now + leased_for if leased_for else None)
        uow.session.add(conversation)
        uow.session.flush()
        for seq in range(1, events + 1):
            uow.session.add(ConversationEvent(conversation_id=conversation.id, seq=seq,
                                              at=now - idle, kind="user",
                                              data={"event": "user", "text": "hi"}))
        uow.commit()


def senders(svc) -> set[str]:
    with svc.uow() as uow:
        return set(uow.session.scalars(select(Conversation.sender_id)))


def count(svc, model) -> int:
    with svc.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(model))


def retain(svc):
    return apply_retention(svc, anonymous_idle=30 * DAY, transcripts_after=365 * DAY)


def test_idle_anonymous_conversations_go_and_members_stay(svc, monkeypatch):
    use_fast_password_hashing(monkeypatch)
    member = make_member(svc)
    link_chat(svc, channel="rest", chat_id="member-web", account_id=member.id)
    add_conversation(svc, "stranger-old", 31 * DAY)
    add_conversation(svc, "stranger-recent", 29 * DAY)
    add_conversation(svc, "member-web", 400 * DAY)
    add_conversation(svc, "stranger-mid-turn", 31 * DAY, leased_for=dt.timedelta(minutes=1))

    outcome = retain(svc)

    assert outcome.conversations == 1
    assert senders(svc) == {"stranger-recent", "member-web", "stranger-mid-turn"}
    assert count(svc, ConversationEvent) == 9, "the deleted conversation's events went too"


def test_many_strangers_are_deleted_in_batches(svc, monkeypatch):
    monkeypatch.setattr("services.retention.BATCH", 7)
    for number in range(20):
        add_conversation(svc, f"hi-{number}", 40 * DAY, events=1)
    assert retain(svc).conversations == 20
    assert count(svc, Conversation) == count(svc, ConversationEvent) == 0


def test_old_transcripts_are_emptied_and_the_requests_kept(svc, clock):
    def request(chat_id: str):  # two visitors: one open request per chat
        return open_support_request(svc, account_id=None, channel="rest", chat_id=chat_id,
                                    topic="talk_to_human", transcript=["member: my SSN..."])

    old = request("web-1")
    clock.advance(days=300)
    recent = request("web-2")
    clock.advance(days=66)

    assert retain(svc).transcripts == 1
    with svc.uow() as uow:
        kept = {row.number: row.transcript for row in uow.session.scalars(select(SupportRequest))}
    assert kept == {old.number: [], recent.number: ["member: my SSN..."]}
    assert retain(svc).transcripts == 0, "nothing left to empty"


def test_quiet_counters_and_old_update_ids_are_forgotten(svc, clock, monkeypatch):
    use_fast_password_hashing(monkeypatch)
    with pytest.raises(LoginFailed):
        accounts.log_in(svc, "nobody", "Wrong-Password-1", source="rest:x")
    assert update_dedupe.first_arrival(svc, 41)
    clock.advance(days=1, seconds=1)
    assert update_dedupe.first_arrival(svc, 42)

    outcome = retain(svc)
    assert (outcome.counters, outcome.updates) == (0, 1)
    assert not update_dedupe.first_arrival(svc, 42), "a recent id is still known"
    clock.advance(days=2)
    assert retain(svc).counters == 2
    assert count(svc, AttemptCounter) == 0


def test_one_of_two_workers_handles_an_update(svc):
    results = run_together(*(lambda: update_dedupe.first_arrival(svc, 77) for _ in range(4)))
    assert sorted(results) == [False, False, False, True]
    assert count(svc, TelegramUpdateSeen) == 1


def test_the_daily_job_runs_it_with_the_settings(svc, clock):
    add_conversation(svc, "stranger-old", 8 * DAY)
    settings = Settings(_env_file=None, RETAIN_ANONYMOUS_DAYS=7)
    outcome = run_job("apply_retention", job_context(svc, sender=None, settings=settings))
    assert outcome.startswith("1 idle anonymous conversations deleted")
    assert senders(svc) == set()
