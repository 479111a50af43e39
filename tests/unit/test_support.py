import pytest
from sqlalchemy import func, select

from services.errors import InvalidInput, SupportLimitReached
from services.persistence.models import AuditEvent, Payment, SupportRequest
from services.references import new_reference
from services.support import (
    MAX_REQUESTS_PER_DAY,
    TRANSCRIPT_LINES,
    find_open_request,
    open_support_request,
)
from tests.conftest import build_services
from tests.factories import TEST_NOW, make_paying_member
from tests.fakes import FakeGateway

CHAT = {"channel": "telegram", "chat_id": "5550001"}


@pytest.fixture
def svc(sqlite_engine, clock, policy, secrets):
    return build_services(sqlite_engine, gateway=FakeGateway(), clock=clock, policy=policy,
                          secrets=secrets)


def add_payments(svc, account_id: int, statuses: list[str]) -> list[str]:
    references = [f"HC-AAAA-{index:04d}" for index in range(len(statuses))]
    with svc.uow() as uow:
        for reference, status in zip(references, statuses, strict=True):
            uow.session.add(Payment(account_id=account_id, reference=reference,
                                    idempotency_key=reference, amount_cents=100, status=status,
                                    created_at=TEST_NOW))
        uow.commit()
    return references


def test_a_request_gets_a_dated_number_the_latest_payments_and_the_transcript(svc):
    member = make_paying_member(svc)
    references = add_payments(svc, member.account_id,
                              ["succeeded", "draft", "declined", "processing"])

    handoff = open_support_request(svc, account_id=member.account_id, topic="talk_to_human",
                                   transcript=["member: hi", "bot: Hello!"], **CHAT)

    request = handoff.request
    assert not handoff.added_to
    assert request.number == "SR-20261117-0001"
    assert request.status == "open"
    assert request.transcript == ["member: hi", "bot: Hello!"]
    # Newest first; drafts were never payments.
    assert request.recent_payment_references == [references[3], references[2], references[0]]
    with svc.uow() as uow:
        stored = uow.session.scalar(select(SupportRequest))
        audit = uow.session.scalar(select(AuditEvent).where(
            AuditEvent.kind == "support_request_opened"))
    assert (stored.number, stored.chat_id, stored.account_id) == (
        request.number, "5550001", member.account_id)
    assert audit.detail["number"] == request.number


def test_numbers_count_up_within_the_exchange_day_and_start_again_the_next(svc, clock):
    def visitor(chat_id):
        return {"account_id": None, "topic": "talk_to_human", "transcript": [],
                "channel": "telegram", "chat_id": chat_id}

    first = open_support_request(svc, **visitor("1"))
    second = open_support_request(svc, **visitor("2"))
    clock.advance(days=1)
    third = open_support_request(svc, **visitor("3"))

    assert [first.number, second.number, third.number] == [
        "SR-20261117-0001", "SR-20261117-0002", "SR-20261118-0001"]


def test_a_member_not_logged_in_gets_a_request_without_payments(svc):
    request = open_support_request(svc, account_id=None, topic="login_problem",
                                   transcript=["member: I can't log in"], **CHAT).request

    assert request.account_id is None and request.recent_payment_references == []


def test_the_payment_reference_is_kept_in_its_canonical_form(svc):
    member = make_paying_member(svc)
    reference = new_reference()
    typed = reference.replace("-", "").lower()

    request = open_support_request(svc, account_id=member.account_id, topic="payment_missing",
                                   transcript=[], payment_reference=typed, **CHAT).request

    assert request.payment_reference == reference


def test_only_the_latest_lines_are_kept(svc):
    lines = [f"member: message {n}" for n in range(TRANSCRIPT_LINES + 5)]

    request = open_support_request(svc, account_id=None, topic="talk_to_human",
                                   transcript=lines, **CHAT).request

    assert request.transcript == lines[-TRANSCRIPT_LINES:]


@pytest.mark.parametrize("fields", [{"topic": ""}, {"topic": "x" * 41},
                                    {"payment_reference": "not a reference"},
                                    {"contact": ""}, {"contact": "x" * 255}])
def test_bad_input_is_refused_and_nothing_is_written(svc, fields):
    arguments = {"account_id": None, "topic": "talk_to_human", "transcript": [], **CHAT}

    with pytest.raises(InvalidInput):
        open_support_request(svc, **(arguments | fields))

    with svc.uow() as uow:
        assert uow.session.scalar(select(SupportRequest)) is None


