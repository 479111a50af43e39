"""A worker process for the multi-worker tests: runs one job against a database, then exits.

    python -m tests.job_worker deliver URL OUT [--sleep S] [--batch N] [--claim-lease S]
                                               [--send-lease S] [--start-at UNIX_TIME]
    python -m tests.job_worker autopay URL [OUT] --today YYYY-MM-DD [--start-at UNIX_TIME]

`deliver` appends each message it sends to OUT (one line, flushed to disk before the send
returns) and then sleeps, which puts a SIGKILL in the window between sending and recording it.
`autopay` writes to OUT how many periods it charged. `--start-at` lines several workers up
on the same moment once their imports are done.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from pathlib import Path

from services.adapters.clocks import FixedClock, SystemClock
from services.adapters.sandbox_gateway import SandboxGateway
from services.autopay import charge_autopay_due
from services.delivery import DeliveryOptions, deliver_due
from services.pacing import DatabasePacer
from services.persistence.database import make_engine, make_session_factory
from services.policy import load_policy
from tests.conftest import build_services

SECRETS = None  # these jobs never hash an SSN or sign a token


class FileSender:
    channels = frozenset({"telegram"})

    def __init__(self, path: str, sleep: float):
        self._path = path
        self._sleep = sleep

    def send(self, channel, chat_id, text, buttons=None):
        with open(self._path, "a") as out:
            out.write(text + "\n")
            out.flush()
            os.fsync(out.fileno())
        time.sleep(self._sleep)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("job", choices=["deliver", "autopay"])
    parser.add_argument("url")
    parser.add_argument("out", nargs="?")
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--claim-lease", type=float, default=60)
    parser.add_argument("--send-lease", type=float, default=60)
    parser.add_argument("--today", type=dt.date.fromisoformat)
    parser.add_argument("--start-at", type=float, default=0.0)
    args = parser.parse_args()

    engine = make_engine(args.url)
    clock = FixedClock(dt.datetime.combine(args.today, dt.time(11), tzinfo=dt.UTC)) \
        if args.today else SystemClock()
    gateway = SandboxGateway(make_session_factory(engine), clock)
    svc = build_services(engine, gateway=gateway, clock=clock, policy=load_policy(),
                         secrets=SECRETS)
    time.sleep(max(args.start_at - time.time(), 0))
    if args.job == "deliver":
        options = DeliveryOptions(batch=args.batch,
                                  claim_lease=dt.timedelta(seconds=args.claim_lease),
                                  send_lease=dt.timedelta(seconds=args.send_lease))
        deliver_due(svc, FileSender(args.out, args.sleep),
                    pacer=DatabasePacer(svc.uow_factory, "test", 1000), options=options)
    else:
        charged = len(charge_autopay_due(svc, args.today))
        if args.out:
            Path(args.out).write_text(str(charged))
    engine.dispose()


if __name__ == "__main__":
    main()
