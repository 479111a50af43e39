"""Saved payment methods: one-time setup links, default handling, removal rules, labels."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading

import pytest
from sqlalchemy import func, select

from services import payment_methods as pm
from services.errors import InvalidInput, MethodUnusable, NotAllowed, NotFound
from services.persistence.models import (
    Account,
    AuditEvent,
    AutopayMandate,
    Enrollment,
    MethodSetupToken,
    PaymentMethod,
)
from services.ports import SavedMethod
from tests.conftest import build_services
from tests.fakes import FakeGateway

VISA = SavedMethod("pm_card_visa", "card", "Visa", "4242", 12, 2030)
CHECKING = SavedMethod("pm_usBankAccount_success", "bank_account", "Checking", "6789")
MASTERCARD = SavedMethod("pm_card_mastercard", "card", "Mastercard", "4444", 1, 2031)


@pytest.fixture
def svc(sqlite_engine, clock, policy, secrets):
    return build_services(sqlite_engine, gateway=FakeGateway(), clock=clock, policy=policy,
                          secrets=secrets)


def make_account(svc, number: int) -> int:
    with svc.uow() as uow:
        enrollment = Enrollment(
            member_id=f"{number:012d}", full_name=f"Member {number}",
            date_of_birth=dt.date(1980, 1, 1), ssn_hash="0" * 64, ssn_last4="1234",
            email=f"m{number}@example.test", subsidy_type="tax_credit",
        )
        uow.session.add(enrollment)
        uow.session.flush()
        account = Account(
            enrollment_id=enrollment.id, username=f"member{number}", password_hash="x",
            security_question_1="q1", security_answer_1_hash="a1",
            security_question_2="q2", security_answer_2_hash="a2", created_at=svc.now(),
        )
        uow.session.add(account)
        uow.commit()
        return account.id


@pytest.fixture
def account(svc):
    return make_account(svc, 1)


def add_method(svc, account_id, saved=VISA, **kwargs):
    url = pm.create_setup_token(svc, account_id)
    return pm.redeem_setup_token(svc, url.rsplit("/", 1)[1], saved, **kwargs)


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def add_mandate(svc, account_id, method_id, status="active"):
    with svc.uow() as uow:
        uow.session.add(AutopayMandate(
            account_id=account_id, method_id=method_id, amount_rule="full_balance",
            frequency="monthly", status=status, created_at=svc.now(), updated_at=svc.now(),
        ))
        uow.commit()


def audit_kinds(svc) -> list[str]:
    with svc.uow() as uow:
        return list(uow.session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id)))


# --- setup links ----------------------------------------------------------------------------


def test_setup_link_is_under_the_public_url_and_only_its_hash_is_kept(svc, account):
    url = pm.create_setup_token(svc, account)
    assert url.startswith("http://127.0.0.1:8000/methods/setup/")
    token = token_of(url)
    assert len(token) >= 32
    with svc.uow() as uow:
        stored = uow.session.scalar(select(MethodSetupToken))
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert stored.account_id == account
        assert stored.expires_at - stored.created_at == dt.timedelta(minutes=15)
    assert pm.check_setup_token(svc, token) == account


def test_setup_link_for_a_missing_account_is_refused(svc):
    with pytest.raises(NotFound):
        pm.create_setup_token(svc, 999)


def test_unknown_link_is_not_found(svc, account):
    with pytest.raises(NotFound, match="isn't valid"):
        pm.check_setup_token(svc, "forged-token")
    with pytest.raises(NotFound):
        pm.redeem_setup_token(svc, "forged-token", VISA)


def test_setup_link_works_once(svc, account):
    token = token_of(pm.create_setup_token(svc, account))
    pm.redeem_setup_token(svc, token, VISA)
    with pytest.raises(NotAllowed, match="already been used"):
        pm.check_setup_token(svc, token)
    with pytest.raises(NotAllowed, match="already been used"):
        pm.redeem_setup_token(svc, token, CHECKING)
    assert [m.last4 for m in pm.list_methods(svc, account)] == ["4242"]


def test_setup_link_expires(svc, account, clock):
    token = token_of(pm.create_setup_token(svc, account))
    clock.advance(minutes=15)
    with pytest.raises(NotAllowed, match="expired"):
        pm.check_setup_token(svc, token)
    with pytest.raises(NotAllowed, match="expired"):
        pm.redeem_setup_token(svc, token, VISA)
    assert pm.list_methods(svc, account) == []


def test_method_is_bound_to_the_links_account(svc, account):
    other = make_account(svc, 2)
    token = token_of(pm.create_setup_token(svc, other))
    method = pm.redeem_setup_token(svc, token, VISA)
    assert method.account_id == other
    assert pm.list_methods(svc, account) == []
    with svc.uow() as uow:
        assert uow.session.scalar(select(MethodSetupToken.method_id)) == method.id


def test_concurrent_redeems_of_one_link_add_one_method(svc, account):
    token = token_of(pm.create_setup_token(svc, account))
    barrier = threading.Barrier(4)
    added, refused = [], []

    def redeem():
        barrier.wait()
        try:
            added.append(pm.redeem_setup_token(svc, token, VISA))
        except NotAllowed as exc:
            refused.append(exc)

    threads = [threading.Thread(target=redeem) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(added), len(refused)) == (1, 3)
    with svc.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(PaymentMethod)) == 1


def test_redeem_checks_the_nickname_before_using_the_link(svc, account):
    token = token_of(pm.create_setup_token(svc, account))
    with pytest.raises(InvalidInput):
        pm.redeem_setup_token(svc, token, VISA, nickname="x" * 61)
    assert pm.check_setup_token(svc, token) == account


def test_redeem_refuses_what_no_gateway_saved(svc, account):
    token = token_of(pm.create_setup_token(svc, account))
    with pytest.raises(ValueError):
        pm.redeem_setup_token(svc, token, SavedMethod("pm_x", "card", "Visa", "42"))
    assert pm.check_setup_token(svc, token) == account


# --- defaults and listing -------------------------------------------------------------------


def test_first_method_becomes_default_and_later_ones_only_when_asked(svc, account, clock):
    first = add_method(svc, account, VISA, make_default=False)
    assert first.is_default
    clock.advance(minutes=1)
    second = add_method(svc, account, CHECKING)
    assert not second.is_default
    clock.advance(minutes=1)
    third = add_method(svc, account, MASTERCARD, make_default=True, nickname="  Work   card ")
    assert third.nickname == "Work card"
    methods = pm.list_methods(svc, account)
    assert [m.id for m in methods] == [third.id, first.id, second.id]
    assert [m.is_default for m in methods] == [True, False, False]
    assert audit_kinds(svc) == ["method_added"] * 3


def test_set_default_moves_the_default(svc, account, clock):
    first = add_method(svc, account, VISA)
    second = add_method(svc, account, CHECKING)
    pm.set_default(svc, account, second.id)
    assert [(m.id, m.is_default) for m in pm.list_methods(svc, account)] == [
        (second.id, True), (first.id, False)]
    assert audit_kinds(svc)[-1] == "method_default_changed"


def test_an_expired_card_cannot_be_the_default(svc, account):
    add_method(svc, account, CHECKING)
    expired = add_method(svc, account, SavedMethod("pm_old", "card", "Visa", "1111", 10, 2026))
    with pytest.raises(MethodUnusable, match="expired"):
        pm.set_default(svc, account, expired.id)


def test_rename_sets_and_clears_a_nickname(svc, account):
    method = add_method(svc, account, VISA)
    assert pm.rename_method(svc, account, method.id, "Joint card").nickname == "Joint card"
    assert pm.rename_method(svc, account, method.id, "   ").nickname is None


def test_another_members_method_is_not_found(svc, account):
    other = make_account(svc, 2)
    theirs = add_method(svc, other, VISA)
    for action in (pm.remove_method, pm.set_default):
        with pytest.raises(NotFound):
            action(svc, account, theirs.id)
    with pytest.raises(NotFound):
        pm.rename_method(svc, account, theirs.id, "mine now")
    assert pm.list_methods(svc, other)[0].removed_at is None


# --- removal --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["active", "paused"])
def test_a_method_that_pays_autopay_cannot_be_removed(svc, account, status):
    method = add_method(svc, account, VISA)
    add_mandate(svc, account, method.id, status)
    with pytest.raises(NotAllowed) as caught:
        pm.remove_method(svc, account, method.id)
    assert str(caught.value) == ("This card pays your autopay. Change autopay to another method "
                                 "first, or cancel autopay.")
    assert [m.id for m in pm.list_methods(svc, account)] == [method.id]


def test_refusal_names_a_bank_account_as_such(svc, account):
    method = add_method(svc, account, CHECKING)
    add_mandate(svc, account, method.id)
    with pytest.raises(NotAllowed, match="This bank account pays your autopay"):
        pm.remove_method(svc, account, method.id)


def test_a_method_of_a_cancelled_autopay_can_be_removed(svc, account):
    method = add_method(svc, account, VISA)
    add_mandate(svc, account, method.id, "cancelled")
    pm.remove_method(svc, account, method.id)
    assert pm.list_methods(svc, account) == []
    with svc.uow() as uow:
        assert uow.session.get(PaymentMethod, method.id).removed_at == svc.now()
    assert audit_kinds(svc) == ["method_added", "method_removed"]


def test_removing_the_default_makes_the_newest_remaining_one_default(svc, account, clock):
    default = add_method(svc, account, VISA)
    clock.advance(minutes=1)
    older = add_method(svc, account, CHECKING)
    clock.advance(minutes=1)
    newest = add_method(svc, account, MASTERCARD)
    pm.remove_method(svc, account, default.id)
    assert [(m.id, m.is_default) for m in pm.list_methods(svc, account)] == [
        (newest.id, True), (older.id, False)]
    pm.remove_method(svc, account, older.id)
    assert [(m.id, m.is_default) for m in pm.list_methods(svc, account)] == [(newest.id, True)]


def test_a_removed_method_cannot_be_removed_again_or_charged(svc, account):
    method = add_method(svc, account, VISA)
    pm.remove_method(svc, account, method.id)
    with pytest.raises(NotFound):
        pm.remove_method(svc, account, method.id)
    with svc.uow() as uow, pytest.raises(NotFound):
        pm.get_chargeable_method(uow.session, account, method.id, svc.today())


# --- expiry and labels ----------------------------------------------------------------------


def test_expired_cards_cannot_be_charged(svc, account):
    method = add_method(svc, account, SavedMethod("pm_x", "card", "Visa", "1111", 11, 2026))
    with svc.uow() as uow:
        assert pm.get_chargeable_method(uow.session, account, method.id,
                                        dt.date(2026, 11, 30)).id == method.id
        with pytest.raises(MethodUnusable, match="Visa ending in 1111 has expired"):
            pm.get_chargeable_method(uow.session, account, method.id, dt.date(2026, 12, 1))


def test_methods_expiring_before_a_day(svc, account):
    november = add_method(svc, account, SavedMethod("pm_a", "card", "Visa", "1111", 11, 2026))
    add_method(svc, account, SavedMethod("pm_b", "card", "Visa", "2222", 12, 2026))
    add_method(svc, account, CHECKING)
    assert pm.methods_expiring_before(svc, account, dt.date(2026, 11, 30)) == []
    assert [m.id for m in pm.methods_expiring_before(svc, account, dt.date(2026, 12, 1))] == [
        november.id]
    assert len(pm.methods_expiring_before(svc, account, dt.date(2027, 1, 1))) == 2


def test_labels_say_what_a_member_recognises(svc, account):
    card = add_method(svc, account, SavedMethod("pm_a", "card", "Visa", "4242", 10, 2026))
    bank = add_method(svc, account, CHECKING, nickname="Household")
    assert pm.method_label(card) == "Visa ending in 4242"
    assert pm.method_label(card, on=svc.today()) == "Visa ending in 4242 (expired)"
    assert pm.method_label(bank, on=svc.today()) == "Household: Checking ending in 6789"
