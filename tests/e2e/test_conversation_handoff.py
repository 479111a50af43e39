"""Talk to a person: a support request with the member, their latest payments and the recent
conversation, secrets redacted; the member gets its number and when to expect an answer."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.persistence.models import Account, SupportRequest
from tests.e2e.conftest import DEMO_PASSWORD


@pytest.fixture(autouse=True)
def support_requests_table(e2e_engine):
    """The seeded database is built by the migrations; until one adds support_requests (the
    lead generates migrations from the models), make the table here. A no-op once it exists."""
    SupportRequest.__table__.create(e2e_engine, checkfirst=True)


def support_requests(app_runtime) -> list[SupportRequest]:
    with app_runtime.services.uow() as uow:
        return list(uow.session.scalars(select(SupportRequest).order_by(SupportRequest.id)))


def test_a_logged_in_member_gets_a_numbered_request_with_a_redacted_transcript(rest_chat,
                                                                              app_runtime):
    rest_chat.log_in("james")
    rest_chat.say("I forgot my password")
    rest_chat.say("james")
    rest_chat.say("07/21/1969")
    rest_chat.say("5566")
    rest_chat.say("/cancel")

    rest_chat.say("can I talk to a real person")

    (request,) = support_requests(app_runtime)
    assert request.number == "SR-20261117-0001"
    assert f"I've opened support request {request.number}" in rest_chat.text
    assert "within 1 business day" in rest_chat.text
    assert "1-877-623-6765 (TTY 711)" in rest_chat.text
    with app_runtime.services.uow() as uow:
        james = uow.session.scalar(select(Account).where(Account.username == "james"))
    assert (request.account_id, request.channel, request.chat_id, request.topic) == (
        james.id, "rest", "member-1", "talk_to_human")
    transcript = "\n".join(request.transcript)
    assert "member: james" in transcript
    assert "bot: Welcome back, James!" in transcript
    assert "member: [redacted]" in transcript
    for secret in (DEMO_PASSWORD, "07/21/1969", "5566"):
        assert secret not in transcript


def test_the_latest_payment_references_go_with_the_request(rest_chat, app_runtime):
    rest_chat.log_in("spatel")

    rest_chat.say("/talk_to_human")

    (request,) = support_requests(app_runtime)
    assert request.recent_payment_references, "Sam's declined payment is on record"
    assert all(ref.startswith("HC-") for ref in request.recent_payment_references)


def test_asking_again_adds_to_the_open_request(rest_chat, app_runtime):
    rest_chat.log_in("alex")
    rest_chat.say("talk to a person")
    (first,) = support_requests(app_runtime)

    rest_chat.say("what do I owe")
    rest_chat.say("I still need to talk to someone")

    (request,) = support_requests(app_runtime)
    assert request.number == first.number
    assert f"Your support request {first.number} is still open, so I've added this to it" \
        in rest_chat.text
    transcript = "\n".join(request.transcript)
    assert "-- asked again: talk_to_human" in transcript
    assert "member: what do I owe" in transcript


def test_a_visitor_is_asked_how_to_be_reached_and_the_request_keeps_it(rest_chat,
                                                                      app_runtime):
    rest_chat.say("I need help from a human")

    assert "how can they reach you?" in rest_chat.text
    assert support_requests(app_runtime) == []
    rest_chat.say("call me maybe")
    assert "doesn't look like a phone number or an e-mail address" in rest_chat.text
    rest_chat.say("(617) 555-0123")

    (request,) = support_requests(app_runtime)
    assert request.account_id is None and request.recent_payment_references == []
    assert request.contact == "+16175550123"
    assert f"I've opened support request {request.number}" in rest_chat.text
    rest_chat.say("/talk_to_human")
    assert "is still open" in rest_chat.text, "not asked again while it is open"
    assert len(support_requests(app_runtime)) == 1


def test_a_visitors_e_mail_address_is_checked_and_kept(rest_chat, app_runtime):
    rest_chat.say("/talk_to_human")
    rest_chat.say("jordan@example")
    assert "doesn't look like" in rest_chat.text

    rest_chat.say("Jordan.Lee@Example.com")

    (request,) = support_requests(app_runtime)
    assert request.contact == "Jordan.Lee@example.com"


def test_a_visitor_may_decline_to_give_a_contact(rest_chat, another_chat, app_runtime):
    rest_chat.say("/talk_to_human")
    rest_chat.tap("Don't contact me")
    another_chat.say("/talk_to_human")
    another_chat.say("no thanks")

    assert support_requests(app_runtime) == []
    for chat in (rest_chat, another_chat):
        assert "no one can call you back" in chat.text
        assert "1-877-623-6765" in chat.text


def test_talking_to_a_person_in_the_middle_of_a_form_keeps_the_form(rest_chat, app_runtime):
    rest_chat.say("/create_account")
    rest_chat.say("Jordan Lee")

    rest_chat.say("/talk_to_human")
    assert "how can they reach you?" in rest_chat.text
    rest_chat.say("jordan@example.com")
    assert "support request" in rest_chat.text
    assert "date of birth" in rest_chat.text, "the form goes on where it was"

    rest_chat.say("04/12/1990")
    assert "Social Security number" in rest_chat.text


def test_a_chat_not_logged_in_cannot_fill_the_staffs_queue(rest_chat, app_runtime):
    """One request is open at a time; once the staff answer it a visitor may open another, up to
    three a day."""
    from services.persistence.models import SupportRequest

    def staff_answer_them() -> None:
        with app_runtime.services.uow() as uow:
            for request in uow.session.query(SupportRequest).filter_by(status="open"):
                request.status = "answered"
            uow.commit()

    for _ in range(4):
        rest_chat.say("/talk_to_human")
        rest_chat.say("617-555-0123")
        staff_answer_them()
    assert "already opened 3 support requests today" in rest_chat.text
    with app_runtime.services.uow() as uow:
        assert len(uow.session.query(SupportRequest).all()) == 3
