"""When each scheduled job last ran and how it went (table job_runs), for catching up after a
restart and for `healthpay jobs list`. Several workers write the same rows: the last one wins,
which is all either use needs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from services.context import Services
from services.persistence.bulk import insert_missing
from services.persistence.models import JobRun


def record_start(svc: Services, name: str, at: dt.datetime) -> None:
    _update(svc, name, last_started_at=at)


def record_finish(svc: Services, name: str, at: dt.datetime, outcome: str) -> None:
    _update(svc, name, last_finished_at=at, last_outcome=outcome[:300])


def last_runs(svc: Services) -> dict[str, JobRun]:
    with svc.uow() as uow:
        runs = {run.name: run for run in uow.session.scalars(select(JobRun))}
        uow.session.expunge_all()
        return runs


def _update(svc: Services, name: str, **values) -> None:
    with svc.uow() as uow:
        insert_missing(uow.session, JobRun.__table__, [{"name": name}], unique=["name"])
        run = uow.session.get(JobRun, name, with_for_update=True)
        for key, value in values.items():
            setattr(run, key, value)
        uow.commit()
