"""The ledger: what is still owed on which invoice, and how payments are applied to it.

Payments go to the oldest open invoices first: by coverage month, and health before dental
within a month (a payment for one plan only goes to that plan's invoices).

Payments in flight — `pending` (the gateway's answer is not known yet) and `processing` (a bank
debit settling) — are allocated only when they succeed. Until then balances are shown net of
them, as "pending", so a member does not see as unpaid what the bank is about to settle, and a
bank payment that fails simply leaves its invoices open.

Credit: the part of a succeeded payment that no open invoice needed stays unallocated. That
remainder is the member's credit; `apply_credit` spends it on invoices issued later.

Reversals: money taken back after success (a refund, a dispute) comes off the payment's credit
first, then off the invoices it paid, latest first, as negative allocations: the ledger shows
the reversal beside the payment, and each invoice is open again from its own due date, so
grace periods count from where they would have. A payment counts for
`amount_cents - refunded_cents - disputed_cents`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, case, func, literal, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from services.persistence.models import Invoice, Payment, PaymentAllocation, Plan

IN_FLIGHT = ("pending", "processing")
# The tables, not the mapped classes: statements on them skip the ORM's per-call work.
_invoices, _plans = Invoice.__table__, Plan.__table__
_payments, _allocations = Payment.__table__, PaymentAllocation.__table__


def open_invoices(session: Session, enrollment_id: int, *, plan_id: int | None = None,
                  lock: bool = False) -> list[Invoice]:
    """Invoices with something left to pay, oldest first (health before dental in a month).
    `lock` takes row locks on PostgreSQL, so two payments never split the same cents."""
    query = _open_invoices(Invoice).where(Invoice.enrollment_id == enrollment_id)
    if plan_id is not None:
        query = query.where(Invoice.plan_id == plan_id)
    if lock:
        query = query.with_for_update(of=Invoice)
    return list(session.scalars(query))


def _open_invoices(*columns):
    return (
        select(*columns)
        .join(_plans, _plans.c.id == _invoices.c.plan_id)
        .where(_invoices.c.paid_cents < _invoices.c.amount_cents)
        .order_by(_invoices.c.coverage_month, case((_plans.c.kind == "health", 0), else_=1),
                  _plans.c.id)
    )


def spread(invoices: Iterable[Invoice], amount_cents: int, *, plan_id: int | None = None,
           taken: dict[int, int] | None = None) -> list[tuple[Invoice, int]]:
    """How `amount_cents` covers `invoices` in their order, beyond what `taken` already holds
    of each; whatever is left over is not placed."""
    taken = taken or {}
    shares: list[tuple[Invoice, int]] = []
    left = amount_cents
    for invoice in invoices:
        if left <= 0:
            break
        if plan_id is not None and invoice.plan_id != plan_id:
            continue
        room = invoice.open_cents - taken.get(invoice.id, 0)
        if room > 0:
            share = min(room, left)
            shares.append((invoice, share))
            left -= share
    return shares


@dataclass(frozen=True)
class OpenItem:
    """An open invoice, and how much of it payments in flight are expected to cover."""

    invoice: Invoice  # from member_balance, a row: id, plan_id, months, dates and open_cents
    pending_cents: int

    @property
    def due_cents(self) -> int:
        return self.invoice.open_cents - self.pending_cents


def outstanding(session: Session, *, account_id: int, enrollment_id: int) -> list[OpenItem]:
    """Every open invoice, oldest first, with the payments in flight placed as they would be."""
    return outstanding_for(session, {account_id: enrollment_id})[account_id]


def outstanding_for(session: Session, members: Mapping[int, int]) -> dict[int, list[OpenItem]]:
    """`outstanding` for many members at once (account id -> enrollment id) in two queries,
    for the scheduler's jobs over thousands of members."""
    invoices: dict[int, list[Invoice]] = defaultdict(list)
    for invoice in session.scalars(_OPEN_INVOICES_OF,
                                   {"enrollment_ids": list(set(members.values()))}):
        invoices[invoice.enrollment_id].append(invoice)
    in_flight: dict[int, list[Row]] = defaultdict(list)
    for payment in session.execute(_IN_FLIGHT_OF, {"account_ids": list(members)}):
        in_flight[payment.account_id].append(payment)
    return {account_id: _placed(invoices[enrollment_id], in_flight[account_id])
            for account_id, enrollment_id in members.items()}


