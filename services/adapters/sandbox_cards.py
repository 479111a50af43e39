"""What the sandbox gateway knows about methods: Stripe's test cards and bank accounts, and the
checks its hosted page makes on what a member types (Luhn, expiry, CVC, ABA routing checksum).

Every method behaves like one of Stripe's test payment methods, named by its Stripe token
(`pm_card_visa`, `pm_usBankAccount_accountClosed`, ...). A number that is not a test number
behaves like the test method that succeeds. Nothing here keeps a card or account number: the
result of a check is the behaviour, the brand and the last four digits.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from services.errors import InvalidInput

MethodKind = Literal["card", "bank_account"]


@dataclass(frozen=True)
class Behaviour:
    kind: MethodKind
    brand: str
    last4: str
    # Cards decline with it when charged; bank debits fail with it when they settle.
    decline_code: str | None = None
    authentication_required: bool = False  # 3-D Secure on every charge


TEST_BEHAVIOURS: dict[str, Behaviour] = {
    "pm_card_visa": Behaviour("card", "Visa", "4242"),
    "pm_card_visa_chargeDeclined": Behaviour("card", "Visa", "0002", "generic_decline"),
    "pm_card_visa_chargeDeclinedInsufficientFunds":
        Behaviour("card", "Visa", "9995", "insufficient_funds"),
    "pm_card_visa_chargeDeclinedLostCard": Behaviour("card", "Visa", "9987", "lost_card"),
    "pm_card_visa_chargeDeclinedStolenCard": Behaviour("card", "Visa", "9979", "stolen_card"),
    "pm_card_chargeDeclinedExpiredCard": Behaviour("card", "Visa", "0069", "expired_card"),
    "pm_card_chargeDeclinedIncorrectCvc": Behaviour("card", "Visa", "0127", "incorrect_cvc"),
    "pm_card_chargeDeclinedProcessingError":
        Behaviour("card", "Visa", "0119", "processing_error"),
    # Saving it works; every charge afterwards is declined.
    "pm_card_chargeCustomerFail": Behaviour("card", "Visa", "0341", "generic_decline"),
    "pm_card_authenticationRequired":
        Behaviour("card", "Visa", "3184", authentication_required=True),
    "pm_usBankAccount_success": Behaviour("bank_account", "Checking", "6789"),
    "pm_usBankAccount_accountClosed":
        Behaviour("bank_account", "Checking", "1113", "account_closed"),
    "pm_usBankAccount_noAccount": Behaviour("bank_account", "Checking", "1116", "no_account"),
    "pm_usBankAccount_insufficientFunds":
        Behaviour("bank_account", "Checking", "2227", "insufficient_funds"),
    "pm_usBankAccount_debitNotAuthorized":
        Behaviour("bank_account", "Checking", "3335", "debit_not_authorized"),
}

SUCCEEDING_CARD = "pm_card_visa"
SUCCEEDING_BANK_ACCOUNT = "pm_usBankAccount_success"

TEST_CARD_NUMBERS: dict[str, str] = {
    "4242424242424242": "pm_card_visa",
    "4000000000000002": "pm_card_visa_chargeDeclined",
    "4000000000009995": "pm_card_visa_chargeDeclinedInsufficientFunds",
    "4000000000009987": "pm_card_visa_chargeDeclinedLostCard",
    "4000000000009979": "pm_card_visa_chargeDeclinedStolenCard",
    "4000000000000069": "pm_card_chargeDeclinedExpiredCard",
    "4000000000000127": "pm_card_chargeDeclinedIncorrectCvc",
    "4000000000000119": "pm_card_chargeDeclinedProcessingError",
    "4000000000000341": "pm_card_chargeCustomerFail",
    "4000002760003184": "pm_card_authenticationRequired",
}

TEST_ROUTING_NUMBER = "110000000"
TEST_BANK_ACCOUNTS: dict[str, str] = {
    "000123456789": "pm_usBankAccount_success",
    "000111111113": "pm_usBankAccount_accountClosed",
    "000111111116": "pm_usBankAccount_noAccount",
    "000222222227": "pm_usBankAccount_insufficientFunds",
    "000333333335": "pm_usBankAccount_debitNotAuthorized",
}


class MethodDetailsInvalid(InvalidInput):
    """What the member typed on the hosted page is wrong; `field_errors` maps each wrong field
    to a message, so the page can show it next to the field.

    No `key`: these are the sandbox's own hosted page's field messages (the page is in English,
    as a card provider's page would be), never a refusal in the chat."""

    code = "method_details_invalid"

    def __init__(self, field_errors: dict[str, str]):
        super().__init__(" ".join(field_errors.values()))
        self.field_errors = field_errors


@dataclass(frozen=True)
class CheckedMethod:
    """A method that passed the page's checks: what the sandbox keeps about it."""

    behaviour: str  # a key of TEST_BEHAVIOURS
    kind: MethodKind
    brand: str
    last4: str
    exp_month: int | None = None
    exp_year: int | None = None


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def card_brand(digits: str) -> str | None:
    """The member-facing brand from the card's first digits (its BIN), or None if not taken."""
    if digits.startswith("4"):
        return "Visa"
    if digits[:2] in {"34", "37"}:
        return "Amex"
    if 51 <= int(digits[:2]) <= 55 or 2221 <= int(digits[:4]) <= 2720:
        return "Mastercard"
    if (digits.startswith(("6011", "65")) or 644 <= int(digits[:3]) <= 649
            or 622126 <= int(digits[:6]) <= 622925):
        return "Discover"
    return None


def aba_routing_valid(routing: str) -> bool:
    """The ABA checksum: digits weighted 3, 7, 1 repeating must sum to a multiple of 10."""
    if not re.fullmatch(r"\d{9}", routing):
        return False
    weights = (3, 7, 1) * 3
    return sum(int(d) * w for d, w in zip(routing, weights, strict=True)) % 10 == 0


def check_card(number: str, exp_month: int | str, exp_year: int | str, cvc: str,
               postal_code: str, *, today: dt.date) -> CheckedMethod:
    """Check a card as the hosted page does; raise MethodDetailsInvalid naming every wrong
    field (number, expiry, cvc, postal_code)."""
    errors: dict[str, str] = {}
    digits = re.sub(r"[\s-]", "", str(number or ""))
    brand = None
    if not (digits.isdigit() and 13 <= len(digits) <= 19 and luhn_valid(digits)):
        errors["number"] = "That card number isn't valid. Please check it."
    else:
        brand = card_brand(digits)
        if brand is None:
            errors["number"] = "We take Visa, Mastercard, American Express and Discover."
    month, year = _parse_expiry(exp_month, exp_year)
    if month is None or year is None:
        errors["expiry"] = "Please enter the expiry month and year shown on the card."
    elif (year, month) < (today.year, today.month):
        errors["expiry"] = "This card has expired. Please use a card that is still valid."
    cvc_digits = str(cvc or "").strip()
    cvc_length = 4 if brand == "Amex" else 3
    if not (cvc_digits.isdigit() and len(cvc_digits) == cvc_length):
        errors["cvc"] = f"The security code is the {cvc_length} digits on the card."
    if not re.fullmatch(r"\d{5}(-\d{4})?", str(postal_code or "").strip()):
        errors["postal_code"] = "Please enter the card's 5-digit billing ZIP code."
    if errors:
        raise MethodDetailsInvalid(errors)
    return CheckedMethod(
        behaviour=TEST_CARD_NUMBERS.get(digits, SUCCEEDING_CARD),
        kind="card", brand=brand or "", last4=digits[-4:], exp_month=month, exp_year=year,
    )


def check_bank_account(routing: str, account_number: str, holder_name: str,
                       account_type: str) -> CheckedMethod:
    """Check a US bank account as the hosted page does; raise MethodDetailsInvalid naming every
    wrong field (routing_number, account_number, holder_name, account_type)."""
    errors: dict[str, str] = {}
    routing = str(routing or "").strip()
    account = re.sub(r"[\s-]", "", str(account_number or ""))
    kind = str(account_type or "").strip().lower()
    if not aba_routing_valid(routing):
        errors["routing_number"] = "That routing number isn't valid. It is the 9 digits on a check."
    if not re.fullmatch(r"\d{4,17}", account):
        errors["account_number"] = "The account number is 4 to 17 digits."
    if not str(holder_name or "").strip():
        errors["holder_name"] = "Please enter the name on the account."
    if kind not in {"checking", "savings"}:
        errors["account_type"] = "Please choose checking or savings."
    if errors:
        raise MethodDetailsInvalid(errors)
    behaviour = SUCCEEDING_BANK_ACCOUNT
    if routing == TEST_ROUTING_NUMBER:
        behaviour = TEST_BANK_ACCOUNTS.get(account, SUCCEEDING_BANK_ACCOUNT)
    return CheckedMethod(behaviour=behaviour, kind="bank_account", brand=kind.capitalize(),
                         last4=account[-4:])


def _parse_expiry(month: int | str, year: int | str) -> tuple[int | None, int | None]:
    try:
        month_value, year_value = int(str(month).strip()), int(str(year).strip())
    except ValueError:
        return None, None
    if year_value < 100:  # "28" on the card means 2028
        year_value += 2000
    if not 1 <= month_value <= 12 or not 2000 <= year_value <= 2099:
        return None, None
    return month_value, year_value
