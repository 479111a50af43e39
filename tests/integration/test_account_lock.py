"""The account's money lock (services/account_lock.py) on SQLite and PostgreSQL: a second holder
waits until the first one's transaction ends, and sees what it committed."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from services.account_lock import lock_account
from services.errors import NotFound
from services.persistence.database import make_session_factory
from services.persistence.models import Account
from tests.concurrency import run_together
from tests.factories import make_account, make_enrollment


@pytest.fixture
def sessions(engine):
    return make_session_factory(engine)


@pytest.fixture
def account_id(sessions, secrets):
    with sessions() as session:
        account = make_account(session, make_enrollment(session, ssn_key=secrets.ssn_hash_key))
        session.commit()
        return account.id


def test_a_second_holder_waits_for_the_first_and_reads_what_it_committed(sessions,
                                                                         account_id):
    held = threading.Event()
    order = []

    def first():
        with sessions() as session:
            lock_account(session, account_id)
            held.set()
            time.sleep(0.3)  # long enough for the second to try while this one holds it
            session.get(Account, account_id).gateway_customer_id = "cus_first"
            order.append("first commits")
            session.commit()

    def second():
        held.wait(5)
        with sessions() as session:
            lock_account(session, account_id)
            order.append("second holds")
            return session.scalar(select(Account.gateway_customer_id)
                                  .where(Account.id == account_id))

    _, seen = run_together(first, second)
    assert order == ["first commits", "second holds"] and seen == "cus_first"


def test_an_unknown_account_is_not_found(sessions):
    with sessions() as session, pytest.raises(NotFound):
        lock_account(session, 999_999)
