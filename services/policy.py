"""The exchange's billing policy, read from data/policy.yml."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_POLICY_FILE = Path(__file__).resolve().parent.parent / "data" / "policy.yml"
SUBSIDY_TYPES = ("tax_credit", "connectorcare", "unsubsidized")


@dataclass(frozen=True)
class GraceRule:
    months: int  # 0: no grace period, a pay-by date instead
    pay_by_days_after_due: int | None
    terminates_back_to: str
    notices: tuple[str, ...]

    def coverage_at_risk_on(self, first_unpaid_coverage_month: dt.date,
                            first_unpaid_due_date: dt.date) -> dt.date:
        """The last day to pay before coverage ends for the first unpaid month."""
        if self.months > 0:
            # The grace period runs for `months` months from the first unpaid coverage month.
            year, month = _add_months(first_unpaid_coverage_month, self.months - 1)
            return dt.date(year, month, calendar.monthrange(year, month)[1])
        return first_unpaid_due_date + dt.timedelta(days=self.pay_by_days_after_due or 0)


@dataclass(frozen=True)
class ExchangePolicy:
    name: str
    time_zone: str
    phone: str
    tty: str
    mail_address: str
    due_day: int
    bill_mailed_by_day: int
    bank_settlement_business_days: int
    enrollment_confirmation_business_days: int
    late_fees: bool
    payment_plans: bool
    grace: dict[str, GraceRule]
    reinstatement_days: int
    # When a member who asked for a person can expect an answer: the exchange's own setting.
    support_answer_within: str = "1 business day"

    def grace_for(self, subsidy_type: str) -> GraceRule:
        return self.grace[subsidy_type]

    def due_date_for(self, coverage_month: dt.date) -> dt.date:
        """Premiums are due on `due_day` of the month before the coverage month."""
        year, month = _add_months(coverage_month.replace(day=1), -1)
        return dt.date(year, month, min(self.due_day, calendar.monthrange(year, month)[1]))


def load_policy(path: Path | str | None = None) -> ExchangePolicy:
    raw = yaml.safe_load(Path(path or DEFAULT_POLICY_FILE).read_text())
    grace = {
        kind: GraceRule(
            months=int(rule["months"]),
            pay_by_days_after_due=rule.get("pay_by_days_after_due"),
            terminates_back_to=rule["terminates_back_to"],
            notices=tuple(rule["notices"]),
        )
        for kind, rule in raw["grace_periods"].items()
    }
    missing = set(SUBSIDY_TYPES) - set(grace)
    if missing:
        raise ValueError(f"policy file has no grace period for {sorted(missing)}")
    exchange, billing = raw["exchange"], raw["billing"]
    return ExchangePolicy(
        name=exchange["name"],
        time_zone=exchange["time_zone"],
        phone=exchange["phone"],
        tty=exchange["tty"],
        mail_address=exchange["mail_address"],
        due_day=int(billing["due_day"]),
        bill_mailed_by_day=int(billing["bill_mailed_by_day"]),
        bank_settlement_business_days=int(billing["bank_settlement_business_days"]),
        enrollment_confirmation_business_days=int(billing["enrollment_confirmation_business_days"]),
        late_fees=bool(billing["late_fees"]),
        payment_plans=bool(billing["payment_plans"]),
        grace=grace,
        reinstatement_days=int(raw["reinstatement"]["within_days_of_termination_notice"]),
        support_answer_within=str(raw.get("support", {}).get("answer_within", "1 business day")),
    )


def _add_months(day: dt.date, months: int) -> tuple[int, int]:
    index = day.year * 12 + (day.month - 1) + months
    return index // 12, index % 12 + 1
