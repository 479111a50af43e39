"""Scheduled work on SQLite and PostgreSQL: planning and delivering once, whoever runs it."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import func, select

from services import autopay, delivery, sessions
from services.billing import issue_invoices
from services.delivery import DeliveryOptions, deliver_due
from services.grace_notices import plan_grace_notices
from services.outbox import NewNotification, enqueue
from services.payment_notices import plan_payment_notices
from services.persistence.models import Notification
from services.reminders import plan_reminders
from tests.chat_fakes import NoPacer, RecordingSender
from tests.concurrency import ThreadSafeFakeGateway, run_together
from tests.conftest import build_services
from tests.factories import make_paying_member

MEMBERS = 6


@pytest.fixture
def svc(engine, clock, policy, secrets):
    return build_services(engine, gateway=ThreadSafeFakeGateway(), clock=clock, policy=policy,
                          secrets=secrets)


@pytest.fixture
def members(svc):
    """Members covered from December (bills due Mon, Nov 23), each with a Telegram chat; every
    other one pays by autopay."""
    ids = []
    for number in range(MEMBERS):
        member = make_paying_member(svc, coverage_start=dt.date(2026, 12, 1))
        sessions.link_chat(svc, channel="telegram", chat_id=str(5000 + number),
                           account_id=member.account_id)
        if number % 2:
            autopay.enroll(svc, member.account_id, method_id=member.method_ids["pm_card_visa"],
                           amount_rule="full_balance", fixed_amount_cents=None,
                           frequency="monthly", days_before_due=3)
        ids.append(member.account_id)
    issue_invoices(svc, through=svc.today())
    return ids


def keys(svc) -> list[str]:
    with svc.uow() as uow:
        return list(uow.session.scalars(select(Notification.dedupe_key)))


def test_bulk_enqueue_skips_what_is_planned_already(svc, members):
    first = NewNotification(members[0], "reminder", "k1", "One.")
    with svc.uow() as uow:
        assert len(enqueue(uow.session, [first], now=svc.now())) == 1
        uow.commit()
    with svc.uow() as uow:
        again = [first, NewNotification(members[0], "reminder", "k2", "Two.")]
        assert len(enqueue(uow.session, again, now=svc.now())) == 1
        uow.commit()
    assert sorted(keys(svc)) == ["k1", "k2"]


def test_a_large_batch_skips_what_is_planned_already_and_keeps_every_value(svc, members):
    # Big enough for PostgreSQL's COPY path (services/persistence/bulk.py).
    later = svc.now() + dt.timedelta(hours=5)
    batch = [NewNotification(members[n % MEMBERS], "reminder", f"big:{n}", f"Message {n}.",
                             [{"title": "Pay now", "payload": "/make_payment"}],
                             not_before=later)
             for n in range(1200)]
    with svc.uow() as uow:
        assert len(enqueue(uow.session, batch[:400], now=svc.now())) == 400
        uow.commit()
    with svc.uow() as uow:
        assert len(enqueue(uow.session, batch, now=svc.now())) == 800
        uow.commit()
    with svc.uow() as uow:
        last = uow.session.scalar(select(Notification).where(Notification.dedupe_key == "big:1199"))
        assert (last.account_id, last.text, last.status, last.attempts) == (
            members[1199 % MEMBERS], "Message 1199.", "queued", 0)
        assert last.buttons == [{"title": "Pay now", "payload": "/make_payment"}]
        assert (last.not_before, last.created_at) == (later, svc.now())
        assert uow.session.scalar(select(func.count()).select_from(Notification)) == 1200


def test_planning_at_once_on_two_workers_plans_each_reminder_once(svc, members):
    results = run_together(*[lambda: plan_reminders(svc, dt.date(2026, 11, 17))] * 2)
    assert all(isinstance(result, int) for result in results), results
    # Members without autopay: the late 7-day reminder; with autopay: the notice.
    assert sum(results) == MEMBERS
    assert Counter(key.split(":")[0] for key in keys(svc)) == {"reminder": 3,
                                                               "autopay_notice": 3}
    assert plan_reminders(svc, dt.date(2026, 11, 17)) == 0


def test_delivering_at_once_on_two_workers_sends_each_message_once(svc, members, monkeypatch):
    monkeypatch.setattr(delivery, "PER_CHAT_INTERVAL", 0.0)
    plan_reminders(svc, dt.date(2026, 11, 17))
    with svc.uow() as uow:
        enqueue(uow.session, [NewNotification(account_id, "message", f"extra:{account_id}:{n}",
                                               f"Message {n} for {account_id}.")
                              for account_id in members for n in range(5)], now=svc.now())
        uow.commit()
    senders = [RecordingSender(), RecordingSender()]
    options = DeliveryOptions(batch=4)
    results = run_together(*[
        lambda sender=sender: deliver_due(svc, sender, pacer=NoPacer(), options=options)
        for sender in senders])
    assert all(not isinstance(result, Exception) for result in results), results
    sent = [(chat, text) for _, chat, text, _ in senders[0].sent + senders[1].sent]
    assert len(sent) == len(set(sent)) == MEMBERS + MEMBERS * 5
    with svc.uow() as uow:
        assert dict(uow.session.execute(
            select(Notification.status, func.count()).group_by(Notification.status)).all()
        ) == {"sent": MEMBERS * 6}


def test_autopay_results_on_two_workers_are_charged_and_told_once(svc, members):
    svc.clock.set(dt.datetime(2026, 11, 20, 11, tzinfo=dt.UTC))
    results = run_together(*[lambda: autopay.charge_autopay_due(svc, dt.date(2026, 11, 20))] * 2)
    assert sum(len(result) for result in results) == MEMBERS // 2
    assert svc.gateway.charge_count == MEMBERS // 2
    notices = run_together(*[lambda: plan_payment_notices(svc)] * 2)
    assert sum(notices) == MEMBERS // 2
    assert sorted(key.split(":")[0] for key in keys(svc)) == ["payment"] * (MEMBERS // 2)


def test_grace_notices_are_planned_once(svc, members):
    svc.clock.set(dt.datetime(2026, 11, 24, 14, tzinfo=dt.UTC))
    # Nobody paid: the autopay members' charges never ran here.
    assert plan_grace_notices(svc, dt.date(2026, 11, 24)) == MEMBERS
    assert plan_grace_notices(svc, dt.date(2026, 11, 24)) == 0
