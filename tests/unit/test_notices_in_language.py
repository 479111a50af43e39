"""Pushed notices in the language kept on the account, with dates and amounts formatted for it
by Babel (services/formatting.py); English stays word for word what it was."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.http import page_texts
from services import formatting, notice_language
from services.billing import issue_invoices
from services.member_language import save_language
from services.persistence.models import Notification
from services.reminders import plan_reminders
from tests.conftest import build_services
from tests.factories import make_paying_member
from tests.fakes import FakeGateway

TEST_LANGUAGES = Path(__file__).resolve().parents[1] / "data" / "languages"


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


@pytest.fixture
def with_xolish():
    """The made-up test language's folder read too, as a deployment would add its own."""
    languages = (notice_language.LANGUAGES_DIR, TEST_LANGUAGES)
    notice_language.use_language_dirs(*languages)
    page_texts.use_language_dirs(*languages)
    yield
    notice_language.use_language_dirs()
    page_texts.use_language_dirs()


def test_a_language_added_as_data_words_its_notices_and_pages(svc, with_xolish, caplog):
    member = make_paying_member(svc, coverage_start=dt.date(2026, 12, 1))
    issue_invoices(svc, through=svc.today())
    save_language(svc, member.account_id, "xx")
    for day in (16, 23):  # seven days before, and the due day
        svc.clock.set(dt.datetime(2026, 11, day, 13, tzinfo=dt.UTC))
        plan_reminders(svc, dt.date(2026, 11, day))
    before, today = reminders(svc)
    assert before == ("Xo xohealth xo $412.50 xo December xo Mon, Nov 23.",
                      [{"title": "Xo pay", "payload": "/make_payment"},
                       {"title": "Reminder settings", "payload": "/reminder_settings"}])
    # Its due-day text names a value a reminder does not have: English, and a log line.
    assert today[0] == "Your xohealth premium of $412.50 for December is due today, Mon, Nov 23."
    assert "does not fit its values" in caplog.text

    words = page_texts.words_for("xx", "common")
    assert (words.language, words("nothing_to_confirm_title")) == ("xx", "Xo nothing")
    assert words("nothing_to_confirm") == "This payment doesn't need confirming any more."
    assert words("form_refused_title") == "Please reload the page"
    assert page_texts.words_for("zz", "common").language == "en"
