"""One bill, one charge, whatever races (issue 16): two money moves on one member's full
balance, started at the same moment, 20 trials per scenario (tests/races.py says which).

Threads on SQLite and PostgreSQL, and two processes on PostgreSQL (tests/race_worker.py, the
documented scale-out: two workers sharing the database). Charges are counted in the sandbox
gateway's own ledger and in the payments table; none may be doubled, and a member told that
autopay is cancelled is never charged after.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from services.adapters.sandbox_gateway import SandboxGateway
from services.persistence.database import make_engine, make_session_factory
from services.persistence.models import Base
from tests.concurrency import run_together
from tests.conftest import build_services, emptied
from tests.races import (
    NOW,
    SCENARIOS,
    Move,
    TimedGateway,
    as_json,
    charged_after_told_cancelled,
    charges_per_account,
    doubles,
    prepare,
    run_move,
    succeeded_per_account,
)

PROJECT = Path(__file__).resolve().parents[2]
TRIALS = 20
# One charge per trial, whoever wins; cancel vs charge may end with none (cancelled first).
ONE_CHARGE_EACH = ("member_vs_member", "member_vs_autopay", "invoice_vs_yes",
                   "invoice_vs_other_chat")


class Charges:
    def __init__(self):
        self.seen: list[tuple[int, float]] = []
        self._lock = threading.Lock()

    def note(self, account: int, at: float) -> None:
        with self._lock:
            self.seen.append((account, at))


def services_on(engine, clock, policy, secrets, charges: Charges):
    clock.set(NOW)
    gateway = TimedGateway(SandboxGateway(make_session_factory(engine), clock), charges.note)
    return build_services(engine, gateway=gateway, clock=clock, policy=policy, secrets=secrets)


def check(svc, scenario, trials, moves: list[tuple[Move, Move]], charged) -> None:
    outcomes = Counter(f"{first.outcome}/{second.outcome}" for first, second in moves)
    doubled = doubles(svc, trials)
    assert doubled == {}, f"{len(doubled)} of {len(trials)} charged twice; moves: {outcomes}"
    counted = charges_per_account(svc)
    if scenario in ONE_CHARGE_EACH:
        assert all(counted[t.account_id] == 1 for t in trials), (counted, outcomes)
        succeeded = succeeded_per_account(svc)
        assert all(succeeded[t.account_id] == 1 for t in trials), outcomes
    else:
        cancels = [pair[0] for pair in moves]
        late = charged_after_told_cancelled(trials, cancels, charged)
        assert late == [], (f"{len(late)} of {len(trials)} charged after being told "
                            f"cancelled; moves: {outcomes}")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_two_threads_racing_on_one_bill_charge_it_once(engine, clock, policy, secrets,
                                                       scenario):
    charges = Charges()
    svc = services_on(engine, clock, policy, secrets, charges)
    trials = prepare(svc, scenario, TRIALS)
    moves = []
    for number, trial in enumerate(trials):
        pair = run_together(*(partial(run_move, svc, scenario, side, number, trial)
                              for side in (0, 1)))
        assert not [m for m in pair if isinstance(m, Exception)], pair
        moves.append(tuple(pair))
    check(svc, scenario, trials, moves, charges.seen)


@pytest.fixture
def url(postgres_url):
    engine = create_engine(emptied(postgres_url))
    Base.metadata.create_all(engine)
    engine.dispose()
    return postgres_url


@pytest.mark.postgres
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_two_processes_racing_on_one_bill_charge_it_once(url, clock, policy, secrets,
                                                         scenario, tmp_path):
    engine = make_engine(url)
    charges = Charges()
    svc = services_on(engine, clock, policy, secrets, charges)
    trials = prepare(svc, scenario, TRIALS)
    trials_file = tmp_path / "trials.json"
    trials_file.write_text(json.dumps([as_json(trial) for trial in trials]))
    outs = [tmp_path / f"side{side}.jsonl" for side in (0, 1)]
    start = f"{time.time() + 4:.3f}"  # both processes have imported everything by then
    workers = [subprocess.Popen(
        [sys.executable, "-m", "tests.race_worker", url, scenario, str(side), str(trials_file),
         str(out), "--start-at", start, "--interval", "0.3"], cwd=PROJECT)
        for side, out in enumerate(outs)]
    for worker in workers:
        assert worker.wait(timeout=120) == 0
    sides = [[json.loads(line) for line in out.read_text().splitlines()] for out in outs]
    moves = list(zip(*([Move(**line["move"]) for line in lines if "move" in line]
                       for lines in sides), strict=True))
    charged = [(line["charge"], line["ended_at"]) for lines in sides for line in lines
               if "charge" in line]
    check(svc, scenario, trials, moves, charged)
    engine.dispose()
