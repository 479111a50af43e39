"""The scheduled jobs of `healthpay serve` and `healthpay chat`, on APScheduler 3.

Every worker runs every job. The work itself is claimed in the database (SELECT ... FOR UPDATE
SKIP LOCKED on PostgreSQL, conditional UPDATEs, unique keys on autopay charges and on
notifications), so N workers split it and none does any of it twice.

Missed runs. Every job is coalesced (`coalesce=True`), runs one instance at a time
(`max_instances=1`) and has no misfire limit (`misfire_grace_time=None`): a process that was
blocked or asleep past several run times runs the job once when it wakes, not once per time it
missed. A process that was down remembers nothing — the job store is in memory, because
APScheduler 3 cannot share one store between workers — so at start every daily job whose last
run (table job_runs) is older than its latest scheduled time runs once at once, and the
frequent jobs run at once too. Each job catches up by itself: autopay charges any period whose
charge window is still open, reminders send the latest one due for each bill, notices the
latest notice due, so one late run does all the missed work.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.settings import Settings
from dialogs.engine.seal_purge import purge_expired_seals
from dialogs.engine.sealing import SEAL_TTL_SECONDS
from services import billing, grace_notices, job_runs, reminders, retention
from services.autopay import charge_autopay_due
from services.context import Services
from services.delivery import DeliveryOptions, deliver_due
from services.pacing import DatabasePacer
from services.payment_notices import plan_payment_notices
from services.ports import ChatSender, Pacer
from services.settlement import settle_payments

logger = logging.getLogger(__name__)


@dataclass
class JobContext:
    svc: Services
    sender: ChatSender
    settings: Settings
    delivery_pacer: Pacer
    # Delivery stops claiming after this long, so the next run starts on time; None: until
    # nothing is due (`healthpay jobs run`).
    delivery_budget_seconds: float | None = None


@dataclass(frozen=True)
class Job:
    name: str
    summary: str
    run: Callable[[JobContext, dt.date], str]
    daily_at: Callable[[Settings], str] | None = None  # "HH:MM", the exchange's time
    every_seconds: Callable[[Settings], int] | None = None

    def trigger(self, settings: Settings, zone: ZoneInfo) -> BaseTrigger:
        if self.daily_at is not None:
            hour, minute = _hour_minute(self.daily_at(settings))
            return CronTrigger(hour=hour, minute=minute, timezone=zone)
        return IntervalTrigger(seconds=self.every_seconds(settings), timezone=zone)

    def schedule(self, settings: Settings, zone: ZoneInfo) -> str:
        if self.daily_at is not None:
            return f"daily at {self.daily_at(settings)} {zone.key}"
        return f"every {self.every_seconds(settings)} s"


def _issue_invoices(ctx: JobContext, today: dt.date) -> str:
    return f"{billing.issue_invoices(ctx.svc, through=today)} invoices issued"


def _plan_reminders(ctx: JobContext, today: dt.date) -> str:
    planned = reminders.plan_reminders(
        ctx.svc, today, autopay_notice_days=ctx.settings.autopay_notice_days,
        card_warning_days=ctx.settings.card_expiry_warning_days)
    return f"{planned} reminders and autopay notices planned"


def _deliver_notifications(ctx: JobContext, today: dt.date) -> str:
    options = DeliveryOptions(batch=ctx.settings.delivery_batch,
                              time_budget_seconds=ctx.delivery_budget_seconds)
    return deliver_due(ctx.svc, ctx.sender, pacer=ctx.delivery_pacer, options=options).summary()


def _charge_autopay(ctx: JobContext, today: dt.date) -> str:
    results = charge_autopay_due(ctx.svc, today)
    statuses: dict[str, int] = {}
    for result in results:
        statuses[result.status] = statuses.get(result.status, 0) + 1
    outcomes = ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))
    return (f"{len(results)} autopay results ({outcomes or 'none due'}), "
            f"{plan_payment_notices(ctx.svc)} notices planned")


def _settle_payments(ctx: JobContext, today: dt.date) -> str:
    return settle_payments(ctx.svc, today).summary()


def _purge_seals(ctx: JobContext, today: dt.date) -> str:
    purged = purge_expired_seals(ctx.svc.uow_factory, now=ctx.svc.now(),
                                 ttl_seconds=SEAL_TTL_SECONDS)
    return f"{purged} sealed answers past their time removed"


def _grace_notices(ctx: JobContext, today: dt.date) -> str:
    return f"{grace_notices.plan_grace_notices(ctx.svc, today)} grace-period notices planned"


def _apply_retention(ctx: JobContext, today: dt.date) -> str:
    settings = ctx.settings
    return retention.apply_retention(
        ctx.svc, anonymous_idle=dt.timedelta(days=settings.retain_anonymous_days),
        transcripts_after=dt.timedelta(days=settings.retain_transcript_days)).summary()


JOBS: dict[str, Job] = {job.name: job for job in (
    Job("issue_invoices", "issue next month's premium bills", _issue_invoices,
        daily_at=lambda s: s.issue_invoices_at),
    Job("charge_autopay", "charge autopay that is due, retry soft declines, tell members",
        _charge_autopay, daily_at=lambda s: s.charge_autopay_at),
    Job("plan_reminders", "plan bill reminders, autopay notices and expiring-card warnings",
        _plan_reminders, daily_at=lambda s: s.plan_reminders_at),
    Job("grace_notices", "plan past-due and coverage-at-risk notices", _grace_notices,
        daily_at=lambda s: s.grace_notices_at),
    Job("apply_retention", "delete idle anonymous conversations and old support transcripts",
        _apply_retention, daily_at=lambda s: s.apply_retention_at),
    Job("settle_payments", "settle unanswered and bank payments, tell members",
        _settle_payments, every_seconds=lambda s: s.settle_every_minutes * 60),
    Job("deliver_notifications", "send due messages to members' chats",
        _deliver_notifications, every_seconds=lambda s: s.deliver_every_seconds),
    # Forms abandoned half way: their sealed answers go once no turn may open them.
    Job("purge_seals", "remove sealed secret answers past their time from conversations",
        _purge_seals, every_seconds=lambda s: 300),
)}


def run_job(name: str, ctx: JobContext, *, record: bool = True) -> str:
    """Run one job now; what it did, in a line. `record` writes job_runs (not for runs at a
    pretend date, which would hide a real missed run)."""
    svc = ctx.svc
    if record:
        job_runs.record_start(svc, name, svc.now())
    try:
        outcome = JOBS[name].run(ctx, svc.today())
    except Exception as error:
        if record:
            job_runs.record_finish(svc, name, svc.now(), f"failed: {type(error).__name__}")
        raise
    if record:
        job_runs.record_finish(svc, name, svc.now(), outcome)
    logger.info("job %s: %s", name, outcome)
    return outcome


def job_context(svc: Services, sender: ChatSender, settings: Settings, *,
                delivery_budget_seconds: float | None = None) -> JobContext:
    pacer = DatabasePacer(svc.uow_factory, "chat_delivery", settings.delivery_rate_per_second)
    return JobContext(svc, sender, settings, pacer, delivery_budget_seconds)


def start_scheduler(runtime_or_services, sender: ChatSender,
                    settings: Settings | None = None) -> BackgroundScheduler:
    """Start every job in a background scheduler (call `.shutdown()` on the result to stop).
    Takes the Runtime, or Services and settings."""
    svc: Services = getattr(runtime_or_services, "services", runtime_or_services)
    settings = settings or getattr(runtime_or_services, "settings", None) or Settings()
    scheduler = build_scheduler(svc, sender, settings)
    scheduler.start()
    return scheduler


def build_scheduler(svc: Services, sender: ChatSender, settings: Settings) -> BackgroundScheduler:
    """The scheduler with every job added, not started. Frequent jobs and daily jobs that
    missed their latest time while no process ran are due at once."""
    zone = ZoneInfo(svc.policy.time_zone)
    ctx = job_context(svc, sender, settings,
                      delivery_budget_seconds=max(settings.deliver_every_seconds - 1, 1))
    scheduler = BackgroundScheduler(timezone=zone, job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": None})
    now = dt.datetime.now(zone)
    overdue = overdue_jobs(svc, settings, now)
    if overdue:
        logger.info("catching up on missed jobs: %s", ", ".join(sorted(overdue)))
    for job in JOBS.values():
        run_now = job.every_seconds is not None or job.name in overdue
        scheduler.add_job(run_job, job.trigger(settings, zone), args=[job.name, ctx],
                          id=job.name, name=job.summary,
                          **({"next_run_time": now} if run_now else {}))
    return scheduler


def overdue_jobs(svc: Services, settings: Settings, now: dt.datetime) -> set[str]:
    """Daily jobs whose latest scheduled time passed without a run since."""
    runs = job_runs.last_runs(svc)
    zone = ZoneInfo(svc.policy.time_zone)
    overdue = set()
    for job in JOBS.values():
        if job.daily_at is None:
            continue
        due = last_fire_time(job.trigger(settings, zone), now)
        started = runs[job.name].last_started_at if job.name in runs else None
        if due is not None and (started is None or started < due):
            overdue.add(job.name)
    return overdue


def last_fire_time(trigger: BaseTrigger, now: dt.datetime) -> dt.datetime | None:
    """The trigger's latest fire time at or before `now`, looking back two days."""
    latest = None
    fire = trigger.get_next_fire_time(None, now - dt.timedelta(days=2))
    while fire is not None and fire <= now:
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire + dt.timedelta(seconds=1))
    return latest


def next_fire_time(job: Job, settings: Settings, zone: ZoneInfo,
                   now: dt.datetime) -> dt.datetime | None:
    return job.trigger(settings, zone).get_next_fire_time(None, now)


def _hour_minute(text: str) -> tuple[int, int]:
    hour, _, minute = text.partition(":")
    return int(hour), int(minute or 0)
