"""Delivering the outbox: quiet hours, back-off, unreachable members, at most once."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import select, update

from services import accounts, delivery, sessions
from services.delivery import DeliveryOptions, deliver_due, recover_abandoned
from services.errors import DeliveryRetryLater, RecipientUnreachable
from services.outbox import NewNotification, OutboxNotifier, enqueue
from services.persistence.models import ChatLink, Enrollment, Invoice, Notification
from tests.chat_fakes import NoPacer, RecordingSender
from tests.conftest import DEFAULT_NOW, build_services
from tests.factories import make_invoice, make_paying_member
from tests.fakes import FakeGateway


@pytest.fixture
def svc(sqlite_engine, clock, policy, secrets):
    return build_services(sqlite_engine, gateway=FakeGateway(), clock=clock, policy=policy,
                          secrets=secrets)


@pytest.fixture(autouse=True)
def no_per_chat_wait(monkeypatch):
    monkeypatch.setattr(delivery, "PER_CHAT_INTERVAL", 0.0)


@pytest.fixture
def sender():
    return RecordingSender()


@pytest.fixture
def pacer():
    return NoPacer()


def member(svc, *, chat_id: str | None = "1001", channel: str = "telegram",
           time_zone: str = "America/New_York") -> int:
    """An account (and, unless chat_id is None, its chat) whose last chat was a day ago."""
    account_id = make_paying_member(svc).account_id
    with svc.uow() as uow:
        enrollment = uow.session.scalar(select(Enrollment).order_by(Enrollment.id.desc()))
        enrollment.time_zone = time_zone
        uow.commit()
    if chat_id is not None:
        sessions.link_chat(svc, channel=channel, chat_id=chat_id, account_id=account_id)
        set_last_active(svc, account_id, svc.now() - dt.timedelta(days=1))
    return account_id


def set_last_active(svc, account_id: int, at: dt.datetime) -> None:
    with svc.uow() as uow:
        uow.session.execute(update(ChatLink).where(ChatLink.account_id == account_id)
                            .values(last_active_at=at))
        uow.commit()


def queue(svc, account_id: int, text: str = "Your premium is due.", *, key: str | None = None,
          kind: str = "reminder", invoice_id: int | None = None) -> int:
    with svc.uow() as uow:
        [notification_id] = enqueue(uow.session, [NewNotification(
            account_id, kind, key or f"test:{text}:{account_id}", text,
            [{"title": "Pay now", "payload": "/make_payment"}], invoice_id)], now=svc.now())
        uow.commit()
    return notification_id


def row(svc, notification_id: int) -> Notification:
    with svc.uow() as uow:
        notification = uow.session.get(Notification, notification_id)
        uow.session.expunge(notification)
        return notification


def deliver(svc, sender, pacer, **options):
    return deliver_due(svc, sender, pacer=pacer, options=DeliveryOptions(**options))


def test_a_due_message_goes_to_the_members_chat_once(svc, sender, pacer):
    notification_id = queue(svc, member(svc))
    stats = deliver(svc, sender, pacer)
    assert sender.sent == [("telegram", "1001", "Your premium is due.",
                            [{"title": "Pay now", "payload": "/make_payment"}])]
    assert (stats.sent, stats.sent_ids) == (1, [notification_id])
    sent = row(svc, notification_id)
    assert (sent.status, sent.attempts, sent.sent_at) == ("sent", 1, svc.now())
    assert deliver(svc, sender, pacer).sent == 0
    assert len(sender.sent) == 1


def test_the_chat_used_last_is_the_one_messaged(svc, sender, pacer):
    account_id = member(svc, chat_id="1001")
    sessions.link_chat(svc, channel="console", chat_id="terminal", account_id=account_id)
    queue(svc, account_id)
    deliver(svc, sender, pacer)
    assert [(channel, chat) for channel, chat, _, _ in sender.sent] == [("console", "terminal")]


def test_messages_wait_for_their_time(svc, sender, pacer):
    account_id = member(svc)
    with svc.uow() as uow:
        enqueue(uow.session, [NewNotification(account_id, "reminder", "later", "Later.",
                                              not_before=svc.now() + dt.timedelta(hours=1))],
                now=svc.now())
        uow.commit()
    assert deliver(svc, sender, pacer).sent == 0
    svc.clock.advance(hours=1)
    assert deliver(svc, sender, pacer).sent == 1


@pytest.mark.parametrize(("zone", "held_until"), [
    # 15:00 UTC is 07:00 in Los Angeles: held until 08:00 there, 16:00 UTC.
    ("America/Los_Angeles", dt.datetime(2026, 11, 17, 16, 0, tzinfo=dt.UTC)),
    # ... and midnight in Tokyo: held until 08:00 there, 23:00 UTC.
    ("Asia/Tokyo", dt.datetime(2026, 11, 17, 23, 0, tzinfo=dt.UTC)),
])
def test_quiet_hours_hold_a_message_until_they_end_where_the_member_lives(
        svc, sender, pacer, zone, held_until):
    notification_id = queue(svc, member(svc, time_zone=zone))
    stats = deliver(svc, sender, pacer)
    assert (stats.sent, stats.held) == (0, 1)
    held = row(svc, notification_id)
    assert (held.status, held.not_before, held.lease_owner) == ("held", held_until, None)
    svc.clock.set(held_until - dt.timedelta(minutes=1))
    assert deliver(svc, sender, pacer).sent == 0
    svc.clock.set(held_until)
    assert deliver(svc, sender, pacer).sent == 1
    assert row(svc, notification_id).status == "sent"


def test_members_choose_their_quiet_hours(svc, sender, pacer):
    account_id = member(svc)  # 10:00 in New York
    accounts.update_reminder_settings(svc, account_id, quiet_hours=(9, 12))
    queue(svc, account_id)
    assert deliver(svc, sender, pacer).held == 1
    svc.clock.set(DEFAULT_NOW.replace(hour=17))  # noon in New York
    assert deliver(svc, sender, pacer).sent == 1


def test_a_member_chatting_right_now_is_not_held_by_quiet_hours(svc, sender, pacer):
    account_id = member(svc, time_zone="Asia/Tokyo")
    set_last_active(svc, account_id, svc.now() - dt.timedelta(minutes=5))
    queue(svc, account_id)
    assert deliver(svc, sender, pacer).sent == 1


def test_a_429_waits_as_long_as_the_channel_says_and_pauses_everybody(svc, sender, pacer):
    notification_id = queue(svc, member(svc))
    sender.fail_next(DeliveryRetryLater("429 Too Many Requests", retry_after_seconds=7))
    stats = deliver(svc, sender, pacer)
    assert (stats.sent, stats.retried) == (0, 1)
    assert pacer.pauses == [7]
    waiting = row(svc, notification_id)
    assert (waiting.status, waiting.attempts) == ("queued", 1)
    assert waiting.not_before == svc.now() + dt.timedelta(seconds=7)
    assert waiting.last_error == "429 Too Many Requests"
    svc.clock.advance(seconds=7)
    assert deliver(svc, sender, pacer).sent == 1


def test_transient_failures_back_off_exponentially_then_give_up(svc, sender, pacer):
    notification_id = queue(svc, member(svc))
    sender.fail_next(*[DeliveryRetryLater("502 Bad Gateway")] * 4)
    waits = []
    for _ in range(4):
        started = svc.now()
        deliver(svc, sender, pacer, max_attempts=4)
        waiting = row(svc, notification_id)
        if waiting.status != "queued":
            break
        waits.append((waiting.not_before - started).total_seconds())
        svc.clock.set(waiting.not_before)
    assert waits == [30, 60, 120]
    failed = row(svc, notification_id)
    assert (failed.status, failed.attempts, failed.last_error) == ("failed", 4, "502 Bad Gateway")
    assert sender.sent == []


def test_a_member_who_blocked_the_bot_is_marked_unreachable(svc, sender, pacer):
    account_id = member(svc)
    first, second = queue(svc, account_id, "One."), queue(svc, account_id, "Two.")
    sender.fail_next(RecipientUnreachable("403 Forbidden: bot was blocked by the user"))
    stats = deliver(svc, sender, pacer)
    assert (stats.sent, stats.unreachable) == (0, 2)
    assert [row(svc, n).status for n in (first, second)] == ["unreachable", "unreachable"]
    with svc.uow() as uow:
        assert uow.session.scalar(select(ChatLink.unreachable_since)) == svc.now()


def test_a_blocked_chat_falls_back_to_the_members_other_chat(svc, sender, pacer):
    account_id = member(svc, chat_id="1001")
    sessions.link_chat(svc, channel="console", chat_id="terminal", account_id=account_id)
    queue(svc, account_id)
    sender.fail_next(RecipientUnreachable("blocked"))
    assert deliver(svc, sender, pacer).sent == 1
    assert [chat for _, chat, _, _ in sender.sent] == ["1001"]


def test_a_member_without_a_chat_is_undeliverable_not_silently_lost(svc, sender, pacer):
    notification_id = queue(svc, member(svc, chat_id=None))
    assert deliver(svc, sender, pacer).undeliverable == 1
    lost = row(svc, notification_id)
    assert (lost.status, lost.last_error) == ("undeliverable",
                                              "no chat is linked to this account")


def test_members_of_another_channel_are_left_to_its_workers(svc, pacer):
    notification_id = queue(svc, member(svc, channel="telegram"))
    console_only = RecordingSender(channels=("console",))
    assert deliver(svc, console_only, pacer).sent == 0
    assert row(svc, notification_id).status == "queued"


def test_a_reminder_for_a_bill_paid_meanwhile_is_dropped(svc, sender, pacer):
    account_id = member(svc)
    with svc.uow() as uow:
        plan = uow.session.scalar(select(Enrollment).order_by(Enrollment.id.desc())).plans[0]
        invoice = make_invoice(uow.session, plan, dt.date(2026, 12, 1), paid_cents=41250)
        uow.commit()
        invoice_id = invoice.id
    notification_id = queue(svc, account_id, invoice_id=invoice_id)
    assert deliver(svc, sender, pacer).obsolete == 1
    assert row(svc, notification_id).status == "obsolete"
    assert sender.sent == []
    with svc.uow() as uow:
        assert uow.session.get(Invoice, invoice_id).open_cents == 0


def test_a_reminder_after_reminders_were_turned_off_is_dropped(svc, sender, pacer):
    account_id = member(svc)
    reminder, result = queue(svc, account_id, "Due."), queue(svc, account_id, "Paid.",
                                                            kind="autopay_result")
    accounts.update_reminder_settings(svc, account_id, enabled=False)
    deliver(svc, sender, pacer)
    assert (row(svc, reminder).status, row(svc, result).status) == ("obsolete", "sent")


def test_an_unexplained_send_error_is_never_retried(svc, sender, pacer):
    notification_id = queue(svc, member(svc))
    sender.fail_next(TimeoutError("read timed out"))
    assert deliver(svc, sender, pacer).unknown == 1
    unknown = row(svc, notification_id)
    assert unknown.status == "unknown" and "TimeoutError" in unknown.last_error
    svc.clock.advance(hours=1)
    assert deliver(svc, sender, pacer).sent == 0


def test_a_crashed_worker_claims_go_back_and_its_send_in_flight_becomes_unknown(svc, sender,
                                                                               pacer):
    account_id = member(svc)
    claimed, sending, fresh = (queue(svc, account_id, text) for text in ("A.", "B.", "C."))
    lease_over = svc.now() - dt.timedelta(seconds=1)
    with svc.uow() as uow:
        uow.session.execute(update(Notification).where(Notification.id == claimed).values(
            status="claimed", lease_owner="dead", lease_until=lease_over))
        uow.session.execute(update(Notification).where(Notification.id == sending).values(
            status="sending", lease_owner="dead", lease_until=lease_over, attempts=1))
        uow.session.execute(update(Notification).where(Notification.id == fresh).values(
            status="sending", lease_owner="alive", lease_until=svc.now() + dt.timedelta(1)))
        uow.commit()
    assert recover_abandoned(svc) == (1, 1)
    assert [row(svc, n).status for n in (claimed, sending, fresh)] == ["queued", "unknown",
                                                                      "sending"]
    stats = deliver(svc, sender, pacer)
    assert sender.texts == ["A."]
    assert stats.sent == 1


def test_two_messages_to_one_chat_are_a_second_apart(svc, sender, pacer, monkeypatch):
    monkeypatch.setattr(delivery, "PER_CHAT_INTERVAL", 0.2)
    account_id = member(svc)
    queue(svc, account_id, "One.")
    queue(svc, account_id, "Two.")
    moments = []
    sender.send = lambda *args: moments.append(time.monotonic())
    deliver(svc, sender, pacer)
    assert len(moments) == 2 and moments[1] - moments[0] >= 0.2


def test_every_send_waits_for_the_pacer(svc, sender):
    account_id = member(svc)
    for text in ("One.", "Two.", "Three."):
        queue(svc, account_id, text, key=text)
    order = []

    class Pacer(NoPacer):
        def acquire(self):
            order.append("slot")

    sender.send = lambda *args: order.append("send")
    deliver(svc, sender, Pacer())
    assert order == ["slot", "send"] * 3


def test_the_outbox_notifier_sends_an_event_once(svc, sender, pacer):
    account_id = member(svc)
    notifier = OutboxNotifier(svc.uow_factory, svc.clock)
    for _ in range(2):
        notifier.send_to_member(account_id, "Your payment went through.",
                                dedupe_key="payment:7:succeeded")
    notifier.send_to_member(account_id, "Hello.")
    notifier.send_to_member(account_id, "Hello.")
    deliver(svc, sender, pacer)
    assert sorted(sender.texts) == ["Hello.", "Hello.", "Your payment went through."]
