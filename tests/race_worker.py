"""One side of the money races (tests/races.py) in a process of its own, for the two-process
race tests on PostgreSQL (tests/integration/test_money_races.py).

    python -m tests.race_worker URL SCENARIO SIDE TRIALS_JSON OUT --start-at T0 --interval S

Trial n starts at T0 + n * S on both processes (their clocks are the machine's), so the two
sides of each trial start at the same moment. OUT gets one JSON line per move ("move") and per
charge the gateway made ("charge"), each with the time it ended.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path

from services.adapters.clocks import FixedClock
from services.adapters.sandbox_gateway import SandboxGateway
from services.persistence.database import make_engine, make_session_factory
from services.policy import load_policy
from tests.conftest import build_services
from tests.races import NOW, TimedGateway, from_json, run_move


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("scenario")
    parser.add_argument("side", type=int)
    parser.add_argument("trials", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--start-at", type=float, required=True)
    parser.add_argument("--interval", type=float, required=True)
    args = parser.parse_args()

    trials = [from_json(data) for data in json.loads(args.trials.read_text())]
    engine = make_engine(args.url)
    clock = FixedClock(NOW)
    lines: list[dict] = []
    gateway = TimedGateway(SandboxGateway(make_session_factory(engine), clock),
                           lambda account, at: lines.append(
                               {"charge": account, "ended_at": at}))
    svc = build_services(engine, gateway=gateway, clock=clock, policy=load_policy(),
                         secrets=None)
    for number, trial in enumerate(trials):
        time.sleep(max(args.start_at + number * args.interval - time.time(), 0))
        lines.append({"move": asdict(run_move(svc, args.scenario, args.side, number, trial))})
    args.out.write_text("".join(json.dumps(line) + "\n" for line in lines))
    engine.dispose()


if __name__ == "__main__":
    main()