@dataclass(frozen=True)
class MemberBalance:
    items: list[OpenItem]  # as `outstanding` gives them, each invoice as a row of columns
    credit_cents: int  # as `credit_cents` gives it


def member_balance(session: Session, *, account_id: int, enrollment_id: int) -> MemberBalance:
    """`outstanding` and `credit_cents` of one member, for the balance shown on most turns: two
    prebuilt queries of plain columns (the payments in flight and those with credit left are
    read together) instead of three ORM ones."""
    invoices = session.execute(_OPEN_INVOICE_ROWS, {"enrollment_id": enrollment_id}).all()
    payments = session.execute(_COUNTED_PAYMENTS, {"account_id": account_id}).all()
    in_flight = [payment for payment in payments if payment.status in IN_FLIGHT]
    return MemberBalance(
        items=_placed(invoices, in_flight),
        credit_cents=sum(payment.unallocated_cents for payment in payments
                         if payment.status == "succeeded"),
    )


def _placed(invoices: Sequence[Invoice | Row], in_flight: Iterable[Row]) -> list[OpenItem]:
    """The open invoices with the payments in flight (oldest first) placed on them."""
    taken: dict[int, int] = defaultdict(int)
    for payment in in_flight:
        for invoice, share in spread(invoices, payment.amount_cents, plan_id=payment.plan_id,
                                     taken=taken):
            taken[invoice.id] += share
    return [OpenItem(invoice, taken[invoice.id]) for invoice in invoices]


def due_cents(items: Sequence[OpenItem], *, plan_id: int | None = None) -> int:
    return sum(item.due_cents for item in items if plan_id in (None, item.invoice.plan_id))


def allocate(session: Session, payment: Payment, enrollment_id: int, amount_cents: int) -> int:
    """Apply up to `amount_cents` of a succeeded payment to the oldest open invoices; returns
    what was applied (the rest is credit)."""
    invoices = open_invoices(session, enrollment_id, plan_id=payment.plan_id, lock=True)
    applied = 0
    for invoice, share in spread(invoices, amount_cents):
        session.add(PaymentAllocation(payment_id=payment.id, invoice_id=invoice.id,
                                      amount_cents=share))
        # Incremented in SQL, so a concurrent writer's cents are never overwritten.
        invoice.paid_cents = Invoice.paid_cents + share
        applied += share
    session.flush()
    return applied


def reverse(session: Session, payment: Payment, cents: int) -> int:
    """Take `cents` of a succeeded payment back, after its refunded_cents or disputed_cents
    were raised by as much; returns what came off invoices (the rest was credit)."""
    allocated = session.scalar(select(_allocated_cents(payment.id)))
    counted_before = (payment.amount_cents - payment.refunded_cents - payment.disputed_cents
                      + cents)
    left = cents - max(0, counted_before - allocated)
    taken = 0
    net: dict[int, int] = defaultdict(int)
    for invoice_id, amount in session.execute(
            select(PaymentAllocation.invoice_id, PaymentAllocation.amount_cents)
            .where(PaymentAllocation.payment_id == payment.id)):
        net[invoice_id] += amount
    paid = session.scalars(
        select(Invoice)
        .join(Plan, Plan.id == Invoice.plan_id)
        .where(Invoice.id.in_([invoice_id for invoice_id, sum_ in net.items() if sum_ > 0]))
        # The reverse of the order payments are applied in: the latest bills reopen first.
        .order_by(Invoice.coverage_month.desc(), case((Plan.kind == "health", 1), else_=0),
                  Plan.id.desc())
        .with_for_update(of=Invoice)
    ).all()
    for invoice in paid:
        if left <= 0:
            break
        share = min(net[invoice.id], left)
        session.add(PaymentAllocation(payment_id=payment.id, invoice_id=invoice.id,
                                      amount_cents=-share))
        invoice.paid_cents = Invoice.paid_cents - share
        left -= share
        taken += share
    session.flush()
    return taken


