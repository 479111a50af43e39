"""Pushed notices in the language kept on the account, with dates and amounts formatted for it
by Babel (services/formatting.py); English stays word for word what it was."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from services import formatting
from services.billing import issue_invoices
from services.member_language import save_language
from services.persistence.models import Notification
from services.reminders import plan_reminders
from tests.conftest import build_services
from tests.factories import make_paying_member
from tests.fakes import FakeGateway


@pytest.fixture
def svc(sqlite_engine, clock, policy, secrets):
    return build_services(sqlite_engine, gateway=FakeGateway(), clock=clock, policy=policy,
                          secrets=secrets)


def reminders(svc) -> list[tuple[str, list]]:
    with svc.uow() as uow:
        return [tuple(row) for row in uow.session.execute(
            select(Notification.text, Notification.buttons)
            .where(Notification.kind == "reminder").order_by(Notification.id))]


def test_a_reminder_goes_out_in_the_language_on_the_account(svc):
    member = make_paying_member(svc, coverage_start=dt.date(2026, 12, 1))
    issue_invoices(svc, through=svc.today())
    save_language(svc, member.account_id, "es")
    svc.clock.set(dt.datetime(2026, 11, 23, 13, tzinfo=dt.UTC))
    plan_reminders(svc, dt.date(2026, 11, 23))
    [(text, buttons)] = reminders(svc)
    assert text == ("Su prima del seguro médico de diciembre, $412.50, vence hoy, "
                    "lun, 23 de nov.")
    assert [b["title"] for b in buttons] == ["Pagar ahora", "Recordatorios"]
    assert [b["payload"] for b in buttons] == ["/make_payment", "/reminder_settings"]


def test_dates_and_amounts_by_language():
    day = dt.date(2026, 12, 23)
    assert formatting.long_date(day, "es") == "23 de diciembre de 2026"
    assert formatting.long_date(day, "en") == "December 23, 2026"
    assert formatting.month_name(day, "es") == "diciembre"
    assert formatting.short_day(day, "en") == "Wed, Dec 23"
    assert formatting.money(13300, "es") == "$133.00"
    assert formatting.money(13300, "unknown") == "$133.00"


@given(st.integers(min_value=-10**11, max_value=10**11))
def test_english_amounts_read_as_they_always_did(cents):
    from services.money import format_cents

    assert formatting.money(cents, "en") == format_cents(cents)
