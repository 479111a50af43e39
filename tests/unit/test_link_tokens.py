import datetime as dt

import pytest
from sqlalchemy import select

from services.adapters.clocks import FixedClock
from services.errors import NotAllowed, NotFound
from services.link_tokens import create_link_token, redeem_link_token
from services.persistence.models import ChatLinkToken
from services.sessions import current_account_id, require_member
from tests.conftest import DEFAULT_NOW, build_services
from tests.factories import make_account, make_enrollment
from tests.fakes import FakeGateway

CHAT = {"channel": "telegram", "chat_id": "5550001"}


@pytest.fixture
def svc(sqlite_engine, policy, secrets):
    return build_services(sqlite_engine, gateway=FakeGateway(), clock=FixedClock(DEFAULT_NOW),
                          policy=policy, secrets=secrets)


@pytest.fixture
def account_id(svc):
    with svc.uow() as uow:
        account = make_account(uow.session, make_enrollment(
            uow.session, ssn_key=svc.secrets.ssn_hash_key))
        uow.commit()
        return account.id


def test_a_token_logs_the_chat_in_with_a_fresh_session(svc, account_id):
    token = create_link_token(svc, account_id)
    assert redeem_link_token(svc, token, **CHAT) == account_id
    assert current_account_id(svc, **CHAT) == account_id
    assert require_member(svc, **CHAT, for_money=True) == account_id


def test_a_token_is_a_telegram_start_parameter_and_only_its_hash_is_kept(svc, account_id):
    token = create_link_token(svc, account_id)
    assert len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum()
    with svc.uow() as uow:
        stored = uow.session.scalars(select(ChatLinkToken.token_hash)).all()
    assert token not in stored and len(stored) == 1


def test_a_token_works_once(svc, account_id):
    token = create_link_token(svc, account_id)
    redeem_link_token(svc, token, **CHAT)
    with pytest.raises(NotAllowed, match="already used"):
        redeem_link_token(svc, token, channel="telegram", chat_id="5550002")
    assert current_account_id(svc, channel="telegram", chat_id="5550002") is None


def test_an_expired_token_logs_nobody_in(svc, account_id):
    token = create_link_token(svc, account_id, lifetime=dt.timedelta(minutes=5))
    svc.clock = FixedClock(DEFAULT_NOW + dt.timedelta(minutes=5))
    with pytest.raises(NotAllowed, match="expired"):
        redeem_link_token(svc, token, **CHAT)
    assert current_account_id(svc, **CHAT) is None


def test_an_unknown_token_is_refused(svc, account_id):
    create_link_token(svc, account_id)
    with pytest.raises(NotFound):
        redeem_link_token(svc, "made-up-token", **CHAT)


def test_a_token_for_a_missing_account_is_not_made(svc):
    with pytest.raises(NotFound):
        create_link_token(svc, 4040)
