"""Planning reminders, autopay notices, expiring-card warnings and grace-period notices."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from services import accounts, autopay, payments
from services.billing import issue_invoices
from services.grace_notices import plan_grace_notices
from services.persistence.models import AutopayCharge, Invoice, Notification
from services.reminders import plan_reminders
from tests.conftest import build_services
from tests.factories import make_paying_member
from tests.fakes import FakeGateway

VISA, BANK = "pm_card_visa", "pm_bank_ok"


@pytest.fixture
def svc(sqlite_engine, clock, policy, secrets):
    return build_services(sqlite_engine, gateway=FakeGateway(), clock=clock, policy=policy,
                          secrets=secrets)


@pytest.fixture
def member(svc):
    """Health coverage from December 2026: the first bill ($412.50) is due Mon, Nov 23."""
    member = make_paying_member(svc, coverage_start=dt.date(2026, 12, 1), methods=(VISA, BANK))
    issue_invoices(svc, through=svc.today())
    return member


def on(svc, month: int, day: int, year: int = 2026) -> dt.date:
    svc.clock.set(dt.datetime(year, month, day, 13, tzinfo=dt.UTC))  # 8 AM in Boston
    return dt.date(year, month, day)


def planned(svc, kind: str | None = None) -> list[tuple[str, str]]:
    query = select(Notification.dedupe_key, Notification.text).order_by(Notification.id)
    if kind:
        query = query.where(Notification.kind == kind)
    with svc.uow() as uow:
        return [tuple(row) for row in uow.session.execute(query)]


def offsets_planned(svc, member) -> list[int]:
    return [int(key.rsplit(":", 1)[1]) for key, _ in planned(svc, "reminder")]


def enroll(svc, member, token=VISA, **terms):
    terms = {"amount_rule": "full_balance", "fixed_amount_cents": None, "frequency": "monthly",
             "days_before_due": 3, **terms}
    return autopay.enroll(svc, member.account_id, method_id=member.method_ids[token], **terms)


# --- bill reminders -------------------------------------------------------------------------


def test_a_reminder_on_each_offset_day_worded_for_the_member(svc, member):
    created = {}
    for day in (15, 16, 17, 20, 21, 22, 23, 24):
        created[day] = plan_reminders(svc, on(svc, 11, day))
    assert created == {15: 0, 16: 1, 17: 0, 20: 1, 21: 0, 22: 1, 23: 1, 24: 0}
    assert offsets_planned(svc, member) == [7, 3, 1, 0]
    texts = [text for _, text in planned(svc, "reminder")]
    assert texts[0] == "Your health premium of $412.50 for December is due Mon, Nov 23."
    assert texts[-1] == "Your health premium of $412.50 for December is due today, Mon, Nov 23."


def test_reminders_carry_the_bill_and_the_buttons(svc, member):
    plan_reminders(svc, on(svc, 11, 16))
    with svc.uow() as uow:
        reminder = uow.session.scalar(select(Notification))
        invoice_id = uow.session.scalar(select(Invoice.id))
    assert reminder.dedupe_key == f"reminder:{member.account_id}:{invoice_id}:7"
    assert reminder.invoice_id == invoice_id
    assert reminder.status == "queued" and reminder.not_before == svc.now()
    assert reminder.buttons == [{"title": "Pay now", "payload": "/make_payment"},
                                {"title": "Reminder settings", "payload": "/reminder_settings"}]


def test_planning_twice_plans_nothing_twice(svc, member):
    today = on(svc, 11, 16)
    assert plan_reminders(svc, today) == 1
    assert plan_reminders(svc, today) == 0
    assert len(planned(svc)) == 1


def test_a_job_that_missed_days_sends_only_the_latest_reminder(svc, member):
    assert plan_reminders(svc, on(svc, 11, 22)) == 1
    assert offsets_planned(svc, member) == [1]


def test_health_and_dental_are_reminded_separately(svc):
    member = make_paying_member(svc, coverage_start=dt.date(2026, 12, 1), plans=[
        ("health", "Silver", 41250), ("dental", "Dental Basic", 2900)])
    issue_invoices(svc, through=svc.today())
    plan_reminders(svc, on(svc, 11, 16))
    assert sorted(text for _, text in planned(svc)) == [
        "Your dental premium of $29.00 for December is due Mon, Nov 23.",
        "Your health premium of $412.50 for December is due Mon, Nov 23.",
    ]
    assert member.account_id


def test_members_choose_their_days_or_turn_reminders_off(svc, member):
    accounts.update_reminder_settings(svc, member.account_id, offsets=[5])
    assert plan_reminders(svc, on(svc, 11, 16)) == 0
    assert plan_reminders(svc, on(svc, 11, 18)) == 1
    accounts.update_reminder_settings(svc, member.account_id, enabled=False)
    assert plan_reminders(svc, on(svc, 11, 23)) == 0
    assert offsets_planned(svc, member) == [5]


def test_no_reminder_for_a_paid_bill(svc, member):
    with svc.uow() as uow:
        uow.session.execute(update(Invoice).values(paid_cents=Invoice.amount_cents))
        uow.commit()
    assert plan_reminders(svc, on(svc, 11, 16)) == 0


def test_no_reminder_while_a_bank_payment_for_the_bill_is_settling(svc, member):
    draft = payments.create_draft(svc, member.account_id, amount_cents=41250,
                                  method_id=member.method_ids[BANK])
    assert payments.confirm_payment(svc, member.account_id, draft.id).status == "processing"
    assert plan_reminders(svc, on(svc, 11, 16)) == 0


def test_a_partly_paid_bill_is_reminded_of_what_is_left(svc, member):
    draft = payments.create_draft(svc, member.account_id, amount_cents=20000,
                                  method_id=member.method_ids[BANK])
    payments.confirm_payment(svc, member.account_id, draft.id)
    plan_reminders(svc, on(svc, 11, 16))
    assert [text for _, text in planned(svc)] == [
        "Your health premium of $212.50 for December is due Mon, Nov 23."]


# --- autopay --------------------------------------------------------------------------------


def test_autopay_replaces_reminders_with_a_notice_three_days_before_the_charge(svc, member):
    enroll(svc, member)  # charges on Fri, Nov 20 for the bill due Mon, Nov 23
    assert plan_reminders(svc, on(svc, 11, 16)) == 0
    assert plan_reminders(svc, on(svc, 11, 17)) == 1
    assert plan_reminders(svc, on(svc, 11, 19)) == 0
    assert planned(svc) == [(
        f"autopay_notice:{member.account_id}:1:2026-12",
        "Autopay will pay your premium from Visa ending in 4242 on Fri, Nov 20, ahead of the "
        "Mon, Nov 23 due date. There's nothing you need to do.")]
    assert plan_reminders(svc, on(svc, 11, 22)) == 0  # no reminder: autopay has it


def test_no_notice_for_a_period_autopay_already_charged(svc, member):
    enroll(svc, member, days_before_due=10)  # the window is open from Nov 13
    autopay.charge_autopay_due(svc, on(svc, 11, 13))
    assert plan_reminders(svc, on(svc, 11, 17)) == 0
    assert planned(svc) == []


def test_a_fixed_autopay_smaller_than_the_bill_leaves_the_reminders_on(svc, member):
    enroll(svc, member, amount_rule="fixed", fixed_amount_cents=10000)
    plan_reminders(svc, on(svc, 11, 17))
    assert [key.split(":")[0] for key, _ in planned(svc)] == ["reminder", "autopay_notice"]
    assert "Autopay will pay $100.00 toward your premium" in planned(svc, "autopay_notice")[0][1]


def test_reminders_come_back_when_autopay_gave_up_on_the_bill(svc, member):
    mandate = enroll(svc, member)
    with svc.uow() as uow:
        uow.session.add(AutopayCharge(
            mandate_id=mandate.id, billing_period=dt.date(2026, 12, 1), status="declined",
            attempts=1, next_attempt_on=None, created_at=svc.now(), updated_at=svc.now()))
        uow.commit()
    assert plan_reminders(svc, on(svc, 11, 22)) == 1
    assert offsets_planned(svc, member) == [1]


def test_a_soft_decline_still_being_retried_keeps_the_reminders_off(svc, member):
    mandate = enroll(svc, member)
    with svc.uow() as uow:
        uow.session.add(AutopayCharge(
            mandate_id=mandate.id, billing_period=dt.date(2026, 12, 1), status="declined",
            attempts=1, next_attempt_on=dt.date(2026, 11, 22), created_at=svc.now(),
            updated_at=svc.now()))
        uow.commit()
    assert plan_reminders(svc, on(svc, 11, 21)) == 0


def test_paused_autopay_gets_reminders(svc, member):
    enroll(svc, member)
    autopay.pause(svc, member.account_id)
    assert plan_reminders(svc, on(svc, 11, 16)) == 1
    assert offsets_planned(svc, member) == [7]


def test_quarterly_notice_names_the_months(svc, member):
    enroll(svc, member, frequency="quarterly")
    issue_invoices(svc, through=on(svc, 12, 17))
    plan_reminders(svc, on(svc, 12, 17))  # January's quarter is charged on Sun, Dec 20
    (_, text), = planned(svc, "autopay_notice")
    assert text.startswith("Autopay will pay your premiums for January to March from Visa "
                           "ending in 4242 on Sun, Dec 20")


def test_a_card_expiring_before_the_charge_gets_a_warning_instead_of_the_notice(svc):
    member = make_paying_member(svc, coverage_start=dt.date(2026, 12, 1), methods=(VISA,),
                                card_expiry=(11, 2026))
    issue_invoices(svc, through=svc.today())
    enroll(svc, member)
    issue_invoices(svc, through=on(svc, 12, 5))
    assert plan_reminders(svc, on(svc, 12, 5)) == 0  # 15 days before the Dec 20 charge
    assert plan_reminders(svc, on(svc, 12, 6)) == 1
    assert plan_reminders(svc, on(svc, 12, 17)) == 0  # no "autopay will pay" either
    (key, text), = planned(svc)
    assert key.startswith(f"card_expiring:{member.account_id}:")
    assert text.startswith("Your Visa ending in 4242 expires before autopay uses it on "
                           "Sun, Dec 20, so autopay can't pay your premium due Wed, Dec 23.")


# --- grace periods --------------------------------------------------------------------------


def test_grace_period_notices_follow_the_policy_month_by_month(svc, member):
    assert plan_grace_notices(svc, on(svc, 11, 23)) == 0  # due today: not past due yet
    assert plan_grace_notices(svc, on(svc, 11, 24)) == 1
    assert plan_grace_notices(svc, on(svc, 12, 10)) == 0
    issue_invoices(svc, through=on(svc, 1, 5, 2027))
    assert plan_grace_notices(svc, on(svc, 1, 5, 2027)) == 1
    assert plan_grace_notices(svc, on(svc, 2, 2, 2027)) == 1
    assert plan_grace_notices(svc, on(svc, 3, 1, 2027)) == 0  # coverage has ended
    keys = [key for key, _ in planned(svc)]
    account = member.account_id
    assert keys == [f"grace:{account}:2026-12:past_due:1",
                    f"grace:{account}:2026-12:termination_warning:2",
                    f"grace:{account}:2026-12:termination_warning:3"]
    texts = [text for _, text in planned(svc)]
    assert texts[0] == ("Your premium of $412.50 for December coverage was due Mon, Nov 23 and "
                        "hasn't been paid. You're in a 3-month grace period: please pay by "
                        "Sun, Feb 28 to keep your coverage.")
    assert texts[1] == ("Your coverage is at risk: $825.00 in premiums has been past due since "
                        "Tue, Nov 24. If it isn't paid by Sun, Feb 28, your coverage ends, "
                        "back-dated to Thu, Dec 31.")


def test_unsubsidized_members_get_one_notice_with_a_pay_by_date(svc):
    member = make_paying_member(svc, subsidy_type="unsubsidized",
                                coverage_start=dt.date(2026, 12, 1))
    issue_invoices(svc, through=svc.today())
    assert plan_grace_notices(svc, on(svc, 11, 24)) == 1
    assert plan_grace_notices(svc, on(svc, 12, 20)) == 0
    assert planned(svc) == [(
        f"grace:{member.account_id}:2026-12:past_due:0",
        "Your premium of $412.50 for December coverage was due Mon, Nov 23 and hasn't been "
        "paid. Please pay by Wed, Dec 23: after that your coverage ends, back-dated to "
        "Mon, Nov 30.")]


def test_no_grace_notice_once_paid(svc, member):
    with svc.uow() as uow:
        uow.session.execute(update(Invoice).values(paid_cents=Invoice.amount_cents))
        uow.commit()
    assert plan_grace_notices(svc, on(svc, 11, 24)) == 0
