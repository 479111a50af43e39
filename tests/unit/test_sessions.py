import pytest
from sqlalchemy import select

from services.accounts import log_in
from services.errors import (
    AccountLocked,
    AttemptsPaused,
    LoginFailed,
    NotFound,
    NotLoggedIn,
    SessionExpired,
)
from services.persistence.models import AuditEvent, ChatLink
from services.sessions import (
    current_account_id,
    link_chat,
    mark_reachable,
    mark_unreachable,
    reauthenticate,
    require_member,
    touch,
    unlink_chat,
)
from tests.conftest import build_services
from tests.factories import DEFAULT_PASSWORD, make_member, use_fast_password_hashing
from tests.fakes import FakeGateway

TELEGRAM = {"channel": "telegram", "chat_id": "5550001"}


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch):
    use_fast_password_hashing(monkeypatch)


@pytest.fixture
def svc(sqlite_engine, clock, policy, secrets):
    return build_services(sqlite_engine, gateway=FakeGateway(), clock=clock, policy=policy,
                          secrets=secrets)


@pytest.fixture
def member(svc):
    return make_member(svc)


@pytest.fixture
def linked(svc, member):
    link_chat(svc, **TELEGRAM, account_id=member.id)
    return member


def chat_link(svc, channel, chat_id):
    with svc.uow() as uow:
        link = uow.session.scalar(
            select(ChatLink).where(ChatLink.channel == channel, ChatLink.chat_id == chat_id))
        uow.commit()
    return link


def test_a_chat_is_not_logged_in_until_linked(svc, member):
    assert current_account_id(svc, **TELEGRAM) is None
    with pytest.raises(NotLoggedIn):
        require_member(svc, **TELEGRAM)
    link_chat(svc, **TELEGRAM, account_id=member.id)
    assert current_account_id(svc, **TELEGRAM) == member.id
    assert require_member(svc, **TELEGRAM, for_money=True) == member.id


def test_linking_is_audited(svc, linked):
    with svc.uow() as uow:
        event = uow.session.scalar(select(AuditEvent).where(AuditEvent.kind == "chat_linked"))
        assert event.account_id == linked.id
        assert event.detail == {"channel": "telegram", "chat_id": "5550001"}


def test_numeric_and_text_chat_ids_are_the_same_chat(svc, linked):
    assert current_account_id(svc, channel="telegram", chat_id=5550001) == linked.id


def test_one_chat_links_to_one_account(svc, linked):
    other = make_member(svc, username="john.doe", full_name="John Doe", ssn="234-56-7890")
    link_chat(svc, **TELEGRAM, account_id=other.id)
    assert current_account_id(svc, **TELEGRAM) == other.id
    with svc.uow() as uow:
        assert len(uow.session.scalars(select(ChatLink)).all()) == 1


def test_one_account_may_be_logged_in_from_several_chats(svc, linked):
    link_chat(svc, channel="console", chat_id="local", account_id=linked.id)
    assert current_account_id(svc, **TELEGRAM) == linked.id
    assert current_account_id(svc, channel="console", chat_id="local") == linked.id


def test_linking_an_unknown_account_is_refused(svc):
    with pytest.raises(NotFound):
        link_chat(svc, **TELEGRAM, account_id=999)
    assert current_account_id(svc, **TELEGRAM) is None


def test_unlink(svc, linked):
    assert unlink_chat(svc, **TELEGRAM) is True
    assert unlink_chat(svc, **TELEGRAM) is False
    with pytest.raises(NotLoggedIn):
        require_member(svc, **TELEGRAM)


def test_the_same_chat_id_on_another_channel_is_another_session(svc, linked):
    rest = {"channel": "rest", "chat_id": TELEGRAM["chat_id"]}
    assert current_account_id(svc, **rest) is None
    with pytest.raises(NotLoggedIn):
        require_member(svc, **rest)
    assert unlink_chat(svc, **rest) is False
    assert current_account_id(svc, **TELEGRAM) == linked.id


