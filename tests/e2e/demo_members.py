"""The seeded demo members as tests need them: ids, methods by their name in data/demo.yml, and
the strings that identify a member (to check that none reaches someone else)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from services.context import Services
from services.demo_seed import load_demo
from services.persistence.models import Account, Payment, PaymentMethod, Plan


@dataclass(frozen=True)
class DemoMember:
    username: str
    account_id: int
    method_ids: dict[str, int]  # by the name in demo.yml: pm_card_visa, bank_ok, second_card
    # What would give this member away in someone else's chat: name, member id, e-mail,
    # payment references, plan names and method labels no other member shares.
    identifying: frozenset[str]


def demo_member(svc: Services, username: str) -> DemoMember:
    entry = next(m for m in load_demo()["members"] if m["username"] == username)
    with svc.uow() as uow:
        session = uow.session
        account = session.scalar(select(Account).where(Account.username == username))
        methods = session.scalars(select(PaymentMethod).where(
            PaymentMethod.account_id == account.id).order_by(PaymentMethod.id)).all()
        references = session.scalars(select(Payment.reference).where(
            Payment.account_id == account.id)).all()
        enrollment = account.enrollment
        others = {_label(m) for m in session.scalars(select(PaymentMethod).where(
            PaymentMethod.account_id != account.id))}
        others |= set(session.scalars(select(Plan.name).where(
            Plan.enrollment_id != enrollment.id)))
        identifying = {enrollment.full_name, enrollment.member_id, enrollment.email,
                       *references, *(plan.name for plan in enrollment.plans),
                       *(_label(m) for m in methods)} - others
        return DemoMember(
            username=username,
            account_id=account.id,
            method_ids={name: method.id for name, method in zip(entry["methods"], methods,
                                                                strict=True)},
            identifying=frozenset(identifying),
        )


def _label(method: PaymentMethod) -> str:
    return f"{method.brand} ending in {method.last4}"


def demo_usernames() -> list[str]:
    return [member["username"] for member in load_demo()["members"]]
