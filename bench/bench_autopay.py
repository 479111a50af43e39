"""Autopay for 10,000 due mandates, charged by two worker processes at once on one PostgreSQL
database, against the sandbox gateway with a rate limit.

    .venv/bin/python -m bench.bench_autopay [--mandates 10000] [--limit 25] [--workers 2]

Every worker runs charge_autopay_due for the same day. Their gateway is the sandbox wrapped in
PacedGateway with the shared DatabasePacer at the limit, so together they keep to it; each
sandbox also enforces the whole limit itself (a token bucket holding one second's worth) and
answers "rate limited" beyond it, which leaves that payment pending. Every call that reaches
the gateway is timed, and the busiest second across both workers is reported. Duplicates are
counted in the sandbox's own ledger: more than one charge for a mandate and billing period is a
duplicate. Throughput is charges a second from the first charge to the last.
Target (issue 7): no duplicates, at least 90% of the limit.

The default limit is Stripe's in test mode, 25 requests a second, which the sandbox imitates;
10,000 charges at that rate take about seven minutes. Each charge costs charge_autopay_due
some forty statements and ten commits, so on a small machine the workers, not the limit, set
the pace: run with --limit 1000 to see what they can do.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from sqlalchemy import func, select

from bench.pg_data import Member, load_members, private_database, services
from services.adapters.paced_gateway import GATEWAY_BURST_SECONDS, PacedGateway
from services.autopay import charge_autopay_due
from services.pacing import DatabasePacer
from services.persistence.models import AutopayCharge, SandboxCharge
from services.policy import load_policy

TODAY = dt.date(2026, 11, 20)  # 3 days before the bill due Mon, Nov 23
NOW = dt.datetime(2026, 11, 20, 11, tzinfo=dt.UTC)


def worker(url: str, limit: float, times_file: str) -> None:
    calls: list[float] = []

    def time_call(stage, request) -> None:
        if stage == "before_charge":
            calls.append(time.time())

    svc = services(url, NOW, rate_limit_per_second=limit, fault_injector=time_call)
    svc = replace(svc, gateway=PacedGateway(svc.gateway, DatabasePacer(
        svc.uow_factory, "gateway", limit, burst_seconds=GATEWAY_BURST_SECONDS)))
    results = charge_autopay_due(svc, TODAY)
    Path(times_file).write_text(json.dumps({
        "calls": calls, "results": Counter(result.status for result in results)}))


def run(mandates: int, limit: float, workers: int) -> None:
    with private_database("healthpay_bench_autopay") as url, \
            tempfile.TemporaryDirectory() as scratch:
        load_members(url, [Member(id=n, autopay=True, chat=False)
                           for n in range(1, mandates + 1)],
                     first_month=dt.date(2026, 10, 1), months=3, policy=load_policy())
        files = [str(Path(scratch) / f"worker{n}.json") for n in range(workers)]
        started = time.monotonic()
        processes = [subprocess.Popen([sys.executable, "-m", "bench.bench_autopay", "--worker",
                                       url, str(limit), file]) for file in files]
        for process in processes:
            if process.wait() != 0:
                raise SystemExit("a worker failed")
        took = time.monotonic() - started
        runs = [json.loads(Path(file).read_text()) for file in files]
        svc = services(url, NOW)
        with svc.uow() as uow:
            keys = uow.session.scalars(select(SandboxCharge.idempotency_key)).all()
            charged = uow.session.scalar(select(func.count()).select_from(AutopayCharge)
                                         .where(AutopayCharge.status == "charged"))
    report(runs, keys, charged, mandates, limit, took)


def report(runs: list[dict], keys: list[str], charged: int, mandates: int, limit: float,
           took: float) -> None:
    calls = sorted(at for run in runs for at in run["calls"])
    per_period = Counter(key.rsplit("-", 1)[0] for key in keys)  # hp-autopay-<m>-<period>
    duplicates = sum(count - 1 for count in per_period.values())
    throughput = (len(calls) - 1) / (calls[-1] - calls[0])
    busiest = max(bisect.bisect_left(calls, at + 1.0) - index for index, at in enumerate(calls))
    outcomes = Counter()
    for run in runs:
        outcomes.update(run["results"])
    print(f"{len(runs)} workers, {mandates:,} mandates due, gateway limit {limit:g}/s")
    print(f"run took {took:.1f} s (worker start-up included); charges per worker: "
          + ", ".join(str(len(run["calls"])) for run in runs))
    # A call the sandbox refused for its limit leaves the payment pending.
    print(f"results: {dict(outcomes)}; autopay periods charged: {charged:,}; refused by the "
          f"gateway's limit: {outcomes.get('pending', 0)}")
    print(f"gateway charges {len(keys):,}, mandate-periods charged twice: {duplicates}")
    print(f"throughput {throughput:.1f} charges/s = {throughput / limit:.1%} of the limit; "
          f"busiest second {busiest} calls")
    ok = (duplicates == 0 and charged == mandates and not outcomes.get("pending")
          and throughput >= 0.9 * limit)
    print("target (no duplicates, every mandate charged, none refused, >= 90% of the limit): "
          + ("PASS" if ok else "FAIL"))


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:
        worker(sys.argv[2], float(sys.argv[3]), sys.argv[4])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mandates", type=int, default=10_000)
    parser.add_argument("--limit", type=float, default=25.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    run(args.mandates, args.limit, args.workers)


if __name__ == "__main__":
    main()
