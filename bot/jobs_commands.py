"""`healthpay jobs list` and `healthpay jobs run NAME [--today DATE]`.

`jobs run` is for operators, tests and demos: with `--today` the job runs as if it were 3 PM
that day in the exchange's time zone, e.g. `healthpay demo seed`, then
`healthpay jobs run plan_reminders --today 2026-12-16` and
`healthpay jobs run charge_autopay --today 2026-12-20` show reminders and an autopay charge.
Messages it plans are listed; `deliver_notifications` prints what it sends to console chats.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

RUN_AT = dt.time(15, 0)  # `--today` runs at 3 PM in the exchange's time zone


def register(subparsers) -> None:
    from bot.scheduler import JOBS

    jobs = subparsers.add_parser("jobs", help="scheduled jobs: list them, or run one now")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", metavar="ACTION", required=True)
    jobs_sub.add_parser("list", help="the jobs, their schedule, next and last run"
                        ).set_defaults(handler=_list)
    run = jobs_sub.add_parser("run", help="run one job now")
    run.add_argument("name", choices=sorted(JOBS), metavar="NAME",
                     help=", ".join(sorted(JOBS)))
    run.add_argument("--today", type=dt.date.fromisoformat, metavar="YYYY-MM-DD",
                     help="run as if today were this date (3 PM, the exchange's time)")
    run.set_defaults(handler=_run)


def _list(_args) -> int:
    from bot.bootstrap import build_services
    from bot.scheduler import JOBS, next_fire_time
    from bot.settings import Settings
    from services.job_runs import last_runs

    settings = Settings()
    svc = build_services(settings)
    zone = ZoneInfo(svc.policy.time_zone)
    now = dt.datetime.now(zone)
    runs = last_runs(svc)
    width = max(len(name) for name in JOBS)
    for job in JOBS.values():
        next_run = next_fire_time(job, settings, zone, now)
        run = runs.get(job.name)
        last = (f"last run {_local(run.last_started_at, zone)}: {run.last_outcome or 'running'}"
                if run and run.last_started_at else "not run yet")
        print(f"{job.name:<{width}}  {job.schedule(settings, zone):<32} "
              f"next {_local(next_run, zone)}  {last}")
        print(f"{'':<{width}}  {job.summary}")
    return 0


def _run(args) -> int:
    from sqlalchemy import func, select

    from bot.bootstrap import build_services
    from bot.chat_senders import ConsoleSender
    from bot.scheduler import job_context, run_job
    from bot.settings import Settings
    from services.adapters.clocks import FixedClock
    from services.persistence.models import Account, Notification
    from services.policy import load_policy

    settings = Settings()
    clock = None
    if args.today:
        # The gateway sees the same day: bank payments due to settle by then have settled.
        zone = ZoneInfo(load_policy(settings.policy_file).time_zone)
        clock = FixedClock(dt.datetime.combine(args.today, RUN_AT, tzinfo=zone)
                           .astimezone(dt.UTC))
    svc = build_services(settings, clock=clock)
    with svc.uow() as uow:
        before = uow.session.scalar(select(func.max(Notification.id))) or 0
    outcome = run_job(args.name, job_context(svc, ConsoleSender(), settings),
                      record=args.today is None)
    print(f"{args.name} ({svc.today():%a, %b %-d, %Y}): {outcome}")
    with svc.uow() as uow:
        planned = uow.session.execute(
            select(Account.username, Notification.kind, Notification.text)
            .join(Account, Account.id == Notification.account_id)
            .where(Notification.id > before).order_by(Notification.id)).all()
    for username, kind, text in planned:
        print(f"  to {username} ({kind}): {text}")
    return 0


def _local(moment: dt.datetime | None, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}" if moment else "-"
