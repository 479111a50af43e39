"""Reading amounts from what members type, against the inputs that froze a worker (issue 16):
parse_amount and the NLU's amount entities on up to 4,096 characters of spaces, digits and
separators.

    .venv/bin/python -m bench.bench_amounts [--repeat 20]

Target: every input parsed or refused by parse_amount within 10 ms (the old pattern took
6.6-13 s for 75 spaces and an "x", and hours for a few hundred), and by the whole NLU parse
within 100 ms (linear, but not free: it is the other cost of a long message; the search for a
request at the end of a message was quadratic in a run of spaces, 450 ms for 4,095 of them).
Exits 1 when a target is missed. Takes a few seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time

from dialogs.engine.nlu.interpreter import NluInterpreter
from services.errors import InvalidAmount
from services.money import parse_amount

TARGET_MS = 10.0
NLU_TARGET_MS = 100.0
INPUTS = {
    "75 spaces and an x": " " * 75 + "x",
    "4,095 spaces and an x": " " * 4095 + "x",
    "$ then 4,094 spaces and an x": "$" + " " * 4094 + "x",
    "usd then 4,092 spaces and an x": "usd" + " " * 4092 + "x",
    "4,096 digits": "1" * 4096,
    "1,000,000,... 4,096 characters": "1" + ",000" * 1023 + "x",
    "'1 ' x 2,048": "1 " * 2048,
    "'- ' x 2,048": "- " * 2048,
    "spaces around $1,234.50": " " * 2000 + "$1,234.50" + " " * 2000,
}


def slowest_ms(call, repeat: int) -> float:
    slowest = 0.0
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        slowest = max(slowest, time.perf_counter() - started)
    return slowest * 1000


def refused_or_cents(text: str) -> str:
    try:
        return str(parse_amount(text))
    except InvalidAmount:
        return "refused"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    nlu = NluInterpreter.load()
    today = dt.date(2026, 11, 20)
    worst = nlu_worst = 0.0
    print(f"{'input':34} {'parse_amount':>14} {'NLU parse':>11}  answer")
    for name, text in INPUTS.items():
        amount_ms = slowest_ms(lambda text=text: refused_or_cents(text), args.repeat)
        nlu_ms = slowest_ms(lambda text=text: nlu.parse(text, today), max(args.repeat // 4, 1))
        worst, nlu_worst = max(worst, amount_ms), max(nlu_worst, nlu_ms)
        print(f"{name:34} {amount_ms:11.3f} ms {nlu_ms:8.1f} ms  {refused_or_cents(text)}")
    met, nlu_met = worst < TARGET_MS, nlu_worst < NLU_TARGET_MS
    print(f"parse_amount slowest {worst:.3f} ms (target < {TARGET_MS:.0f} ms): "
          f"{'met' if met else 'MISSED'}")
    print(f"NLU parse slowest {nlu_worst:.1f} ms (target < {NLU_TARGET_MS:.0f} ms): "
          f"{'met' if nlu_met else 'MISSED'}")
    return 0 if met and nlu_met else 1


if __name__ == "__main__":
    sys.exit(main())
