"""Autopay: enrolling and managing a mandate, when it charges, and charging exactly once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from services import autopay, autopay_charges, payments
from services.billing import account_summary, issue_invoices
from services.errors import InvalidAmount, InvalidInput, MethodUnusable, NotAllowed, NotFound
from services.persistence.models import AuditEvent, AutopayCharge, AutopayMandate, Payment
from tests.concurrency import run_together
from tests.factories import make_paying_member

PREMIUM = 41_250
VISA, BANK = "pm_card_visa", "pm_bank_ok"
INSUFFICIENT = "pm_card_visa_chargeDeclinedInsufficientFunds"
LOST = "pm_card_visa_chargeDeclinedLostCard"
THREE_DS = "pm_card_authenticationRequired"
METHODS = (VISA, BANK, INSUFFICIENT, LOST, THREE_DS)


@pytest.fixture
def member(svc):
    """Covered from December: its first bill is due November 23rd."""
    member = make_paying_member(svc, coverage_start=dt.date(2026, 12, 1), methods=METHODS)
    issue_invoices(svc, through=svc.today())
    return member


def on(clock, month: int, day: int, year: int = 2026):
    clock.set(dt.datetime(year, month, day, 15, tzinfo=dt.UTC))
    return dt.date(year, month, day)


def enroll(svc, member, token=VISA, **terms):
    terms = {"amount_rule": "full_balance", "fixed_amount_cents": None, "frequency": "monthly",
             "days_before_due": 3, **terms}
    return autopay.enroll(svc, member.account_id, method_id=member.method_ids[token], **terms)


def charges(svc):
    with svc.uow() as uow:
        return [(c.billing_period, c.status, c.attempts, c.next_attempt_on)
                for c in uow.session.scalars(select(AutopayCharge).order_by(AutopayCharge.id))]


def audit_kinds(svc):
    with svc.uow() as uow:
        return list(uow.session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id)))


# --- managing the mandate -------------------------------------------------------------------


def test_enroll_makes_an_active_mandate(svc, member):
    mandate = enroll(svc, member, frequency="quarterly", days_before_due=5)
    assert (mandate.status, mandate.frequency, mandate.days_before_due) == ("active",
                                                                            "quarterly", 5)
    assert mandate.method.last4 == "4242"
    assert autopay.get_mandate(svc, member.account_id).id == mandate.id
    assert audit_kinds(svc) == ["autopay_enrolled"]


def test_one_mandate_in_force_per_account(svc, member):
    enroll(svc, member)
    with pytest.raises(NotAllowed, match="already have autopay"):
        enroll(svc, member)
    autopay.pause(svc, member.account_id)
    with pytest.raises(NotAllowed, match="already have autopay"):
        enroll(svc, member)
    autopay.cancel(svc, member.account_id)
    assert enroll(svc, member).status == "active"


def test_the_database_holds_one_mandate_in_force_per_account(svc, member):
    def add(status):
        with svc.uow() as uow:
            uow.session.add(AutopayMandate(
                account_id=member.account_id, method_id=member.method_ids[VISA],
                amount_rule="full_balance", frequency="monthly", days_before_due=3,
                status=status, created_at=svc.now(), updated_at=svc.now()))
            uow.commit()

    add("cancelled")
    add("cancelled")
    add("active")
    with pytest.raises(IntegrityError):
        add("paused")


@pytest.mark.parametrize("terms, error", [
    ({"amount_rule": "half"}, InvalidInput),
    ({"amount_rule": "fixed"}, InvalidAmount),
    ({"amount_rule": "fixed", "fixed_amount_cents": 0}, InvalidAmount),
    ({"amount_rule": "fixed", "fixed_amount_cents": 1_000_001}, InvalidAmount),
    ({"frequency": "weekly"}, InvalidInput),
    ({"days_before_due": 21}, InvalidInput),
    ({"days_before_due": -1}, InvalidInput),
    ({"days_before_due": 2.5}, InvalidInput),
])
def test_enroll_validates_its_terms(svc, member, terms, error):
    with pytest.raises(error):
        enroll(svc, member, **terms)
    assert autopay.get_mandate(svc, member.account_id) is None


def test_enroll_needs_the_members_own_usable_method(svc, member):
    other = make_paying_member(svc)
    with pytest.raises(NotFound):
        autopay.enroll(svc, member.account_id, method_id=other.method_ids[VISA],
                       amount_rule="full_balance", fixed_amount_cents=None,
                       frequency="monthly", days_before_due=3)
    expired = make_paying_member(svc, card_expiry=(10, 2026))
    with pytest.raises(MethodUnusable):
        enroll(svc, expired)


def test_change_some_terms(svc, member):
    enroll(svc, member)
    with pytest.raises(InvalidAmount):
        autopay.change(svc, member.account_id, amount_rule="fixed")
    mandate = autopay.change(svc, member.account_id, amount_rule="fixed",
                             fixed_amount_cents=20_000, days_before_due=7)
    assert (mandate.amount_rule, mandate.fixed_amount_cents, mandate.days_before_due,
            mandate.frequency) == ("fixed", 20_000, 7, "monthly")
    mandate = autopay.change(svc, member.account_id, method_id=member.method_ids[BANK])
    assert (mandate.fixed_amount_cents, mandate.method.kind) == (20_000, "bank_account")
    mandate = autopay.change(svc, member.account_id, amount_rule="full_balance")
    assert mandate.fixed_amount_cents is None
    with svc.uow() as uow:
        changed = [e.detail for e in uow.session.scalars(
            select(AuditEvent).where(AuditEvent.kind == "autopay_changed"))]
    assert changed[0] == {"mandate_id": mandate.id, "amount_rule": "fixed",
                          "fixed_amount_cents": 20_000, "days_before_due": 7}


def test_pause_resume_cancel(svc, member):
    enroll(svc, member)
    assert autopay.pause(svc, member.account_id).status == "paused"
    with pytest.raises(NotAllowed, match="already paused"):
        autopay.pause(svc, member.account_id)
    assert autopay.resume(svc, member.account_id).status == "active"
    with pytest.raises(NotAllowed, match="already on"):
        autopay.resume(svc, member.account_id)
    assert autopay.cancel(svc, member.account_id).status == "cancelled"
    assert autopay.get_mandate(svc, member.account_id) is None
    for action in (autopay.pause, autopay.resume, autopay.cancel):
        with pytest.raises(NotFound):
            action(svc, member.account_id)
    assert audit_kinds(svc) == ["autopay_enrolled", "autopay_paused", "autopay_active",
                                "autopay_cancelled"]


def test_only_the_owner_manages_a_mandate(svc, member):
    enroll(svc, member)
    other = make_paying_member(svc)
    with pytest.raises(NotFound):
        autopay.cancel(svc, other.account_id)
    assert autopay.get_mandate(svc, member.account_id).status == "active"


def test_resume_refuses_a_card_that_expired_during_the_pause(svc, clock):
    member = make_paying_member(svc, card_expiry=(12, 2026))
    enroll(svc, member)
    autopay.pause(svc, member.account_id)
    on(clock, 1, 5, 2027)
    with pytest.raises(MethodUnusable):
        autopay.resume(svc, member.account_id)


# --- when it charges ------------------------------------------------------------------------


@pytest.mark.parametrize("today, days_before, expected", [
    ((11, 17), 3, dt.date(2026, 11, 20)),
    ((11, 17), 0, dt.date(2026, 11, 23)),
    ((11, 21), 3, dt.date(2026, 11, 21)),  # inside the window: charged at the next run
    ((11, 24), 3, dt.date(2026, 12, 20)),
])
def test_next_charge_date_monthly(svc, member, clock, today, days_before, expected):
    mandate = enroll(svc, member, days_before_due=days_before)
    on(clock, *today)
    assert autopay.next_charge_date(svc, mandate) == expected


def test_next_charge_date_moves_on_once_a_period_is_charged(svc, member, clock):
    mandate = enroll(svc, member)
    autopay.charge_autopay_due(svc, on(clock, 11, 20))
    assert autopay.next_charge_date(svc, mandate) == dt.date(2026, 12, 20)


def test_next_charge_date_quarterly(svc, member, clock):
    mandate = enroll(svc, member, frequency="quarterly")
    assert autopay.next_charge_date(svc, mandate) == dt.date(2026, 12, 20)  # for January
    autopay.charge_autopay_due(svc, on(clock, 12, 20))
    assert autopay.next_charge_date(svc, mandate) == dt.date(2027, 3, 20)  # for April


def test_no_next_charge_while_paused(svc, member):
    enroll(svc, member)
    assert autopay.next_charge_date(svc, autopay.pause(svc, member.account_id)) is None


def test_card_expiring_before_the_next_charge(svc):
    member = make_paying_member(svc, card_expiry=(11, 2026))
    monthly = enroll(svc, member)  # charges November 20th: the card still works
    assert not autopay.card_expires_before_next_charge(svc, monthly)
    quarterly = autopay.change(svc, member.account_id, frequency="quarterly")  # December 20th
    assert autopay.card_expires_before_next_charge(svc, quarterly)


# --- charging -------------------------------------------------------------------------------


def test_charges_the_full_balance_once_per_period(svc, member, gateway, clock):
    enroll(svc, member)
    assert autopay.charge_autopay_due(svc, on(clock, 11, 19)) == []  # window opens on the 20th
    [result] = autopay.charge_autopay_due(svc, on(clock, 11, 20))
    assert (result.account_id, result.billing_period, result.status, result.amount_cents) == (
        member.account_id, dt.date(2026, 12, 1), "succeeded", PREMIUM)
    assert autopay.charge_autopay_due(svc, dt.date(2026, 11, 20)) == []
    assert autopay.charge_autopay_due(svc, on(clock, 11, 21)) == []
    assert gateway.charge_count == 1
    request = gateway.requests[0]
    assert request.off_session
    assert request.idempotency_key == f"hp-autopay-{result.mandate_id}-2026-12-1"
    assert account_summary(svc, member.account_id).total_due_cents == 0
    with svc.uow() as uow:
        payment = uow.session.scalar(select(Payment))
        assert (payment.source, payment.reference) == ("autopay", result.reference)


def test_full_balance_includes_earlier_unpaid_bills(svc, clock, gateway):
    member = make_paying_member(svc, coverage_start=dt.date(2026, 11, 1))
    issue_invoices(svc, through=svc.today())
    enroll(svc, member)
    [result] = autopay.charge_autopay_due(svc, on(clock, 11, 20))
    assert result.amount_cents == 2 * PREMIUM


def test_a_missed_window_is_not_charged_late(svc, member, gateway, clock):
    enroll(svc, member)
    assert autopay.charge_autopay_due(svc, on(clock, 11, 24)) == []
    assert gateway.requests == []


def test_nothing_owed_is_skipped(svc, member, gateway, clock):
    enroll(svc, member)
    payment = payments.create_draft(svc, member.account_id, amount_cents=PREMIUM,
                                    method_id=member.method_ids[VISA])
    payments.confirm_payment(svc, member.account_id, payment.id)
    [result] = autopay.charge_autopay_due(svc, on(clock, 11, 20))
    assert (result.status, result.amount_cents, result.reference) == ("skipped", 0, None)
    assert charges(svc) == [(dt.date(2026, 12, 1), "skipped", 1, None)]
    assert autopay.charge_autopay_due(svc, dt.date(2026, 11, 21)) == []
    assert gateway.charge_count == 1


@pytest.mark.parametrize("fixed, charged", [(10_000, 10_000), (1_000_000, PREMIUM)])
def test_a_fixed_amount_is_capped_at_what_is_owed(svc, member, clock, fixed, charged):
    enroll(svc, member, amount_rule="fixed", fixed_amount_cents=fixed)
    [result] = autopay.charge_autopay_due(svc, on(clock, 11, 20))
    assert result.amount_cents == charged


def test_a_pause_with_an_end_date_resumes_by_itself_and_charges_again(svc, member, gateway,
                                                                       clock):
    enroll(svc, member)
    until = dt.date(2026, 12, 17)
    paused = autopay.pause(svc, member.account_id, until=until)
    assert (paused.status, paused.resume_on) == ("paused", until)

    assert autopay.charge_autopay_due(svc, on(clock, 11, 20)) == []
    assert autopay.get_mandate(svc, member.account_id).status == "paused"
    assert autopay.charge_autopay_due(svc, on(clock, 12, 16)) == []
    assert autopay_charges.resume_due_pauses(svc, on(clock, 12, 16)) == []

    charged = autopay.charge_autopay_due(svc, on(clock, 12, 20))

    mandate = autopay.get_mandate(svc, member.account_id)
    assert (mandate.status, mandate.resume_on) == ("active", None)
    assert [result.status for result in charged] == ["succeeded"]
    assert ["autopay_paused", "autopay_active"] == [
        kind for kind in audit_kinds(svc) if kind in ("autopay_paused", "autopay_active")]


def test_a_pause_has_to_end_after_today(svc, member):
    enroll(svc, member)
    with pytest.raises(NotAllowed, match="after today"):
        autopay.pause(svc, member.account_id, until=svc.today())
    assert autopay.get_mandate(svc, member.account_id).status == "active"


def test_a_manual_resume_forgets_the_end_date(svc, member):
    enroll(svc, member)
    autopay.pause(svc, member.account_id, until=dt.date(2027, 1, 17))

    assert autopay.resume(svc, member.account_id).resume_on is None


def test_paused_and_cancelled_mandates_are_not_charged(svc, member, gateway, clock):
    enroll(svc, member)
    autopay.pause(svc, member.account_id)
    assert autopay.charge_autopay_due(svc, on(clock, 11, 20)) == []
    autopay.cancel(svc, member.account_id)
    assert autopay.charge_autopay_due(svc, on(clock, 11, 21)) == []
    assert gateway.requests == []


def test_quarterly_charges_three_months_and_the_rest_pays_later_bills(svc, member, clock):
    enroll(svc, member, frequency="quarterly")
    on(clock, 12, 20)
    issue_invoices(svc, through=svc.today())  # January's bill; December's is still unpaid
    [result] = autopay.charge_autopay_due(svc, svc.today())
    # December (past due) and the quarter: January billed, February and March not yet.
    assert (result.billing_period, result.amount_cents) == (dt.date(2027, 1, 1), 4 * PREMIUM)
    summary = account_summary(svc, member.account_id)
    assert (summary.total_due_cents, summary.credit_cents) == (0, 2 * PREMIUM)
    on(clock, 2, 1, 2027)
    issue_invoices(svc, through=svc.today())  # February's and March's bills
    summary = account_summary(svc, member.account_id)
    assert (summary.total_due_cents, summary.credit_cents) == (0, 0)


def test_a_card_expired_by_the_charge_day_is_not_charged(svc, gateway, clock):
    member = make_paying_member(svc, coverage_start=dt.date(2026, 12, 1), card_expiry=(11, 2026))
    issue_invoices(svc, through=svc.today())
    enroll(svc, member, frequency="quarterly")
    [result] = autopay.charge_autopay_due(svc, on(clock, 12, 20))
    assert result.status == "method_unusable" and gateway.requests == []
    assert charges(svc) == [(dt.date(2027, 1, 1), "failed", 1, None)]


# --- declines and retries -------------------------------------------------------------------


def test_a_soft_decline_is_tried_again_after_2_and_then_4_days(svc, member, gateway, clock):
    mandate = enroll(svc, member, INSUFFICIENT, days_before_due=10)  # window opens Nov 13th
    [first] = autopay.charge_autopay_due(svc, on(clock, 11, 13))
    assert (first.status, first.decline_code, first.next_attempt_on) == (
        "declined", "insufficient_funds", dt.date(2026, 11, 15))
    assert autopay.next_charge_date(svc, mandate) == dt.date(2026, 11, 15)
    assert autopay.charge_autopay_due(svc, on(clock, 11, 14)) == []
    [second] = autopay.charge_autopay_due(svc, on(clock, 11, 15))
    assert second.next_attempt_on == dt.date(2026, 11, 19)
    assert second.reference != first.reference
    [third] = autopay.charge_autopay_due(svc, on(clock, 11, 19))
    assert third.status == "declined" and third.next_attempt_on is None
    assert autopay.charge_autopay_due(svc, on(clock, 11, 21)) == []
    assert [r.idempotency_key for r in gateway.requests] == [
        f"hp-autopay-{mandate.id}-2026-12-{n}" for n in (1, 2, 3)]
    assert charges(svc) == [(dt.date(2026, 12, 1), "declined", 3, None)]


def test_a_retry_uses_the_method_autopay_has_now(svc, member, clock):
    enroll(svc, member, INSUFFICIENT, days_before_due=10)
    autopay.charge_autopay_due(svc, on(clock, 11, 13))
    autopay.change(svc, member.account_id, method_id=member.method_ids[VISA])
    [retry] = autopay.charge_autopay_due(svc, on(clock, 11, 15))
    assert retry.status == "succeeded"
    assert charges(svc) == [(dt.date(2026, 12, 1), "charged", 2, None)]


def test_no_retry_after_the_due_date(svc, member, clock):
    enroll(svc, member, INSUFFICIENT, days_before_due=3)
    [first] = autopay.charge_autopay_due(svc, on(clock, 11, 20))
    assert first.next_attempt_on == dt.date(2026, 11, 22)
    [second] = autopay.charge_autopay_due(svc, on(clock, 11, 22))
    assert second.next_attempt_on is None  # the 26th would be after the 23rd


def test_a_retry_a_pause_pushed_past_the_due_date_is_dropped(svc, member, gateway, clock):
    enroll(svc, member, INSUFFICIENT, days_before_due=10)
    autopay.charge_autopay_due(svc, on(clock, 11, 13))  # to be tried again on the 15th
    autopay.pause(svc, member.account_id)
    assert autopay.charge_autopay_due(svc, on(clock, 11, 15)) == []
    on(clock, 11, 24)
    autopay.resume(svc, member.account_id)
    assert autopay.charge_autopay_due(svc, svc.today()) == []
    assert gateway.charge_count == 1


@pytest.mark.parametrize("token, code", [(LOST, "lost_card"),
                                         (THREE_DS, "authentication_required")])
def test_hard_declines_are_never_tried_again(svc, member, gateway, clock, token, code):
    enroll(svc, member, token, days_before_due=10)
    [result] = autopay.charge_autopay_due(svc, on(clock, 11, 13))
    assert (result.status, result.decline_code, result.next_attempt_on) == ("declined", code,
                                                                            None)
    for day in (15, 17, 19, 21, 23):
        assert autopay.charge_autopay_due(svc, on(clock, 11, day)) == []
    assert gateway.charge_count == 1


# --- the gateway or the worker failing ------------------------------------------------------


def test_a_timeout_is_reported_pending_then_settled(svc, member, gateway, clock):
    enroll(svc, member)
    gateway.fail_next(1, charge_then_fail=True)
    [result] = autopay.charge_autopay_due(svc, on(clock, 11, 20))
    assert result.status == "pending"
    assert charges(svc)[0][1] == "pending"
    clock.advance(minutes=5)
    for payment_id in payments.pending_payments(svc):
        payments.reconcile_payment(svc, payment_id)
    [settled] = autopay.charge_autopay_due(svc, svc.today())
    assert (settled.status, settled.reference) == ("succeeded", result.reference)
    assert charges(svc)[0][1] == "charged"
    assert autopay.charge_autopay_due(svc, svc.today()) == []
    assert gateway.charge_count == 1


def test_a_worker_that_dies_mid_charge_is_finished_later_under_the_same_key(
        svc, member, gateway, clock, monkeypatch):
    enroll(svc, member)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr(autopay_charges, "charge_claimed", crash)
        with pytest.raises(KeyboardInterrupt):
            autopay.charge_autopay_due(svc, on(clock, 11, 20))
    assert charges(svc)[0][1] == "claimed" and gateway.requests == []
    assert autopay.charge_autopay_due(svc, svc.today()) == []  # not abandoned yet
    clock.advance(minutes=16)
    [result] = autopay.charge_autopay_due(svc, svc.today())
    assert result.status == "succeeded"
    assert autopay.charge_autopay_due(svc, svc.today()) == []
    assert gateway.charge_count == 1 and charges(svc)[0][1:3] == ("charged", 1)


def test_two_workers_at_once_charge_each_mandate_once(svc, gateway, clock):
    members = [make_paying_member(svc, coverage_start=dt.date(2026, 12, 1)) for _ in range(4)]
    issue_invoices(svc, through=svc.today())
    for member in members:
        enroll(svc, member)
    today = on(clock, 11, 20)
    first, second = run_together(lambda: autopay.charge_autopay_due(svc, today),
                                 lambda: autopay.charge_autopay_due(svc, today))
    assert not isinstance(first, Exception) and not isinstance(second, Exception)
    assert sorted(r.account_id for r in first + second) == sorted(m.account_id for m in members)
    assert gateway.charge_count == 4 and len(gateway.requests) == 4


# --- pause and cancel against a charge run (issue 16) ---------------------------------------


def test_a_pause_after_the_period_was_claimed_stops_the_charge_and_a_resume_pays_it(
        svc, member, gateway, clock):
    mandate = enroll(svc, member)
    today = on(clock, 11, 20)
    charge_id = autopay_charges._claim_period(svc, mandate.id, today)
    autopay.pause(svc, member.account_id)  # the member pauses while the run is under way
    assert autopay_charges._attempt(svc, charge_id, today) is None
    assert gateway.charge_count == 0 and charges(svc) == []  # the claim was given back
    autopay.resume(svc, member.account_id)
    [result] = autopay.charge_autopay_due(svc, today)
    assert (result.status, result.amount_cents, gateway.charge_count) == ("succeeded",
                                                                         PREMIUM, 1)


def test_a_cancel_after_the_period_was_claimed_charges_nothing(svc, member, gateway, clock):
    mandate = enroll(svc, member)
    today = on(clock, 11, 20)
    charge_id = autopay_charges._claim_period(svc, mandate.id, today)
    autopay.cancel(svc, member.account_id)
    assert autopay_charges._attempt(svc, charge_id, today) is None
    assert autopay.charge_autopay_due(svc, today) == []
    assert gateway.charge_count == 0 and charges(svc) == []


def test_cancel_waits_while_autopay_s_payment_is_with_the_gateway(svc, member, gateway, clock):
    enroll(svc, member)
    gateway.fail_next()  # the charge times out: the payment stays pending
    [result] = autopay.charge_autopay_due(svc, on(clock, 11, 20))
    assert result.status == "pending"
    for stop in (autopay.cancel, autopay.pause):
        with pytest.raises(NotAllowed, match="paying your bill right now"):
            stop(svc, member.account_id)
    assert autopay.get_mandate(svc, member.account_id).status == "active"
    with svc.uow() as uow:
        payment_id = uow.session.scalar(select(Payment.id).where(Payment.source == "autopay"))
    assert payments.reconcile_payment(svc, payment_id).status == "succeeded"
    assert autopay.cancel(svc, member.account_id).status == "cancelled"
    assert gateway.charge_count == 1


def test_autopay_pays_nothing_when_the_member_paid_while_its_period_was_claimed(
        svc, member, gateway, clock):
    mandate = enroll(svc, member)
    today = on(clock, 11, 20)
    charge_id = autopay_charges._claim_period(svc, mandate.id, today)
    draft = payments.create_draft(svc, member.account_id, amount_cents=PREMIUM,
                                  method_id=member.method_ids[VISA])
    assert payments.confirm_payment(svc, member.account_id, draft.id).status == "succeeded"
    result = autopay_charges._attempt(svc, charge_id, today)
    assert (result.status, gateway.charge_count) == ("skipped", 1)
