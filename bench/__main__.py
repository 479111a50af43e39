"""`make bench` (`python -m bench`): every benchmark in bench/, then the fault and abuse suites,
one after another, each in a process of its own; their figures, then a summary.

    .venv/bin/python -m bench                   # everything
    .venv/bin/python -m bench nlu faults        # some: benchmark names (bench_<name>.py) or
                                                # the suites "faults" and "abuse"

The figures and what they mean are in bench/README.md. Exits 1 when anything failed.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
# The suites that try faults and abuse: `pytest -q` on these files, their count of cases run.
SUITES = {
    "faults": [
        "tests/integration/test_faults_payments.py",
        "tests/integration/test_crash_recovery.py",
        "tests/integration/test_faults_database.py",
        "tests/e2e/test_faults_turns.py",
        "tests/e2e/telegram/test_telegram_faults.py",
    ],
    "abuse": [
        "tests/e2e/test_fuzz_engine.py",
        "tests/e2e/test_http_fuzz.py",
        "tests/e2e/test_brute_force.py",
        "tests/e2e/test_impersonation.py",
        "tests/e2e/test_no_secrets_at_rest.py",
        "tests/unit/test_logging_setup.py",
        "tests/unit/test_stripe_event_shapes.py",
    ],
}


def benchmarks() -> list[str]:
    return sorted(path.stem.removeprefix("bench_") for path in HERE.glob("bench_*.py"))


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    model = next((line.split(":", 1)[1].strip() for line in lines
                  if line.startswith("model name")), platform.processor() or "unknown CPU")
    return f"{os.cpu_count()} CPUs, {model}, Python {platform.python_version()}"


def command(name: str) -> list[str]:
    if name in SUITES:
        return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SUITES[name]]
    return [sys.executable, "-m", f"bench.bench_{name}"]


def main(names: list[str]) -> int:
    known = benchmarks() + list(SUITES)
    unknown = [name for name in names if name not in known]
    if unknown:
        print(f"unknown: {', '.join(unknown)}; choose from {', '.join(known)}", file=sys.stderr)
        return 2
    print(f"HealthPay benchmarks, {dt.date.today():%Y-%m-%d}, {machine()}\n", flush=True)
    results = []
    for name in names or known:
        print(f"=== {name}: {' '.join(command(name)[1:])}", flush=True)
        started = time.perf_counter()
        code = subprocess.run(command(name), cwd=PROJECT).returncode
        results.append((name, code, time.perf_counter() - started))
        print(flush=True)
    print("=== summary")
    for name, code, took in results:
        print(f"{name:<16} {'ok' if code == 0 else f'FAILED (exit {code})':<18} {took:6.0f} s")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
