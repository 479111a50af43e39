"""The scheduler: its jobs, their schedules, catching up after downtime, and `healthpay jobs`."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import cli, scheduler
from bot.scheduler import JOBS, build_scheduler, job_context, last_fire_time, overdue_jobs
from bot.settings import Settings
from services import job_runs, sessions
from services.billing import issue_invoices
from services.persistence.database import make_engine
from services.persistence.models import Base, JobRun, Notification
from tests.chat_fakes import RecordingSender
from tests.conftest import build_services
from tests.factories import make_paying_member
from tests.fakes import FakeGateway

BOSTON = ZoneInfo("America/New_York")


@pytest.fixture
def svc(sqlite_engine, clock, policy, secrets):
    return build_services(sqlite_engine, gateway=FakeGateway(), clock=clock, policy=policy,
                          secrets=secrets)


@pytest.fixture
def settings():
    return Settings()


def test_the_jobs_and_their_default_schedules(settings):
    schedules = {name: job.schedule(settings, BOSTON) for name, job in JOBS.items()}
    assert schedules == {
        "issue_invoices": "daily at 01:00 America/New_York",
        "charge_autopay": "daily at 06:00 America/New_York",
        "plan_reminders": "daily at 08:00 America/New_York",
        "grace_notices": "daily at 09:00 America/New_York",
        "apply_retention": "daily at 03:00 America/New_York",
        "settle_payments": "every 900 s",
        "deliver_notifications": "every 10 s",
        "purge_seals": "every 300 s",
    }


def test_schedules_are_settings(monkeypatch):
    monkeypatch.setenv("CHARGE_AUTOPAY_AT", "05:30")
    monkeypatch.setenv("DELIVER_EVERY_SECONDS", "5")
    settings = Settings()
    assert JOBS["charge_autopay"].schedule(settings, BOSTON) == "daily at 05:30 America/New_York"
    fire = JOBS["charge_autopay"].trigger(settings, BOSTON).get_next_fire_time(
        None, dt.datetime(2026, 11, 17, 5, 0, tzinfo=BOSTON))
    assert fire == dt.datetime(2026, 11, 17, 5, 30, tzinfo=BOSTON)
    assert JOBS["deliver_notifications"].schedule(settings, BOSTON) == "every 5 s"


def test_every_job_catches_up_once_and_never_runs_twice_at_once(svc, settings):
    jobs = build_scheduler(svc, RecordingSender(), settings)
    jobs.start(paused=True)
    try:
        for job in jobs.get_jobs():
            assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, None)
        assert {job.id for job in jobs.get_jobs()} == set(JOBS)
    finally:
        jobs.shutdown(wait=False)


def test_daily_jobs_that_missed_their_time_while_down_run_at_start(svc, settings):
    now = dt.datetime(2026, 11, 17, 10, 0, tzinfo=BOSTON)
    assert overdue_jobs(svc, settings, now) == {"issue_invoices", "charge_autopay",
                                                "plan_reminders", "grace_notices",
                                                "apply_retention"}
    for name in ("issue_invoices", "charge_autopay", "plan_reminders", "apply_retention"):
        job_runs.record_start(svc, name, dt.datetime(2026, 11, 17, 8, 0, tzinfo=BOSTON))
    # plan_reminders ran at 08:00 sharp; the others too, after their 01:00 and 06:00 times.
    assert overdue_jobs(svc, settings, now) == {"grace_notices"}
    assert overdue_jobs(svc, settings, now.replace(hour=8, minute=30)) == {"grace_notices"}
    assert overdue_jobs(svc, settings, now + dt.timedelta(days=1)) == set(JOBS) - {
        "settle_payments", "deliver_notifications", "purge_seals"}


def test_overdue_jobs_are_due_at_once_and_the_others_at_their_time(svc, settings):
    for name in ("issue_invoices", "charge_autopay", "plan_reminders", "grace_notices"):
        job_runs.record_start(svc, name, dt.datetime.now(dt.UTC))
    jobs = build_scheduler(svc, RecordingSender(), settings)
    jobs.start(paused=True)
    try:
        soon = dt.datetime.now(BOSTON) + dt.timedelta(seconds=5)
        due = {job.id: job.next_run_time for job in jobs.get_jobs()}
        assert due["deliver_notifications"] < soon and due["settle_payments"] < soon
        assert due["charge_autopay"].astimezone(BOSTON).time() == dt.time(6, 0)
    finally:
        jobs.shutdown(wait=False)


def test_last_fire_time_of_a_daily_job():
    trigger = JOBS["charge_autopay"].trigger(Settings(), BOSTON)
    assert last_fire_time(trigger, dt.datetime(2026, 11, 17, 10, 0, tzinfo=BOSTON)) == \
        dt.datetime(2026, 11, 17, 6, 0, tzinfo=BOSTON)
    assert last_fire_time(trigger, dt.datetime(2026, 11, 17, 5, 59, tzinfo=BOSTON)) == \
        dt.datetime(2026, 11, 16, 6, 0, tzinfo=BOSTON)


def test_run_job_records_its_run(svc, settings):
    outcome = scheduler.run_job("grace_notices", job_context(svc, RecordingSender(), settings))
    assert outcome == "0 grace-period notices planned"
    run = job_runs.last_runs(svc)["grace_notices"]
    assert (run.last_started_at, run.last_finished_at, run.last_outcome) == (
        svc.now(), svc.now(), outcome)


def test_a_failing_job_is_recorded_and_raises(svc, settings, monkeypatch):
    def broken(ctx, today):
        raise RuntimeError("database gone")

    monkeypatch.setitem(JOBS, "grace_notices", scheduler.Job("grace_notices", "x", broken,
                                                             daily_at=lambda s: "09:00"))
    with pytest.raises(RuntimeError):
        scheduler.run_job("grace_notices", job_context(svc, RecordingSender(), settings))
    assert job_runs.last_runs(svc)["grace_notices"].last_outcome == "failed: RuntimeError"


# --- `healthpay jobs` -----------------------------------------------------------------------


@pytest.fixture
def cli_svc(tmp_path, monkeypatch, clock, policy, secrets):
    """The database the CLI uses, with one member linked to a console chat."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("HEALTHPAY_VAR_DIR", str(tmp_path / "var"))
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    svc = build_services(engine, gateway=FakeGateway(), clock=clock, policy=policy,
                         secrets=secrets)
    member = make_paying_member(svc, coverage_start=dt.date(2026, 12, 1))
    issue_invoices(svc, through=svc.today())
    sessions.link_chat(svc, channel="console", chat_id="terminal", account_id=member.account_id)
    yield svc
    engine.dispose()