# --- one open request per member -------------------------------------------------------------


def stored_requests(svc) -> list[SupportRequest]:
    with svc.uow() as uow:
        return list(uow.session.scalars(select(SupportRequest).order_by(SupportRequest.id)))


def test_asking_again_while_a_request_is_open_adds_to_it(svc, clock):
    member = make_paying_member(svc)
    first = open_support_request(svc, account_id=member.account_id, topic="talk_to_human",
                                 transcript=["member: hi", "bot: Hello!", "member: a person"],
                                 **CHAT)
    clock.advance(minutes=5)
    reference = new_reference()

    again = open_support_request(
        svc, account_id=member.account_id, topic="payment_missing", payment_reference=reference,
        transcript=["bot: Hello!", "member: a person", "bot: opened", "member: still there?"],
        channel="rest", chat_id="other-device")

    assert again.added_to and again.number == first.number
    [request] = stored_requests(svc)
    assert request.transcript == [
        "member: hi", "bot: Hello!", "member: a person",
        f"-- asked again: payment_missing, payment {reference}",
        "bot: opened", "member: still there?"]
    assert request.payment_reference == reference
    assert request.updated_at == clock.now()
    with svc.uow() as uow:
        kinds = list(uow.session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id)))
    assert kinds[-2:] == ["support_request_opened", "support_request_added_to"]


def test_asking_again_with_nothing_new_adds_only_the_note(svc):
    lines = ["member: a person", "bot: opened"]
    open_support_request(svc, account_id=None, topic="talk_to_human", transcript=lines, **CHAT)
    open_support_request(svc, account_id=None, topic="talk_to_human", transcript=lines, **CHAT)
    open_support_request(svc, account_id=None, topic="talk_to_human", transcript=lines, **CHAT)

    [request] = stored_requests(svc)
    assert request.transcript == lines + ["-- asked again: talk_to_human"] * 2


def test_a_visitor_has_one_open_request_per_chat_and_its_contact_is_kept(svc):
    first = open_support_request(svc, account_id=None, topic="talk_to_human", transcript=[],
                                 contact="+16175550123", **CHAT)
    other_chat = open_support_request(svc, account_id=None, topic="talk_to_human",
                                      transcript=[], channel="telegram", chat_id="999")
    again = open_support_request(svc, account_id=None, topic="talk_to_human", transcript=[],
                                 contact="jo@example.com", **CHAT)

    assert again.number == first.number != other_chat.number
    assert [r.contact for r in stored_requests(svc)] == ["jo@example.com", None]


def test_a_request_no_longer_open_is_not_added_to(svc):
    member = make_paying_member(svc)
    first = open_support_request(svc, account_id=member.account_id, topic="talk_to_human",
                                 transcript=[], **CHAT)
    with svc.uow() as uow:
        uow.session.get(SupportRequest, first.request.id).status = "answered"
        uow.commit()

    second = open_support_request(svc, account_id=member.account_id, topic="talk_to_human",
                                  transcript=[], **CHAT)

    assert not second.added_to and second.number != first.number
    assert find_open_request(svc, account_id=member.account_id, **CHAT).number == second.number


def open_for(svc, account_id=None, **chat):
    """A new request, answered at once: the limit counts requests opened, not open ones."""
    handoff = open_support_request(svc, account_id=account_id, topic="talk_to_human",
                                   transcript=[], **(chat or CHAT))
    with svc.uow() as uow:
        uow.session.get(SupportRequest, handoff.request.id).status = "answered"
        uow.commit()
    return handoff


def test_a_chat_not_logged_in_may_open_three_requests_a_day(svc, clock):
    for _ in range(MAX_REQUESTS_PER_DAY):
        open_for(svc)
    with pytest.raises(SupportLimitReached, match="already opened 3 support requests today"):
        open_for(svc)
    open_for(svc, channel="telegram", chat_id="5550002")  # another chat has its own
    clock.advance(days=1)
    open_for(svc)


def test_an_account_may_open_three_a_day_whatever_chats_it_uses(svc):
    member = make_paying_member(svc)
    for number in range(MAX_REQUESTS_PER_DAY):
        open_for(svc, member.account_id, channel="rest", chat_id=f"web-{number}")
    with pytest.raises(SupportLimitReached):
        open_for(svc, member.account_id, channel="rest", chat_id="web-new")
    with svc.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(SupportRequest)) == 3