# --- idle sessions --------------------------------------------------------------------------


def test_money_needs_the_password_again_after_15_idle_minutes(svc, clock, linked):
    clock.advance(minutes=15)
    assert require_member(svc, **TELEGRAM, for_money=True) == linked.id
    clock.advance(minutes=15, seconds=1)
    with pytest.raises(SessionExpired,
                       match="For your security, please enter your password again"):
        require_member(svc, **TELEGRAM, for_money=True)


def test_activity_keeps_a_session_fresh(svc, clock, linked):
    for _ in range(4):
        clock.advance(minutes=10)
        require_member(svc, **TELEGRAM)
    clock.advance(minutes=10)
    touch(svc, **TELEGRAM)
    clock.advance(minutes=10)
    assert require_member(svc, **TELEGRAM, for_money=True) == linked.id


def test_an_idle_session_still_answers_but_reading_does_not_refresh_it(svc, clock, linked):
    clock.advance(minutes=20)
    assert require_member(svc, **TELEGRAM) == linked.id
    touch(svc, **TELEGRAM)
    with pytest.raises(SessionExpired):
        require_member(svc, **TELEGRAM, for_money=True)


def test_reauthenticate_makes_an_idle_session_fresh(svc, clock, linked):
    clock.advance(minutes=30)
    assert reauthenticate(svc, **TELEGRAM, password=DEFAULT_PASSWORD) == linked.id
    assert require_member(svc, **TELEGRAM, for_money=True) == linked.id
    assert chat_link(svc, "telegram", "5550001").last_active_at == clock.now()


def test_a_new_login_makes_an_idle_session_fresh(svc, clock, linked):
    clock.advance(minutes=30)
    link_chat(svc, **TELEGRAM, account_id=log_in(svc, "mary.oneil", DEFAULT_PASSWORD).id)
    assert require_member(svc, **TELEGRAM, for_money=True) == linked.id


def test_the_idle_limit_follows_the_configuration(sqlite_engine, clock, policy, secrets):
    from services.context import ServiceConfig

    svc = build_services(sqlite_engine, gateway=FakeGateway(), clock=clock, policy=policy,
                         secrets=secrets, config=ServiceConfig(session_idle_minutes=5))
    link_chat(svc, **TELEGRAM, account_id=make_member(svc).id)
    clock.advance(minutes=6)
    with pytest.raises(SessionExpired):
        require_member(svc, **TELEGRAM, for_money=True)


def test_wrong_re_entries_pause_the_chat_and_count_toward_the_username(svc, clock, linked):
    clock.advance(minutes=30)
    for _ in range(4):
        with pytest.raises(LoginFailed):
            reauthenticate(svc, **TELEGRAM, password="Wrong-Password-1")
    with pytest.raises(AttemptsPaused):
        reauthenticate(svc, **TELEGRAM, password="Wrong-Password-1")
    with pytest.raises(AccountLocked):
        log_in(svc, "mary.oneil", DEFAULT_PASSWORD)
    with pytest.raises(AttemptsPaused):
        reauthenticate(svc, **TELEGRAM, password=DEFAULT_PASSWORD)
    with pytest.raises(SessionExpired):
        require_member(svc, **TELEGRAM, for_money=True)
    with svc.uow() as uow:
        kinds = uow.session.scalars(select(AuditEvent.kind).where(
            AuditEvent.detail["channel"].as_string() == "telegram")).all()
    assert kinds.count("login_failed") == 6


def test_tries_left_for_a_re_entry_count_the_chat_only(svc, clock, linked):
    from services.accounts import chat_source, login_tries_left

    source = chat_source(**TELEGRAM)
    for number in range(3):
        with pytest.raises(LoginFailed):
            log_in(svc, "mary.oneil", "Wrong-Password-1", source=f"rest:stranger-{number}")
    with pytest.raises(LoginFailed):
        reauthenticate(svc, **TELEGRAM, password="Wrong-Password-1")
    assert login_tries_left(svc, "mary.oneil") == 1
    assert login_tries_left(svc, "mary.oneil", source=source, own_chat=True) == 4


