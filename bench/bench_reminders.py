"""Planning reminders for 100,000 members with open invoices, on PostgreSQL.

    .venv/bin/python -m bench.bench_reminders [--members 100000]

Members are bulk-loaded into a private database: a health bill due Mon, Nov 23 (a quarter of
them a dental one too, and two paid months before), 30% on autopay, 2% with a bank payment
settling, 5% with reminders off, 10% with their own reminder days. Then `plan_reminders` runs
on the 7-days-before day (most members get a reminder), again on the same day (everything is
planned already), and on the autopay-notice day. Target (issue 7): under 10 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from sqlalchemy import func, select

from bench.pg_data import Member, load_members, private_database, services
from services.persistence.models import Notification
from services.policy import load_policy
from services.reminders import plan_reminders

TARGET_SECONDS = 10.0


def members(count: int) -> list[Member]:
    return [Member(id=n, dental=n % 4 == 0, autopay=n % 10 < 3, paying=n % 50 == 7,
                   reminders="off" if n % 20 == 9 else "3,1" if n % 10 == 5 else "on")
            for n in range(1, count + 1)]


def run(count: int) -> None:
    with private_database("healthpay_bench_reminders") as url:
        started = time.perf_counter()
        load_members(url, members(count), first_month=dt.date(2026, 10, 1), months=3,
                     policy=load_policy())
        print(f"loaded {count:,} members in {time.perf_counter() - started:.1f} s")
        worst = 0.0
        for label, day in (("7 days before the due date", 16), ("same day, again", 16),
                           ("autopay notice day", 17)):
            svc = services(url, dt.datetime(2026, 11, day, 13, tzinfo=dt.UTC))
            started = time.perf_counter()
            planned = plan_reminders(svc, dt.date(2026, 11, day))
            took = time.perf_counter() - started
            worst = max(worst, took)
            print(f"plan_reminders, {label:<27} {planned:>7,} planned in {took:5.2f} s")
        with svc.uow() as uow:
            by_kind = dict(uow.session.execute(
                select(Notification.kind, func.count()).group_by(Notification.kind)).all())
        print(f"notifications: {by_kind}")
        verdict = "PASS" if worst < TARGET_SECONDS else "FAIL"
        print(f"slowest run {worst:.2f} s, target < {TARGET_SECONDS:.0f} s: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    run(parser.parse_args().members)


if __name__ == "__main__":
    main()
