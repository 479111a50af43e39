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


def test_a_member_not_logged_in_can_ask_for_a_person_too(rest_chat, another_chat, app_runtime):
    rest_chat.say("I need help from a human")
    another_chat.say("/talk_to_human")

    first, second = support_requests(app_runtime)
    assert first.account_id is None and first.recent_payment_references == []
    assert second.number == "SR-20261117-0002"
    assert "SR-20261117-0002" in another_chat.text


def test_talking_to_a_person_in_the_middle_of_a_form_keeps_the_form(rest_chat, app_runtime):
    rest_chat.say("/create_account")
    rest_chat.say("Jordan Lee")

    rest_chat.say("/talk_to_human")
    assert "support request" in rest_chat.text

    rest_chat.say("04/12/1990")
    assert "Social Security number" in rest_chat.text


def test_a_chat_not_logged_in_cannot_fill_the_staffs_queue(rest_chat, app_runtime):
    from services.persistence.models import SupportRequest

    for _ in range(5):
        rest_chat.say("/talk_to_human")
    assert "already opened 3 support requests today" in rest_chat.text
    with app_runtime.services.uow() as uow:
        assert len(uow.session.query(SupportRequest).all()) == 3
