"""One open support request per member, held by the database on SQLite and PostgreSQL, and
migration 0006 folding the requests opened again before it into the first."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from alembic import command
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import IntegrityError

from services.persistence.migrate import alembic_config, upgrade
from services.persistence.models import SupportRequest
from services.support import open_support_request
from tests.conftest import build_services
from tests.factories import TEST_NOW, make_paying_member
from tests.fakes import FakeGateway

CHAT = {"channel": "telegram", "chat_id": "5550001"}


@pytest.fixture
def svc(engine, clock, policy, secrets):
    return build_services(engine, gateway=FakeGateway(), clock=clock, policy=policy,
                          secrets=secrets)


def a_request(number: str, account_id: int | None, chat_id: str = "1") -> SupportRequest:
    return SupportRequest(number=number, account_id=account_id, channel="telegram",
                          chat_id=chat_id, topic="talk_to_human", transcript=[],
                          recent_payment_references=[], status="open", created_at=TEST_NOW)


def test_the_database_refuses_a_second_open_request_for_a_member(svc):
    member = make_paying_member(svc)
    with svc.uow() as uow:
        uow.session.add(a_request("SR-1", member.account_id))
        uow.commit()

    with pytest.raises(IntegrityError), svc.uow() as uow:
        uow.session.add(a_request("SR-2", member.account_id, chat_id="2"))
        uow.commit()
    with svc.uow() as uow:  # a visitor's chat, and answered requests, are apart
        uow.session.add_all([a_request("SR-3", None, "1"), a_request("SR-4", None, "2")])
        answered = a_request("SR-5", member.account_id)
        answered.status = "answered"
        uow.session.add(answered)
        uow.commit()
    with pytest.raises(IntegrityError), svc.uow() as uow:
        uow.session.add(a_request("SR-6", None, "1"))
        uow.commit()


def test_two_asks_at_once_end_in_one_request(svc):
    member = make_paying_member(svc)
    handoffs, errors = [], []

    def ask(line: str) -> None:
        try:
            handoffs.append(open_support_request(
                svc, account_id=member.account_id, topic="talk_to_human",
                transcript=[line], **CHAT))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=ask, args=(f"member: ask {n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len({handoff.number for handoff in handoffs}) == 1
    assert sorted(handoff.added_to for handoff in handoffs) == [False, True, True, True]
    with svc.uow() as uow:
        [request] = uow.session.scalars(select(SupportRequest)).all()
    assert {f"member: ask {n}" for n in range(4)} <= set(request.transcript)


def test_0006_folds_requests_opened_again_into_the_first_and_comes_back(database_url):
    upgrade(database_url, "0002")
    engine = create_engine(database_url)
    at = dt.datetime(2026, 11, 17, 15, tzinfo=dt.UTC)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO enrollments (id, member_id, full_name, date_of_birth, ssn_hash, "
                "ssn_last4, email, time_zone, subsidy_type) VALUES (1, '100000000001', "
                "'Alex Doe', '1986-05-14', 'h', '9999', 'a@example.com', 'America/New_York', "
                "'none')"))
            connection.execute(text(
                "INSERT INTO accounts (id, enrollment_id, username, password_hash, "
                "failed_logins, security_question_1, security_answer_1_hash, "
                "security_question_2, security_answer_2_hash, reminders_enabled, "
                "reminder_offsets, quiet_hours_start, quiet_hours_end, created_at) VALUES "
                "(1, 1, 'alex', 'x', 0, 'q1', 'a1', 'q2', 'a2', false, '[]', 21, 8, :at)"),
                {"at": at})
            for number, account, chat in (("SR-1", None, "7"), ("SR-2", 1, "7"),
                                          ("SR-3", None, "7"), ("SR-4", None, "8"),
                                          ("SR-5", 1, "9"), ("SR-6", None, "7")):
                connection.execute(text(
                    "INSERT INTO support_requests (number, account_id, channel, chat_id, topic, "
                    "transcript, recent_payment_references, status, created_at) VALUES "
                    "(:number, :account, 'telegram', :chat, 'talk_to_human', '[]', '[]', "
                    "'open', :at)"), {"number": number, "account": account, "chat": chat,
                                      "at": at})

        upgrade(database_url)

        with engine.connect() as connection:
            statuses = dict(connection.execute(text(
                "SELECT number, status FROM support_requests ORDER BY id")).all())
        # The first open one of each member, and of each visitor's chat, stays open.
        assert statuses == {"SR-1": "open", "SR-2": "open", "SR-3": "merged", "SR-4": "open",
                            "SR-5": "merged", "SR-6": "merged"}
        command.downgrade(alembic_config(database_url), "0002")
        with engine.connect() as connection:
            assert set(connection.scalars(text("SELECT status FROM support_requests"))) \
                == {"open"}
    finally:
        engine.dispose()
