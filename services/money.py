"""Money: integer cents, parsed strictly from what members type, formatted the way they read it."""

import re

from services.errors import InvalidAmount

_ASCII_SPACE = " \t\n\r\f\v"  # what \s is under re.ASCII

# "$1,234.50", "1234.5", "120 dollars", "USD 80", "$ 12". Thousands separators must be
# well-formed (groups of three) so "1,23" is refused rather than guessed at.
# Every quantifier is possessive and every group atomic: the pattern never backtracks, so it
# runs in time linear in the text. (With plain quantifiers the neighbouring \s* runs could
# share the spaces of "75 spaces and an x" in every possible way: seconds, then hours.)
# Nothing is lost by it: whatever follows each part can never start with what the part
# gave up, so no match needed a shorter part.
_AMOUNT = re.compile(
    r"""\s*+
    (?:usd\s*+)?+\$?+\s*+
    (?P<sign>[-+])?+\s*+\$?+\s*+
    (?P<whole>(?>\d{1,3}(?:,\d{3})++|\d++))?+
    (?:\.(?P<frac>\d++))?+
    \s*+(?:dollars?+|bucks|usd)?+\s*+""",
    re.IGNORECASE | re.VERBOSE | re.ASCII,
)
# No amount is this long ("$10,000.00 dollars" is 17): longer text is refused before parsing.
MAX_AMOUNT_CHARS = 64


def parse_amount(text: str, *, max_cents: int | None = None) -> int:
    """Parse a member-typed amount into cents, or raise InvalidAmount with the reason."""
    if text is None or not str(text).strip():
        raise InvalidAmount("Please type an amount, like 120 or $120.50.", key="amount_missing")
    text = str(text).strip(_ASCII_SPACE)
    match = _AMOUNT.fullmatch(text) if len(text) <= MAX_AMOUNT_CHARS else None
    if not match or (match.group("whole") is None and match.group("frac") is None):
        raise InvalidAmount(
            "I couldn't read that as an amount. Please type it like 120 or $120.50.",
            key="amount_unreadable")
    if match.group("sign") == "-":
        raise InvalidAmount("The amount can't be negative.", key="amount_negative")
    frac = match.group("frac") or ""
    if len(frac) > 2:
        raise InvalidAmount("Amounts can have at most two decimals (cents).",
                            key="amount_decimals")
    whole = int((match.group("whole") or "0").replace(",", ""))
    cents = whole * 100 + int(frac.ljust(2, "0") or 0)
    return check_amount(cents, max_cents=max_cents)


def check_amount(cents: int, *, max_cents: int | None = None) -> int:
    if not isinstance(cents, int) or isinstance(cents, bool):
        raise InvalidAmount("The amount must be a whole number of cents.",
                            key="amount_not_whole_cents")
    if cents <= 0:
        raise InvalidAmount("The amount must be more than $0.00.", key="amount_zero")
    if max_cents is not None and cents > max_cents:
        raise InvalidAmount(f"The most you can pay at once is {format_cents(max_cents)}.",
                            key="amount_over_maximum", most_cents=max_cents)
    return cents


def format_cents(cents: int) -> str:
    """1234550 -> '$12,345.50'; negative amounts (credits) get a leading minus."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{frac:02d}"
