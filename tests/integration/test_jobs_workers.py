"""Several worker processes on one PostgreSQL database: nobody is messaged or charged twice,
and a worker killed mid-run leaves nothing undone and nothing duplicated.

Workers are real processes (tests/job_worker.py), started together and counted afterwards:
messages by the lines the workers wrote, charges by the sandbox gateway's own ledger.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from services import autopay
from services.adapters.sandbox_gateway import SandboxGateway
from services.billing import issue_invoices
from services.outbox import NewNotification, enqueue
from services.persistence.database import make_engine, make_session_factory
from services.persistence.models import (
    AutopayCharge,
    Base,
    ChatLink,
    Notification,
    Payment,
    SandboxCharge,
)
from tests.conftest import build_services, emptied
from tests.factories import make_account, make_enrollment, make_paying_member

pytestmark = pytest.mark.postgres

PROJECT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 20)  # autopay 3 days before the bill due Mon, Nov 23


@pytest.fixture
def url(postgres_url):
    engine = create_engine(emptied(postgres_url))
    Base.metadata.create_all(engine)
    engine.dispose()
    return postgres_url


@pytest.fixture
def svc(url, clock, policy, secrets):
    engine = make_engine(url)
    clock.set(dt.datetime.combine(TODAY, dt.time(11), tzinfo=dt.UTC))
    gateway = SandboxGateway(make_session_factory(engine), clock)
    yield build_services(engine, gateway=gateway, clock=clock, policy=policy, secrets=secrets)
    engine.dispose()


def worker(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.job_worker", *args], cwd=PROJECT)


def wait_all(*workers: subprocess.Popen) -> None:
    for process in workers:
        assert process.wait(timeout=60) == 0


def queue_messages(svc, count: int) -> list[str]:
    """One message each for `count` members with a Telegram chat (one chat, so nothing waits
    on the one-message-a-second-per-chat limit)."""
    texts = [f"message {n:03d}" for n in range(count)]
    with svc.uow() as uow:
        session = uow.session
        planned = []
        for text in texts:
            enrollment = make_enrollment(session, ssn_key=svc.secrets.ssn_hash_key)
            account = make_account(session, enrollment)
            session.add(ChatLink(channel="telegram", chat_id=str(account.id),
                                 account_id=account.id, linked_at=svc.now(),
                                 last_active_at=svc.now()))
            planned.append(NewNotification(account.id, "message", f"test:{text}", text))
        enqueue(session, planned, now=svc.now() - dt.timedelta(minutes=1))
        uow.commit()
    return texts


def statuses(svc) -> dict[str, str]:
    with svc.uow() as uow:
        return dict(uow.session.execute(select(Notification.text, Notification.status)).all())


def test_two_workers_delivering_at_once_send_every_message_once(svc, url, tmp_path):
    texts = queue_messages(svc, 60)
    out = tmp_path / "sent.txt"
    start = f"{time.time() + 2:.3f}"
    wait_all(*(worker("deliver", url, str(out), "--batch", "5", "--sleep", "0.01",
                      "--start-at", start) for _ in range(2)))
    sent = Counter(out.read_text().splitlines())
    assert sent == Counter(texts)  # every message, each once
    assert set(statuses(svc).values()) == {"sent"}
    with svc.uow() as uow:  # and both workers took a share
        assert uow.session.scalar(select(func.count(Notification.lease_owner.distinct()))) == 2


def test_a_worker_killed_mid_send_leaves_one_message_unknown_and_the_rest_sent_once(
        svc, url, tmp_path):
    texts = queue_messages(svc, 20)
    out = tmp_path / "sent.txt"
    slow = worker("deliver", url, str(out), "--batch", "4", "--sleep", "0.5",
                  "--claim-lease", "2", "--send-lease", "1")
    try:
        deadline = time.monotonic() + 30
        while _lines(out) < 5:  # the 5th message is out; its worker is inside the send
            assert time.monotonic() < deadline and slow.poll() is None
            time.sleep(0.01)
        os.kill(slow.pid, signal.SIGKILL)
    finally:
        slow.wait()
    killed_after = out.read_text().splitlines()
    in_flight = killed_after[-1]
    assert statuses(svc)[in_flight] == "sending"
    time.sleep(2.2)  # both leases of the dead worker run out
    wait_all(worker("deliver", url, str(out)))

    sent = Counter(out.read_text().splitlines())
    assert max(sent.values()) == 1  # nothing twice
    assert set(sent) == set(texts)  # nothing lost: even the one in flight did go out
    final = statuses(svc)
    assert final.pop(in_flight) == "unknown"  # ... but nobody can know that, so not resent
    assert set(final.values()) == {"sent"}


def test_two_workers_charging_autopay_at_once_charge_each_mandate_once(svc, url, tmp_path):
    mandates = 40
    for _ in range(mandates):
        member = make_paying_member(svc, coverage_start=dt.date(2026, 12, 1))
        autopay.enroll(svc, member.account_id, method_id=member.method_ids["pm_card_visa"],
                       amount_rule="full_balance", fixed_amount_cents=None,
                       frequency="monthly", days_before_due=3)
    issue_invoices(svc, through=TODAY)
    start = f"{time.time() + 2:.3f}"
    counts = [tmp_path / f"charged{n}.txt" for n in range(2)]
    wait_all(*(worker("autopay", url, str(count), "--today", TODAY.isoformat(),
                      "--start-at", start) for count in counts))
    charged = [int(count.read_text()) for count in counts]
    assert sum(charged) == mandates and min(charged) > 0  # both workers took a share
    with svc.uow() as uow:
        session = uow.session
        keys = session.scalars(select(SandboxCharge.idempotency_key)).all()
        per_period = Counter(key.rsplit("-", 1)[0] for key in keys)  # hp-autopay-<m>-<period>
        assert len(per_period) == mandates and set(per_period.values()) == {1}
        assert session.scalar(select(func.count()).select_from(AutopayCharge)
                              .where(AutopayCharge.status == "charged")) == mandates
        assert session.scalar(select(func.count()).select_from(Payment)
                              .where(Payment.status == "succeeded")) == mandates


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0
