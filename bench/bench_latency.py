"""No member can freeze a worker (issue 16): `/healthz` and another member's turn, timed while
the worker is idle, while six clients guess passwords, and while the payment gateway takes 8 s
to answer each call.

    .venv/bin/python -m bench latency
    .venv/bin/python -m bench.bench_latency [--seconds 10] [--tree DIR]

One worker (`healthpay serve`, SQLite, the demo members, the scheduler off) on 127.0.0.1, with
Stripe as its gateway: the local Stripe stub of the tests (tests/stripe_stub.py), answering
every call after 8 s in the third phase. A probe sends, one after another, `GET /healthz` and a
visitor's question ("when is my premium due?"), 50 ms apart, for `--seconds` a phase:
- idle: nothing else;
- guessing: six clients guess passwords as fast as the worker answers them (each guess from
  a new chat, for an unknown username: every one costs an argon2id check);
- slow gateway: six logged-in members ask for the page to add a card, which asks Stripe for a
  customer and a checkout session, each answered after 8 s.
Target: in each busy phase, p99 of both within 100 ms of the idle p99.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.bench_load import PASSWORD, PROJECT, REST, Workers

sys.path.insert(0, str(PROJECT))
from tests.stripe_stub import StripeStub  # noqa: E402 - the tests' stub, from the project root

TARGET_MS = 100.0
CLIENTS = 6
GATEWAY_SECONDS = 8.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] if ordered else 0.0


class Probe:
    def __init__(self, session: aiohttp.ClientSession, base: str):
        self.session = session
        self.base = base
        self.senders = itertools.count()

    async def turn(self, sender: str, message: str) -> list[dict]:
        async with self.session.post(f"{self.base}{REST}",
                                     json={"sender": sender, "message": message}) as response:
            response.raise_for_status()
            return await response.json()

    async def measure(self, seconds: float) -> tuple[list[float], list[float]]:
        health, turns = [], []
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            async with self.session.get(f"{self.base}/healthz") as response:
                await response.read()
            health.append(time.perf_counter() - started)
            await asyncio.sleep(0.05)
            started = time.perf_counter()
            await self.turn(f"probe-{next(self.senders) % 20}", "when is my premium due?")
            turns.append(time.perf_counter() - started)
            await asyncio.sleep(0.05)
        return health, turns

    async def guess_passwords(self, client: int, stop: asyncio.Event) -> int:
        guesses = 0
        while not stop.is_set():
            sender = f"guesser-{client}-{next(self.senders)}"
            await self.turn(sender, "/log_in")
            await self.turn(sender, f"nobody{client}x{guesses}")
            await self.turn(sender, "Wrong-Guess-2026")
            guesses += 1
        return guesses

    async def log_in(self, sender: str, username: str) -> None:
        for message in ("/log_in", username, PASSWORD):
            await self.turn(sender, message)

    async def add_cards(self, sender: str, stop: asyncio.Event) -> int:
        asked = 0
        while not stop.is_set():
            replies = await self.turn(sender, "/manage_payment_methods")
            add = next(button["payload"] for reply in replies
                       for button in reply.get("buttons") or ()
                       if button["title"].startswith("Add a card"))
            await self.turn(sender, add)
            asked += 1
        return asked


async def phase(probe: Probe, name: str, seconds: float, load) -> dict:
    stop = asyncio.Event()
    busy = [asyncio.create_task(work(stop)) for work in load]
    await asyncio.sleep(1.0 if load else 0)  # the load under way before timing
    health, turns = await probe.measure(seconds)
    stop.set()
    done = await asyncio.gather(*busy)
    figures = {"phase": name, "health_p50": percentile(health, 50) * 1000,
               "health_p99": percentile(health, 99) * 1000,
               "turn_p50": percentile(turns, 50) * 1000, "turn_p99": percentile(turns, 99) * 1000,
               "load_done": sum(done)}
    print(f"{name:<13} /healthz p50 {figures['health_p50']:6.1f} ms, p99 "
          f"{figures['health_p99']:7.1f} ms; another member's turn p50 "
          f"{figures['turn_p50']:6.1f} ms, p99 {figures['turn_p99']:7.1f} ms"
          f"{f'  ({sum(done)} done by the load)' if load else ''}", flush=True)
    return figures


async def run(args) -> int:
    with StripeStub() as stub, tempfile.TemporaryDirectory(prefix="bench-latency-") as var:
        workers = Workers(args.tree.resolve(), f"sqlite:///{Path(var) / 'healthpay.db'}",
                          Path(var), 1)
        workers.prepare()
        workers.env.update({"PAYMENT_GATEWAY": "stripe", "STRIPE_API_KEY": "sk_test_bench",
                            "STRIPE_API_BASE": stub.url})
        workers.start()
        try:
            base = f"http://127.0.0.1:{workers.ports[0]}"
            timeout = aiohttp.ClientTimeout(total=120)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                probe = Probe(session, base)
                members = [f"card-{n}" for n in range(CLIENTS)]
                for n, sender in enumerate(members):
                    await probe.log_in(sender, ("alex", "maria", "spatel")[n % 3])
                idle = await phase(probe, "idle", args.seconds, [])
                guessing = await phase(probe, "guessing", args.seconds, [
                    lambda stop, n=n: probe.guess_passwords(n, stop) for n in range(CLIENTS)])
                stub.fail_next("slow", times=100_000, delay=GATEWAY_SECONDS)
                slow = await phase(probe, "slow gateway", args.seconds, [
                    lambda stop, s=s: probe.add_cards(s, stop) for s in members])
        finally:
            workers.stop()
    met = True
    for busy in (guessing, slow):
        for what in ("health", "turn"):
            over = busy[f"{what}_p99"] - idle[f"{what}_p99"]
            met = met and over <= TARGET_MS
            print(f"{busy['phase']}: {what} p99 {over:+.1f} ms against idle")
    print(f"target: p99 within {TARGET_MS:.0f} ms of idle: {'met' if met else 'NOT met'} "
          f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    return 0 if met else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--tree", type=Path, default=PROJECT)
    args = parser.parse_args(argv)
    if not 1 <= args.seconds <= 300:
        parser.error("--seconds: 1 to 300")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
