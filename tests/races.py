"""Two money moves racing on one member's full balance, for the race tests
(tests/integration/test_money_races.py): run by two threads, or by two processes
(tests/race_worker.py) on PostgreSQL.

Each trial is a member of its own owing one bill. The scenarios, as the security review ran them:
- member_vs_member: two chats of the member each confirm a draft of the full balance;
- member_vs_autopay: the member confirms a full-balance draft while autopay charges the bill;
- cancel_vs_charge: the member cancels autopay while autopay charges the bill;
- invoice_vs_yes: Telegram's card form is opened (and paid) on a draft while "yes" is typed
  for the same draft;
- invoice_vs_other_chat: the same, with the "yes" for another chat's draft of the full balance.

Charges are counted where the money is: the sandbox gateway's own ledger, and the payments the
card form took (the form charges outside our gateway). Each move's outcome and the moment it
ended are kept, so "told cancelled, then charged" can be checked too.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass

from sqlalchemy import select

from services import autopay, payments
from services.autopay_charges import _attempt, _claim_period
from services.billing import issue_invoices
from services.errors import DomainError
from services.external_payments import check_external_payment, record_external_payment
from services.ledger import due_cents, outstanding
from services.persistence.models import Account, Payment, SandboxCharge
from tests.factories import make_paying_member

TODAY = dt.date(2026, 11, 20)  # autopay 3 days before the bill due Mon, Nov 23
NOW = dt.datetime.combine(TODAY, dt.time(11), tzinfo=dt.UTC)
SCENARIOS = {
    "member_vs_member": ("confirm", "confirm"),
    "member_vs_autopay": ("confirm", "autopay"),
    "cancel_vs_charge": ("cancel", "autopay"),
    "invoice_vs_yes": ("card_form", "confirm"),
    "invoice_vs_other_chat": ("card_form", "confirm"),
}


@dataclass(frozen=True)
class Trial:
    account_id: int
    drafts: tuple[int, int]  # one draft of the full balance per side
    amount_cents: int
    mandate_id: int | None  # when autopay takes part


@dataclass(frozen=True)
class Move:
    trial: int
    outcome: str  # "ok", or the refusal's class name
    ended_at: float  # time.time() when the move came back to its caller


def prepare(svc, scenario: str, trials: int) -> list[Trial]:
    """`trials` members, each owing the December bill, with what both sides of the scenario
    need: two drafts of the full balance and, when autopay takes part, a mandate."""
    members = [make_paying_member(svc, coverage_start=dt.date(2026, 12, 1))
               for _ in range(trials)]
    issue_invoices(svc, through=TODAY)
    prepared = []
    for member in members:
        visa = member.method_ids["pm_card_visa"]
        mandate_id = None
        if "autopay" in SCENARIOS[scenario]:
            mandate_id = autopay.enroll(
                svc, member.account_id, method_id=visa, amount_rule="full_balance",
                fixed_amount_cents=None, frequency="monthly", days_before_due=3).id
        owed = _owed(svc, member.account_id)
        drafts = tuple(payments.create_draft(svc, member.account_id, amount_cents=owed,
                                             method_id=visa).id for _ in range(2))
        prepared.append(Trial(member.account_id, drafts, owed, mandate_id))
    return prepared


def move(svc, scenario: str, side: int, trial: Trial) -> Callable[[], str]:
    """The call one side makes in a trial; it returns "ok" or raises the refusal."""
    kind = SCENARIOS[scenario][side]
    # The card form and the typed "yes" are on the same review, so the same draft; two chats
    # have a draft each.
    draft = trial.drafts[0 if scenario == "invoice_vs_yes" else side]

    def confirm() -> None:
        payments.confirm_payment(svc, trial.account_id, draft)

    def charge_autopay() -> None:
        if charge_id := _claim_period(svc, trial.mandate_id, TODAY):
            _attempt(svc, charge_id, TODAY)

    def cancel() -> None:
        autopay.cancel(svc, trial.account_id)

    def card_form() -> None:  # opened, Telegram's pre-checkout asks, then the form charges
        check_external_payment(svc, trial.account_id, draft)
        check_external_payment(svc, trial.account_id, draft, amount_cents=trial.amount_cents)
        record_external_payment(svc, trial.account_id, draft,
                                gateway_ref=f"tg_charge_{trial.account_id}",
                                amount_cents=trial.amount_cents)

    return {"confirm": confirm, "autopay": charge_autopay, "cancel": cancel,
            "card_form": card_form}[kind]


def run_move(svc, scenario: str, side: int, number: int, trial: Trial) -> Move:
    try:
        move(svc, scenario, side, trial)()
        outcome = "ok"
    except DomainError as refusal:
        outcome = type(refusal).__name__
    return Move(number, outcome, time.time())


class TimedGateway:
    """The gateway, noting when each charge came back and for which account."""

    def __init__(self, gateway, note: Callable[[int, float], None]):
        self._gateway = gateway
        self._note = note
        self.name = gateway.name

    def charge(self, request):
        result = self._gateway.charge(request)
        self._note(int(request.metadata["account_id"]), time.time())
        return result

    def __getattr__(self, name):
        return getattr(self._gateway, name)


def charges_per_account(svc) -> Counter[int]:
    """Money taken per account: the sandbox's ledger, and what the card form took."""
    with svc.uow() as uow:
        session = uow.session
        sandbox = session.scalars(
            select(Payment.account_id)
            .join(SandboxCharge, SandboxCharge.idempotency_key == Payment.idempotency_key)
            .where(SandboxCharge.status.in_(("succeeded", "processing"))))
        form = session.scalars(select(Payment.account_id).where(
            Payment.source == "telegram", Payment.status == "succeeded"))
        return Counter([*sandbox, *form])


def succeeded_per_account(svc) -> Counter[int]:
    with svc.uow() as uow:
        return Counter(uow.session.scalars(
            select(Payment.account_id).where(Payment.status == "succeeded")))


def charged_after_told_cancelled(trials: list[Trial], cancels: list[Move],
                                 charged: list[tuple[int, float]]) -> list[int]:
    """Accounts charged after the member was told autopay is cancelled."""
    told = {trials[m.trial].account_id: m.ended_at for m in cancels if m.outcome == "ok"}
    return sorted({account for account, at in charged if account in told
                   and at > told[account]})


def doubles(svc, trials: list[Trial]) -> dict[int, int]:
    """Accounts charged more than once (account id -> charges)."""
    counted = charges_per_account(svc)
    return {t.account_id: counted[t.account_id] for t in trials if counted[t.account_id] > 1}


def as_json(trial: Trial) -> dict:
    return asdict(trial)


def from_json(data: dict) -> Trial:
    return Trial(data["account_id"], tuple(data["drafts"]), data["amount_cents"],
                 data["mandate_id"])


def _owed(svc, account_id: int) -> int:
    with svc.uow() as uow:
        account = uow.session.get(Account, account_id)
        return due_cents(outstanding(uow.session, account_id=account.id,
                                     enrollment_id=account.enrollment_id))