def test_a_stranger_guessing_the_username_cannot_keep_the_member_out_of_their_chat(
        svc, clock, linked):
    for number in range(12):
        with pytest.raises((LoginFailed, AccountLocked)):
            log_in(svc, "mary.oneil", "Wrong-Password-1", source=f"rest:stranger-{number}")
    with pytest.raises(AccountLocked):
        log_in(svc, "mary.oneil", DEFAULT_PASSWORD)
    clock.advance(minutes=30)
    assert reauthenticate(svc, **TELEGRAM, password=DEFAULT_PASSWORD) == linked.id
    require_member(svc, **TELEGRAM, for_money=True)


def test_reauthenticate_without_a_session(svc, member):
    with pytest.raises(NotLoggedIn):
        reauthenticate(svc, **TELEGRAM, password=DEFAULT_PASSWORD)


# --- reachability ---------------------------------------------------------------------------


def test_mark_unreachable_keeps_the_first_time_and_mark_reachable_clears_it(svc, clock, linked):
    first = clock.now()
    mark_unreachable(svc, **TELEGRAM)
    clock.advance(hours=1)
    mark_unreachable(svc, **TELEGRAM)
    assert chat_link(svc, "telegram", "5550001").unreachable_since == first
    mark_reachable(svc, **TELEGRAM)
    assert chat_link(svc, "telegram", "5550001").unreachable_since is None


def test_reachability_of_an_unlinked_chat_is_ignored(svc):
    mark_unreachable(svc, **TELEGRAM)
    mark_reachable(svc, **TELEGRAM)
    touch(svc, **TELEGRAM)
    assert current_account_id(svc, **TELEGRAM) is None


# --- sessions that end even for reading (REST) ----------------------------------------------

REST = {"channel": "rest", "chat_id": "web-1"}


def test_a_rest_session_idle_for_half_an_hour_is_logged_out_even_for_reading(svc, clock,
                                                                            member):
    link_chat(svc, **REST, account_id=member.id)
    link_chat(svc, **TELEGRAM, account_id=member.id)
    clock.advance(minutes=30)
    assert current_account_id(svc, **REST) == member.id
    clock.advance(minutes=30, seconds=1)

    assert current_account_id(svc, **REST) is None
    assert chat_link(svc, "rest", "web-1") is None, "logged out, not just hidden"
    with pytest.raises(NotLoggedIn):
        require_member(svc, **REST)
    assert current_account_id(svc, **TELEGRAM) == member.id, "Telegram keeps its session"


def test_reading_keeps_a_rest_session_but_not_past_its_lifetime(svc, clock, member):
    link_chat(svc, **REST, account_id=member.id)
    for _ in range(11 * 4):
        clock.advance(minutes=15)
        assert current_account_id(svc, **REST) == member.id
    with pytest.raises(SessionExpired):
        require_member(svc, **REST, for_money=True)  # reading never made it fresh for money
    clock.advance(hours=1, seconds=1)
    assert current_account_id(svc, **REST) is None


def test_read_limits_follow_the_configuration(sqlite_engine, clock, policy, secrets):
    from services.context import ReadLimits, ServiceConfig

    svc = build_services(sqlite_engine, gateway=FakeGateway(), clock=clock, policy=policy,
                         secrets=secrets, config=ServiceConfig(read_limits={
                             "telegram": ReadLimits(idle_minutes=5)}))
    member = make_member(svc)
    link_chat(svc, **TELEGRAM, account_id=member.id)
    link_chat(svc, **REST, account_id=member.id)
    clock.advance(hours=2)
    assert current_account_id(svc, **REST) == member.id
    assert current_account_id(svc, **TELEGRAM) is None
