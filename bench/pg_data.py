"""What the scheduler benchmarks share: a private PostgreSQL database, Services over it, and
members bulk-loaded with COPY (the ORM would take minutes for 100,000 members).

The server is DATABASE_URL when it names PostgreSQL, else the local test server.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import create_engine, text

from services.adapters.clocks import FixedClock
from services.adapters.sandbox_gateway import SandboxGateway
from services.billing_periods import add_months
from services.context import Secrets, ServiceConfig, Services
from services.persistence.database import make_engine, make_session_factory
from services.persistence.models import Base
from services.persistence.unit_of_work import UnitOfWork
from services.policy import load_policy

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SECRETS = Secrets(ssn_hash_key=b"bench-ssn-key", session_key=b"bench-session-key")
CREATED = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)


@contextmanager
def private_database(prefix: str) -> Iterator[str]:
    """A fresh database with the schema, dropped afterwards; yields its URL."""
    url = os.environ.get("DATABASE_URL", "")
    admin_url = url if url.startswith("postgresql") else DEFAULT_PG_URL
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    database_url = f"{admin_url.rpartition('/')[0]}/{name}"
    try:
        engine = create_engine(database_url)
        Base.metadata.create_all(engine)
        engine.dispose()
        yield database_url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def services(url: str, now: dt.datetime, **sandbox_options) -> Services:
    """Services at a fixed time, over the sandbox gateway (`sandbox_options`: its rate limit,
    fault injector)."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    clock = FixedClock(now)
    return Services(
        uow_factory=lambda: UnitOfWork(sessions), clock=clock, config=ServiceConfig(),
        gateway=SandboxGateway(sessions, clock, **sandbox_options),
        policy=load_policy(), secrets=SECRETS)


@dataclass(frozen=True)
class Member:
    """One member as the benchmarks load it: a health plan (dental for some), an account,
    a card, and optionally autopay, a settling bank payment, a Telegram chat."""

    id: int
    dental: bool = False
    autopay: bool = False
    paying: bool = False  # a bank payment of the whole bill is settling
    reminders: str = "on"  # "on", "off", or "3,1" (custom offsets)
    chat: bool = True


def load_members(url: str, members: list[Member], *, first_month: dt.date,
                 months: int, policy) -> None:
    """Enrollments, plans, accounts, cards, chats, mandates and `months` of invoices from
    `first_month`, all but the last paid."""
    coverage = [add_months(first_month, n) for n in range(months)]
    engine = create_engine(url)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        _copy(cursor, "enrollments", ["id", "member_id", "full_name", "date_of_birth",
                                      "ssn_hash", "ssn_last4", "email", "time_zone",
                                      "subsidy_type"],
              ([m.id, f"{m.id:012d}", f"Member {m.id}", dt.date(1980, 1, 1), "x" * 64, "0000",
                f"m{m.id}@example.org", "America/New_York", "tax_credit"] for m in members))
        _copy(cursor, "plans", ["id", "enrollment_id", "kind", "name", "monthly_premium_cents",
                                "coverage_start"],
              (row for m in members for row in _plans(m, first_month)))
        _copy(cursor, "accounts", [
            "id", "enrollment_id", "username", "password_hash", "security_question_1",
            "security_answer_1_hash", "security_question_2", "security_answer_2_hash",
            "reminders_enabled", "reminder_offsets", "quiet_hours_start", "quiet_hours_end",
            "created_at"],
            ([m.id, m.id, f"member{m.id}", "x", "q1", "x", "q2", "x",
              m.reminders != "off", _offsets(m), 21, 8, CREATED] for m in members))
        _copy(cursor, "payment_methods", ["id", "account_id", "gateway_token", "kind", "brand",
                                          "last4", "exp_month", "exp_year", "is_default",
                                          "created_at"],
              ([m.id, m.id, "pm_card_visa", "card", "Visa", "4242", 12, 2030, True, CREATED]
               for m in members))
        _copy(cursor, "chat_links", ["id", "channel", "chat_id", "account_id", "linked_at",
                                     "last_active_at"],
              ([m.id, "telegram", str(10_000_000 + m.id), m.id, CREATED, CREATED]
               for m in members if m.chat))
        _copy(cursor, "autopay_mandates", ["id", "account_id", "method_id", "amount_rule",
                                           "frequency", "days_before_due", "status",
                                           "created_at", "updated_at"],
              ([m.id, m.id, m.id, "full_balance", "monthly", 3, "active", CREATED, CREATED]
               for m in members if m.autopay))
        _copy(cursor, "invoices", ["plan_id", "enrollment_id", "coverage_month", "due_date",
                                   "amount_cents", "paid_cents", "issued_at"],
              (row for m in members for row in _invoices(m, coverage, policy)))
        _copy(cursor, "payments", ["account_id", "reference", "idempotency_key", "amount_cents",
                                   "method_id", "status", "source", "created_at"],
              ([m.id, f"HP-B{m.id:08d}", f"hp-bench-{m.id}", 41250, m.id, "processing",
                "member", CREATED] for m in members if m.paying))
        for table in ("enrollments", "plans", "accounts", "payment_methods", "chat_links",
                      "autopay_mandates"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT coalesce(max(id), 1) FROM {table}))")
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
        engine.dispose()


def _plans(member: Member, start: dt.date):
    yield [member.id * 2, member.id, "health", "Silver", 41250, start]
    if member.dental:
        yield [member.id * 2 + 1, member.id, "dental", "Dental", 2900, start]


def _invoices(member: Member, coverage: list[dt.date], policy):
    for plan_id, _, _, _, premium, _ in _plans(member, coverage[0]):
        for month in coverage:
            paid = premium if month != coverage[-1] else 0
            yield [plan_id, member.id, month, policy.due_date_for(month), premium, paid, CREATED]


def _offsets(member: Member) -> str:
    if member.reminders in ("on", "off"):
        return "[7, 3, 1, 0]"
    return "[" + ", ".join(member.reminders.split(",")) + "]"


def _copy(cursor, table: str, columns: list[str], rows) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)