def test_jobs_run_at_a_date_plans_and_delivers_and_says_what_it_did(cli_svc, capsys):
    assert cli.main(["jobs", "run", "plan_reminders", "--today", "2026-11-16"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "plan_reminders (Mon, Nov 16, 2026): 1 reminders and autopay notices planned"
    assert out[1].startswith("  to member")
    assert out[1].endswith("(reminder): Your health premium of $412.50 for December is due "
                           "Mon, Nov 23.")
    assert cli.main(["jobs", "run", "deliver_notifications", "--today", "2026-11-16"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "[to console:terminal] Your health premium of $412.50 for December is due Mon, Nov 23.",
        "    [Pay now]",
        "    [Reminder settings]",
        "deliver_notifications (Mon, Nov 16, 2026): 1 sent",
    ]
    with cli_svc.uow() as uow:
        assert uow.session.scalar(select(Notification.status)) == "sent"
        assert uow.session.scalar(select(JobRun)) is None  # a pretend date is not a real run


def test_jobs_list_shows_schedule_next_and_last_run(cli_svc, capsys):
    job_runs.record_start(cli_svc, "charge_autopay", dt.datetime(2026, 11, 17, 11, tzinfo=dt.UTC))
    job_runs.record_finish(cli_svc, "charge_autopay", dt.datetime(2026, 11, 17, 11, 1,
                                                                  tzinfo=dt.UTC), "2 charged")
    assert cli.main(["jobs", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    autopay_line = next(line for line in lines if line.startswith("charge_autopay"))
    assert "daily at 06:00 America/New_York" in autopay_line
    assert " 06:00  last run 2026-11-17 06:00: 2 charged" in autopay_line
    assert any(line.startswith("deliver_notifications") and "not run yet" in line
               for line in lines)