def _allocated_cents(payment_id):
    """What a payment has paid on invoices so far (a column expression or a payment id)."""
    return (
        select(func.coalesce(func.sum(_allocations.c.amount_cents), 0))
        .where(_allocations.c.payment_id == payment_id)
        .scalar_subquery()
    )


# The statements below are read on most turns (the member's balance): built once. Statuses are
# fixed parameters: `in_` with a tuple would be expanded into the SQL anew on every execution.
_is_in_flight = _payments.c.status.in_([literal(status) for status in IN_FLIGHT])
_OPEN_INVOICES_OF = _open_invoices(Invoice).where(
    _invoices.c.enrollment_id.in_(bindparam("enrollment_ids", expanding=True)))
_IN_FLIGHT_OF = (
    select(_payments.c.account_id, _payments.c.amount_cents, _payments.c.plan_id)
    .where(_payments.c.account_id.in_(bindparam("account_ids", expanding=True)), _is_in_flight)
    .order_by(_payments.c.id)
)
# Open invoices as the columns a balance reads; open_cents as Invoice has it (they are open,
# so it is what is left of the amount).
_OPEN_INVOICE_ROWS = _open_invoices(
    _invoices.c.id, _invoices.c.plan_id, _invoices.c.coverage_month, _invoices.c.due_date,
    (_invoices.c.amount_cents - _invoices.c.paid_cents).label("open_cents"),
).where(_invoices.c.enrollment_id == bindparam("enrollment_id"))
_unallocated = (_payments.c.amount_cents - _payments.c.refunded_cents
                - _payments.c.disputed_cents - _allocated_cents(_payments.c.id))
# A member's payments that count in a balance: those in flight, and those succeeded with
# credit left (as `_with_credit` finds them).
_COUNTED_PAYMENTS = (
    select(_payments.c.status, _payments.c.amount_cents, _payments.c.plan_id,
           _unallocated.label("unallocated_cents"))
    .where(_payments.c.account_id == bindparam("account_id"),
           or_(_is_in_flight, and_(_payments.c.status == "succeeded", _unallocated > 0)))
    .order_by(_payments.c.id)
)


def _with_credit(account_id: int | None = None):
    counted = Payment.amount_cents - Payment.refunded_cents - Payment.disputed_cents
    allocated = _allocated_cents(Payment.id)
    query = select(Payment, counted - allocated).where(
        Payment.status == "succeeded", counted > allocated
    )
    if account_id is not None:
        query = query.where(Payment.account_id == account_id)
    return query.order_by(Payment.id)


def credit_cents(session: Session, account_id: int) -> int:
    return sum(left for _, left in session.execute(_with_credit(account_id)))


def accounts_with_credit(session: Session) -> list[int]:
    return sorted({payment.account_id for payment, _ in session.execute(_with_credit())})


def apply_credit(session: Session, account_id: int, enrollment_id: int) -> int:
    """Spend the account's credit on its open invoices, oldest payment first."""
    applied = 0
    for payment, _ in session.execute(_with_credit(account_id).with_for_update(of=Payment)).all():
        # Read again under the row lock: another worker may have spent it meanwhile.
        left = (payment.amount_cents - payment.refunded_cents - payment.disputed_cents
                - session.scalar(select(_allocated_cents(payment.id))))
        if left > 0:
            applied += allocate(session, payment, enrollment_id, left)
    return applied
