"""The sandbox gateway behaves like Stripe's test mode: test cards, bank debits that settle on
business days, idempotency, and a hosted page that never keeps a card number."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, text

from services.adapters.sandbox_cards import (
    TEST_BANK_ACCOUNTS,
    TEST_BEHAVIOURS,
    TEST_CARD_NUMBERS,
    MethodDetailsInvalid,
    aba_routing_valid,
    luhn_valid,
)
from services.adapters.sandbox_gateway import SandboxGateway
from services.errors import GatewayRequestError, GatewayUnavailable, IdempotencyConflict
from services.persistence.database import make_session_factory
from services.persistence.models import Base, SandboxCharge
from services.ports import ChargeRequest

BASE_URL = "http://pay.example.test"

# Stripe's documented outcome of an on-session charge with each test payment method.
CARD_OUTCOMES = {
    "pm_card_visa": ("succeeded", None),
    "pm_card_visa_chargeDeclined": ("declined", "generic_decline"),
    "pm_card_visa_chargeDeclinedInsufficientFunds": ("declined", "insufficient_funds"),
    "pm_card_visa_chargeDeclinedLostCard": ("declined", "lost_card"),
    "pm_card_visa_chargeDeclinedStolenCard": ("declined", "stolen_card"),
    "pm_card_chargeDeclinedExpiredCard": ("declined", "expired_card"),
    "pm_card_chargeDeclinedIncorrectCvc": ("declined", "incorrect_cvc"),
    "pm_card_chargeDeclinedProcessingError": ("declined", "processing_error"),
    "pm_card_chargeCustomerFail": ("declined", "generic_decline"),
    "pm_card_authenticationRequired": ("requires_action", None),
}
NUMBER_OUTCOMES = {
    "4242424242424242": ("succeeded", None),
    "4000000000000002": ("declined", "generic_decline"),
    "4000000000009995": ("declined", "insufficient_funds"),
    "4000000000009987": ("declined", "lost_card"),
    "4000000000009979": ("declined", "stolen_card"),
    "4000000000000069": ("declined", "expired_card"),
    "4000000000000127": ("declined", "incorrect_cvc"),
    "4000000000000119": ("declined", "processing_error"),
    "4000000000000341": ("declined", "generic_decline"),
    "4000002760003184": ("requires_action", None),
}
# Bank debits: what they become once they settle.
BANK_OUTCOMES = {
    "000123456789": ("succeeded", None),
    "000111111113": ("declined", "account_closed"),
    "000111111116": ("declined", "no_account"),
    "000222222227": ("declined", "insufficient_funds"),
    "000333333335": ("declined", "debit_not_authorized"),
}
BANK_TOKENS = {
    "pm_usBankAccount_success": ("succeeded", None),
    "pm_usBankAccount_accountClosed": ("declined", "account_closed"),
    "pm_usBankAccount_noAccount": ("declined", "no_account"),
    "pm_usBankAccount_insufficientFunds": ("declined", "insufficient_funds"),
    "pm_usBankAccount_debitNotAuthorized": ("declined", "debit_not_authorized"),
}

# A Tuesday, so four business days later skips Thanksgiving (Thursday 2026-11-26) and a weekend.
TUESDAY_BEFORE_THANKSGIVING = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def gateway(sqlite_engine, clock):
    return SandboxGateway(make_session_factory(sqlite_engine), clock, public_base_url=BASE_URL)


def charge(gateway, token, *, key="key-1", amount=12_000, off_session=False, customer=None):
    return gateway.charge(ChargeRequest(amount_cents=amount, method_token=token,
                                        idempotency_key=key, customer_id=customer,
                                        off_session=off_session))


def tokenize(gateway, number, *, month=12, year=2030, cvc="123", postal="02108"):
    return gateway.tokenize_card(number, month, year, cvc, postal)


def test_the_tables_cover_every_documented_test_method():
    assert set(CARD_OUTCOMES) | set(BANK_TOKENS) == set(TEST_BEHAVIOURS)
    assert set(NUMBER_OUTCOMES) == set(TEST_CARD_NUMBERS)
    assert set(BANK_OUTCOMES) == set(TEST_BANK_ACCOUNTS)


@pytest.mark.parametrize("token, outcome", CARD_OUTCOMES.items())
def test_every_test_token_gives_its_documented_outcome(gateway, token, outcome):
    result = charge(gateway, token)
    assert (result.status, result.decline_code) == outcome
    assert result.gateway_ref.startswith("pi_sandbox_")


@pytest.mark.parametrize("number, outcome", NUMBER_OUTCOMES.items())
def test_every_test_card_number_saves_and_charges_as_documented(gateway, number, outcome):
    saved = tokenize(gateway, number)
    assert saved.token.startswith("pm_sandbox_")
    assert (saved.kind, saved.brand, saved.last4) == ("card", "Visa", number[-4:])
    assert (saved.exp_month, saved.exp_year) == (12, 2030)
    result = charge(gateway, saved.token)
    assert (result.status, result.decline_code) == outcome


def test_any_other_valid_card_number_succeeds(gateway):
    saved = tokenize(gateway, "5555 5555 5555 4444")
    assert saved.brand == "Mastercard"
    assert charge(gateway, saved.token).status == "succeeded"


def test_describe_tells_brand_and_last_four_of_test_tokens(gateway):
    described = gateway.describe("pm_usBankAccount_success")
    assert (described.kind, described.brand, described.last4) == ("bank_account", "Checking",
                                                                  "6789")
    with pytest.raises(GatewayRequestError):
        gateway.describe("pm_does_not_exist")


def test_unknown_token_is_an_invalid_request_and_charges_nothing(gateway):
    with pytest.raises(GatewayRequestError, match="No such payment method"):
        charge(gateway, "pm_made_up")
    assert gateway.charge_count() == 0


@pytest.mark.parametrize("amount", [0, 49, -100])
def test_amounts_stripe_refuses_are_invalid_requests(gateway, amount):
    with pytest.raises(GatewayRequestError):
        charge(gateway, "pm_card_visa", amount=amount)
    assert gateway.charge_count() == 0


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_idempotency_key_must_be_1_to_255_characters(gateway, key):
    with pytest.raises(GatewayRequestError):
        charge(gateway, "pm_card_visa", key=key)


def test_ensure_customer_keeps_an_existing_id(gateway):
    assert gateway.ensure_customer(account_id=7, email="a@b.c", name="A", existing_id=None) \
        == "cus_sandbox_7"
    assert gateway.ensure_customer(account_id=7, email="a@b.c", name="A",
                                   existing_id="cus_old") == "cus_old"


# --- idempotency ----------------------------------------------------------------------------


def test_same_key_returns_the_first_result_and_charges_once(gateway):
    first = charge(gateway, "pm_card_visa", key="draft-42")
    again = charge(gateway, "pm_card_visa", key="draft-42")
    assert again == first
    assert gateway.charge_count() == 1
    assert charge(gateway, "pm_card_visa", key="draft-43").gateway_ref != first.gateway_ref
    assert gateway.charge_count() == 2


def test_a_decline_is_replayed_too(gateway):
    first = charge(gateway, "pm_card_visa_chargeDeclined", key="k")
    assert charge(gateway, "pm_card_visa_chargeDeclined", key="k") == first
    assert gateway.charge_count() == 1


@pytest.mark.parametrize("change", [
    {"amount": 12_001},
    {"token": "pm_card_visa_chargeDeclined"},
    {"off_session": True},
    {"customer": "cus_other"},
])
def test_same_key_with_other_parameters_is_an_error(gateway, change):
    charge(gateway, "pm_card_visa", key="k")
    params = {"token": "pm_card_visa", "key": "k"} | change
    with pytest.raises(IdempotencyConflict):
        charge(gateway, params.pop("token"), **params)
    assert gateway.charge_count() == 1


def test_concurrent_charges_with_one_key_make_one_ledger_row(gateway):
    threads_count = 8
    barrier = threading.Barrier(threads_count)
    results, errors = [], []

    def pay():
        barrier.wait()
        try:
            results.append(charge(gateway, "pm_card_visa", key="double-tap"))
        except Exception as exc:  # noqa: BLE001 - any failure must show in the assertion
            errors.append(exc)

    threads = [threading.Thread(target=pay) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({result.gateway_ref for result in results}) == 1
    assert gateway.charge_count() == 1


# --- authentication -------------------------------------------------------------------------


def test_authentication_required_on_session_asks_for_action(gateway):
    result = charge(gateway, "pm_card_authenticationRequired")
    assert result.status == "requires_action"
    assert result.decline_code is None
    assert result.action_url == f"{BASE_URL}/sandbox/authenticate/{result.gateway_ref}"


def test_authentication_required_off_session_is_declined(gateway):
    result = charge(gateway, "pm_card_authenticationRequired", off_session=True)
    assert (result.status, result.decline_code) == ("declined", "authentication_required")
    assert result.action_url is None


# --- bank debits ----------------------------------------------------------------------------


def test_bank_debit_settles_after_four_business_days_skipping_thanksgiving(gateway, clock):
    clock.set(TUESDAY_BEFORE_THANKSGIVING)
    first = charge(gateway, "pm_usBankAccount_success", key="ach")
    assert first.status == "processing"
    # Wed 25, (Thanksgiving), Fri 27, (weekend), Mon 30, Tue Dec 1.
    clock.set(dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC))
    assert gateway.retrieve(idempotency_key="ach", gateway_ref=None).status == "processing"
    # 03:00 UTC on Dec 1 is still Nov 30 in Boston.
    clock.set(dt.datetime(2026, 12, 1, 3, 0, tzinfo=dt.UTC))
    assert gateway.retrieve(idempotency_key="ach", gateway_ref=None).status == "processing"
    clock.set(dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC))
    settled = gateway.retrieve(idempotency_key="ach", gateway_ref=None)
    assert (settled.status, settled.gateway_ref) == ("succeeded", first.gateway_ref)
    # A replay of the key still answers with the first result, as Stripe does.
    assert charge(gateway, "pm_usBankAccount_success", key="ach") == first
    assert gateway.charge_count() == 1


def test_settlement_days_are_configurable(sqlite_engine, clock):
    gateway = SandboxGateway(make_session_factory(sqlite_engine), clock,
                             settlement_business_days=1)
    clock.set(TUESDAY_BEFORE_THANKSGIVING)
    charge(gateway, "pm_usBankAccount_success", key="ach")
    clock.advance(days=1)
    assert gateway.retrieve(idempotency_key="ach", gateway_ref=None).status == "succeeded"


@pytest.mark.parametrize("account, outcome", BANK_OUTCOMES.items())
def test_test_bank_accounts_settle_or_fail_as_documented(gateway, clock, account, outcome):
    saved = gateway.tokenize_bank_account("110000000", account, "Pat Doe", "checking")
    assert (saved.kind, saved.brand, saved.last4) == ("bank_account", "Checking", account[-4:])
    result = charge(gateway, saved.token, key="ach")
    assert (result.status, result.decline_code) == ("processing", None)
    clock.advance(days=7)
    settled = gateway.retrieve(idempotency_key="ach", gateway_ref=result.gateway_ref)
    assert (settled.status, settled.decline_code) == outcome


@pytest.mark.parametrize("token, outcome", BANK_TOKENS.items())
def test_test_bank_tokens_settle_or_fail_as_documented(gateway, clock, token, outcome):
    assert charge(gateway, token, key="ach").status == "processing"
    clock.advance(days=7)
    settled = gateway.retrieve(idempotency_key="ach", gateway_ref=None)
    assert (settled.status, settled.decline_code) == outcome


def test_settlement_is_recorded_in_the_ledger(gateway, clock, sqlite_engine):
    charge(gateway, "pm_usBankAccount_accountClosed", key="ach")
    clock.advance(days=7)
    gateway.retrieve(idempotency_key="ach", gateway_ref=None)
    with make_session_factory(sqlite_engine)() as session:
        row = session.scalar(select(SandboxCharge))
        assert (row.status, row.decline_code, row.first_status) == (
            "declined", "account_closed", "processing")


def test_retrieve_finds_by_reference_and_knows_unknown_charges(gateway):
    result = charge(gateway, "pm_card_visa", key="k")
    assert gateway.retrieve(idempotency_key="other", gateway_ref=result.gateway_ref) == result
    assert gateway.retrieve(idempotency_key="never-sent", gateway_ref=None) is None


def test_a_saved_card_that_expired_since_is_declined(gateway, clock):
    saved = tokenize(gateway, "4242424242424242", month=11, year=2026)
    assert charge(gateway, saved.token, key="nov").status == "succeeded"
    clock.advance(days=20)  # December 2026
    result = charge(gateway, saved.token, key="dec")
    assert (result.status, result.decline_code) == ("declined", "expired_card")


# --- faults and rate limits -----------------------------------------------------------------


def test_a_fault_before_charging_charges_nothing(sqlite_engine, clock):
    def fail(stage, request):
        if stage == "before_charge":
            raise GatewayUnavailable("injected")

    gateway = SandboxGateway(make_session_factory(sqlite_engine), clock, fault_injector=fail)
    with pytest.raises(GatewayUnavailable):
        charge(gateway, "pm_card_visa")
    assert gateway.charge_count() == 0


def test_a_fault_after_charging_keeps_the_charge_for_the_retry(sqlite_engine, clock):
    failures = ["after_charge"]

    def fail_once(stage, request):
        if failures and stage == failures[0]:
            failures.pop()
            raise GatewayUnavailable("timeout after the charge")

    gateway = SandboxGateway(make_session_factory(sqlite_engine), clock,
                             fault_injector=fail_once)
    with pytest.raises(GatewayUnavailable):
        charge(gateway, "pm_card_visa", key="k")
    assert gateway.charge_count() == 1
    stored = gateway.retrieve(idempotency_key="k", gateway_ref=None)
    assert charge(gateway, "pm_card_visa", key="k") == stored
    assert gateway.charge_count() == 1


def test_over_the_rate_limit_the_gateway_is_unavailable(sqlite_engine, clock):
    gateway = SandboxGateway(make_session_factory(sqlite_engine), clock,
                             rate_limit_per_second=2)
    charge(gateway, "pm_card_visa", key="a")
    charge(gateway, "pm_card_visa", key="b")
    with pytest.raises(GatewayUnavailable, match="rate limited"):
        charge(gateway, "pm_card_visa", key="c")
    assert gateway.charge_count() == 2


# --- the hosted page's checks ---------------------------------------------------------------


@pytest.mark.parametrize("fields, wrong", [
    ({"number": "4242424242424241"}, "number"),
    ({"number": "4242"}, "number"),
    ({"number": "3530111333300000"}, "number"),  # JCB: not a brand the exchange takes
    ({"month": 10, "year": 2026}, "expiry"),  # the clock is in November 2026
    ({"month": 13}, "expiry"),
    ({"month": "soon"}, "expiry"),
    ({"cvc": "12"}, "cvc"),
    ({"cvc": "12a"}, "cvc"),
    ({"number": "378282246310005", "cvc": "123"}, "cvc"),  # Amex has 4 digits
    ({"postal": "0210"}, "postal_code"),
])
def test_card_details_are_checked_field_by_field(gateway, fields, wrong):
    args = {"number": "4242424242424242", "month": 12, "year": 2030, "cvc": "123",
            "postal": "02108"} | fields
    with pytest.raises(MethodDetailsInvalid) as caught:
        tokenize(gateway, args.pop("number"), **args)
    assert list(caught.value.field_errors) == [wrong]
    assert caught.value.field_errors[wrong] in str(caught.value)


def test_every_wrong_card_field_is_named_at_once(gateway):
    with pytest.raises(MethodDetailsInvalid) as caught:
        gateway.tokenize_card("1234", 1, 2020, "", "", today=dt.date(2026, 11, 17))
    assert set(caught.value.field_errors) == {"number", "expiry", "cvc", "postal_code"}


def test_valid_card_variants_are_accepted(gateway):
    assert gateway.tokenize_card("3782-822463-10005", "11", "26", "1234", "02108-1234").brand \
        == "Amex"
    assert tokenize(gateway, "6011111111111117").brand == "Discover"
    assert tokenize(gateway, "2223003122003222").brand == "Mastercard"
    current_month = tokenize(gateway, "4242424242424242", month=11, year=2026)
    assert (current_month.exp_month, current_month.exp_year) == (11, 2026)


@pytest.mark.parametrize("fields, wrong", [
    ({"routing": "110000001"}, "routing_number"),  # fails the 3-7-1 checksum
    ({"routing": "11000000"}, "routing_number"),
    ({"account": "123"}, "account_number"),
    ({"account": "1" * 18}, "account_number"),
    ({"holder": "  "}, "holder_name"),
    ({"kind": "brokerage"}, "account_type"),
])
def test_bank_details_are_checked_field_by_field(gateway, fields, wrong):
    args = {"routing": "110000000", "account": "000123456789", "holder": "Pat Doe",
            "kind": "checking"} | fields
    with pytest.raises(MethodDetailsInvalid) as caught:
        gateway.tokenize_bank_account(args["routing"], args["account"], args["holder"],
                                      args["kind"])
    assert list(caught.value.field_errors) == [wrong]


def test_any_other_valid_bank_account_succeeds_and_savings_is_labelled(gateway, clock):
    saved = gateway.tokenize_bank_account("021000021", "000111111113", "Pat Doe", "Savings")
    assert (saved.brand, saved.last4) == ("Savings", "1113")
    charge(gateway, saved.token, key="ach")
    clock.advance(days=10)
    # A failing test account number only fails at the test routing number.
    assert gateway.retrieve(idempotency_key="ach", gateway_ref=None).status == "succeeded"


def test_no_card_or_account_number_is_ever_stored(gateway, sqlite_engine):
    numbers = ["4242424242424242", "4000000000009979", "378282246310005"]
    for position, number in enumerate(numbers):
        saved = gateway.tokenize_card(number, 12, 2030, "1234" if number[0] == "3" else "123",
                                      "02108")
        charge(gateway, saved.token, key=f"k{position}")
    account = "000222222227"
    charge(gateway, gateway.tokenize_bank_account("110000000", account, "Pat", "checking").token,
           key="ach")
    dump = _dump_all_tables(sqlite_engine)
    assert "4242" in dump  # the dump does hold what was saved ...
    for secret in [*numbers, account, "02108"]:
        assert secret not in dump  # ... but never a full number or the billing ZIP


def _dump_all_tables(engine) -> str:
    with engine.connect() as conn:
        return "\n".join(
            repr(row) for table in Base.metadata.sorted_tables
            for row in conn.execute(text(f"SELECT * FROM {table.name}"))
        )


@given(st.text(alphabet="0123456789", min_size=12, max_size=18), st.data())
def test_luhn_catches_every_single_digit_typo(payload, data):
    check = next(d for d in "0123456789" if luhn_valid(payload + d))
    number = payload + check
    position = data.draw(st.integers(0, len(number) - 1))
    typo = data.draw(st.sampled_from([d for d in "0123456789" if d != number[position]]))
    assert not luhn_valid(number[:position] + typo + number[position + 1:])


@given(st.text(alphabet="0123456789", min_size=8, max_size=8))
def test_exactly_one_check_digit_completes_a_routing_number(prefix):
    assert sum(aba_routing_valid(prefix + d) for d in "0123456789") == 1
