"""The money conversations' own reading and wording: payload ids, typed methods and days, the
amount checks before the review, and the grace-period warning in its three forms."""

from __future__ import annotations

import datetime as dt

import pytest

from dialogs.actions.autopay_form import _days
from dialogs.actions.balance import grace_warning
from dialogs.actions.method_choice import _matching
from dialogs.actions.money_texts import as_id, day, long_day
from dialogs.actions.payment_form import _check_payable
from services.errors import InvalidAmount
from services.grace import GraceStatus
from services.persistence.models import PaymentMethod
from services.policy import load_policy


@pytest.mark.parametrize(("value", "expected"), [
    ("12", 12), (12, 12), ("0", None), (0, None), (-3, None), (True, None), ("1e3", None),
    ("12 ", None), ("new", None), (None, None), ("123456789012", None), ("²", None),
    (10**30, None),
])
def test_payload_ids_are_positive_whole_numbers_only(value, expected):
    assert as_id(value) == expected


def test_dates_read_the_way_members_say_them():
    assert day(dt.date(2026, 12, 23)) == "Wed, Dec 23"
    assert long_day(dt.date(2026, 12, 3)) == "December 3, 2026"


VISA = PaymentMethod(id=1, kind="card", brand="Visa", last4="4242", nickname=None)
WORK = PaymentMethod(id=2, kind="card", brand="Mastercard", last4="4444", nickname="Work card")
BANK = PaymentMethod(id=3, kind="bank_account", brand="Checking", last4="6789", nickname=None)


@pytest.mark.parametrize(("typed", "method_type", "expected"), [
    ("the visa", None, [VISA]),
    ("the one ending 6789", None, [BANK]),
    ("my work card please", None, [WORK]),
    ("from the bank", None, [BANK]),
    ("savings", "bank_account", [BANK]),
    ("a card", "card", [VISA, WORK]),
    ("whatever", None, []),
])
def test_a_typed_method_is_matched_by_last_four_brand_nickname_or_kind(typed, method_type,
                                                                      expected):
    assert _matching([VISA, WORK, BANK], typed, method_type) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (3, 3), (0, 0), ("3", 3), ("5 days", 5), ("a week", 7), ("20", 20),
    ("21", None), ("3 and 5", None), ("soon", None), (25, None),
])
def test_autopay_days_before_the_due_date(value, expected):
    assert _days(value) == expected


def test_amounts_below_the_minimum_or_over_the_balance_are_refused():
    with pytest.raises(InvalidAmount, match=r"smallest payment I can take is \$0.50"):
        _check_payable(49, 10_000, allow_overpayment=False)
    with pytest.raises(InvalidAmount, match=r"more than you owe \(\$100.00\)"):
        _check_payable(10_001, 10_000, allow_overpayment=False)
    _check_payable(10_001, 10_000, allow_overpayment=True)
    _check_payable(10_000, 10_000, allow_overpayment=False)


def grace(**changes) -> GraceStatus:
    values = dict(subsidy_type="connectorcare", first_unpaid_month=dt.date(2026, 10, 1),
                  past_due_since=dt.date(2026, 9, 24), past_due_cents=26_600, grace_months=3,
                  month_of_grace=2, coverage_at_risk_on=dt.date(2026, 12, 31),
                  notices_due=("past_due", "termination_warning"), deadline_passed=False)
    return GraceStatus(**(values | changes))


def test_the_grace_warning_names_the_month_and_the_date_coverage_is_at_risk():
    text = grace_warning(grace(), load_policy())

    assert ("Your October 2026 premium, $266.00, is past due: month 2 of your 3-month grace "
            "period") in text
    assert "Coverage at risk on December 31, 2026" in text


@pytest.mark.parametrize(("months", "named"), [
    ((dt.date(2026, 10, 1), dt.date(2026, 11, 1)),
     "Your October and November 2026 premiums, $266.00, are past due"),
    ((dt.date(2026, 12, 1), dt.date(2027, 1, 1)),
     "Your December 2026 and January 2027 premiums, $266.00, are past due"),
])
def test_arrears_of_several_months_are_named_by_all_their_months(months, named):
    assert named in grace_warning(grace(unpaid_months=months), load_policy())


def test_without_a_grace_period_the_warning_gives_a_pay_by_date():
    text = grace_warning(grace(subsidy_type="unsubsidized", grace_months=0, month_of_grace=0,
                               coverage_at_risk_on=dt.date(2026, 11, 22)), load_policy())

    assert "Please pay by November 22, 2026 to keep your coverage" in text
    assert "grace period" not in text


def test_after_the_deadline_the_warning_gives_the_phone_number():
    policy = load_policy()

    text = grace_warning(grace(deadline_passed=True), policy)

    assert "the last day to pay, December 31, 2026, has passed" in text
    assert policy.phone in text
