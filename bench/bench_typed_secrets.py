"""The chat's card-number and SSN detector (dialogs.engine.nlu.redaction): time per message,
and that it stays linear on inputs built to make a detector backtrack or check every window.

    .venv/bin/python -m bench.bench_typed_secrets

Every message passes through it (engine, NLU, logs, transcripts, Telegram edits), so a slow
pattern would let one member freeze a worker. For each hostile shape the time per character is
measured at 16 KiB and at 128 KiB: linear time keeps the ratio near 1 (below 16 KiB the CPU's
caches flatter the small input). Targets: an ordinary message under 50 µs at the median; every
hostile shape's per-character time at 128 KiB within 2x of its time at 16 KiB; a 4,096-character
message (Telegram's limit) under 10 ms. Exits 1 when a target is missed. Takes about 15 s.
"""

from __future__ import annotations

import statistics
import sys
import time

from dialogs.engine.nlu.redaction import redact_secrets

ORDINARY = [
    "how much do I owe this month?",
    "pay $120.50 on my dental plan with my checking account",
    "my card is 4242 4242 4242 4242 exp 12/28 cvc 123",
    "my social is 555 12 3456",
    "did HC-7K3M-9Q2D go through? I paid on 11/23/2026 from 617-555-0123",
]
# Pieces repeated to the wanted length: digit groups and separator runs in every mix.
HOSTILE = {
    "digits and spaces": "1 ",
    "card-sized groups": "4242 ",
    "digits and dash runs": "12 - ",
    "long separator runs": "1" + " -/_," * 8,
    "short groups, commas": "12, ",
    "nine-digit runs": "555123456 ssn ",
    "one long digit run": "4",
    "labels without numbers": "exp cvc ",
}
TELEGRAM_LIMIT, SMALL, LARGE = 4096, 16384, 131072


def sized(piece: str, length: int) -> str:
    return (piece * (length // len(piece) + 1))[:length]


def per_char_ns(text: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        redact_secrets(text)
        best = min(best, time.perf_counter() - started)
    return best / len(text) * 1e9


def main() -> int:
    timings = []
    for _ in range(400):
        for text in ORDINARY:
            started = time.perf_counter()
            redact_secrets(text)
            timings.append(time.perf_counter() - started)
    median_us = statistics.median(timings) * 1e6
    print(f"ordinary messages: median {median_us:.1f} µs, "
          f"p99 {statistics.quantiles(timings, n=100)[98] * 1e6:.1f} µs")
    failed = median_us >= 50
    slowest_ms = 0.0
    print(f"{'hostile shape':<24} {'ms at 4 KiB':>11} {'ns/char 16 KiB':>15} "
          f"{'ns/char 128 KiB':>16} {'ratio':>6}")
    for name, piece in HOSTILE.items():
        limit_ms = per_char_ns(sized(piece, TELEGRAM_LIMIT), 20) * TELEGRAM_LIMIT / 1e6
        small_ns = per_char_ns(sized(piece, SMALL), 10)
        large_ns = per_char_ns(sized(piece, LARGE), 3)
        ratio = large_ns / small_ns
        slowest_ms = max(slowest_ms, limit_ms)
        failed |= ratio > 2
        print(f"{name:<24} {limit_ms:11.2f} {small_ns:15.0f} {large_ns:16.0f} {ratio:6.2f}")
    print(f"slowest 4,096-character message: {slowest_ms:.2f} ms")
    failed |= slowest_ms >= 10
    print("targets", "MISSED" if failed else "met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
