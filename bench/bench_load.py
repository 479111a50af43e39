"""Load held (issue 17): turns a second offered to HealthPay's REST channel, as a busy morning
after the reminders went out would send them.

    .venv/bin/python -m bench load                      # 100 turns/s for 15 s, both set-ups
    .venv/bin/python -m bench.bench_load --rate 150 --seconds 15 --setup pg2
    .venv/bin/python -m bench.bench_load --sweep        # the highest rate each set-up holds
    .venv/bin/python -m bench.bench_load --soak         # 10 minutes: memory and connections
    .venv/bin/python -m bench.bench_load --closed       # 50 members a worker, back to back
    .venv/bin/python -m bench.bench_load --tree DIR     # another checkout's code (a "before")

Set-ups: `pg2`, two workers on one PostgreSQL database (a private one, dropped afterwards),
and `sqlite1`, one worker on a SQLite file. Each worker is `healthpay serve` in a process of
its own on a port of its own on 127.0.0.1, the scheduler off; this process balances turns over
the workers turn by turn, without stickiness, as a load balancer would, so one member's turns
land on both workers. Nothing but loopback addresses is used, and every run is bounded.

Open loop: turns start at the given rate (Poisson arrivals) whatever the answers do; each turn
goes to a member who is not waiting for an answer and has finished thinking (1-4 s after their
last answer), a new visitor joining when every member is busy. The mix: visitors asking general
questions, each leaving after 2 to 8 messages, a new visitor (a new chat) taking their place, so
that a run meets as many distinct chats as a real morning (thousands in a soak); members logged
in to the demo accounts (logged in before the clock starts) asking their balance and history,
or starting a payment and cancelling it, all through the run (their sessions grow long: what
MAX_SESSION_EVENTS and the caches' bounds are for). A turn has failed when it gets no 200
within 60 s or the engine's apology; a "busy" reply is counted apart.

The soak (`--soak`) first runs a warm-up at the same rate, in which the workers' caches of
recent conversations fill (TRACKER_CACHE_EVENTS, SESSION_CACHE_CHARS): at least 60 s and until
both caches of every worker are 90% full by their /metrics, at most `--soak-warm-up` (300 s).
Memory and connections are taken from the end of the warm-up, then each minute, and at the
end; flat means within 10% of the start.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import heapq
import itertools
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

PROJECT = Path(__file__).resolve().parent.parent
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REST = "/webhooks/rest/webhook"
PASSWORD = "Premium-Demo-2026"
DEMO_USERNAMES = ["alex", "maria", "james", "linda", "spatel", "dana"]
# Questions that need no log-in. (Not "how can I pay": a visitor is asked to log in, and the
# next question would be taken for a username, the one after for a password: argon2 work.)
VISITOR_QUESTIONS = ["hi", "help", "when is my premium due", "what happens if I miss a payment",
                     "do you charge late fees?", "what is a grace period?", "thanks"]
MEMBER_QUESTIONS = ["what do I owe?", "/balance", "payment history", "when is my premium due"]
APOLOGY = "Sorry, something went wrong"
BUSY = "very busy"
HELD_P99_SECONDS = 0.5
TURN_TIMEOUT = 60.0
MAX_MEMBERS = 3000  # a bound on visitors joining when every member waits
VISIT_TURNS = (2, 8)  # messages a visitor sends before leaving (a new one takes their place)
FLAT_WITHIN = 0.10  # the soak's memory and connections: flat within 10% of the start
MIN_WARM_UP = 60.0  # seconds of the soak's warm-up at least...
WARM_FILLED = 0.9  # ...and until every worker's caches are this full (or --soak-warm-up ends)


@dataclass
class Member:
    sender: str
    logged_in: bool
    paying: bool = False  # started a payment: the next turn cancels it
    turns_left: int | None = None  # a visitor's messages before leaving; members stay

    def next_message(self, rng: random.Random) -> str:
        if self.paying:
            self.paying = False
            return "cancel"
        if self.logged_in and rng.random() < 0.25:
            self.paying = True
            return "/pay"
        return rng.choice(MEMBER_QUESTIONS if self.logged_in else VISITOR_QUESTIONS)


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    failed: int = 0
    busy: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    first_sent: float = 0.0
    last_done: float = 0.0

    def record(self, started: float, outcome: str) -> None:
        done = time.perf_counter()
        self.last_done = max(self.last_done, done)
        if outcome == "ok":
            self.latencies.append(done - started)
        elif outcome == "busy":
            self.busy += 1
            self.latencies.append(done - started)
        else:
            self.failed += 1
            self.errors[outcome] = self.errors.get(outcome, 0) + 1

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


# --- the workers -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def private_postgres() -> Iterator[str]:
    url = os.environ.get("DATABASE_URL", "")
    admin_url = url if url.startswith("postgresql") else DEFAULT_PG_URL
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"bench_load_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{admin_url.rpartition('/')[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Workers:
    """`count` HealthPay processes of the code in `tree`, over one database."""

    def __init__(self, tree: Path, database_url: str, var_dir: Path, count: int):
        self.tree = tree
        self.env = {**os.environ, "PYTHONPATH": str(tree), "DATABASE_URL": database_url,
                    "HEALTHPAY_VAR_DIR": str(var_dir), "SCHEDULER_ENABLED": "false",
                    "LOG_LEVEL": "WARNING", "REST_AUTH_TOKEN": "",
                    # One load generator is one client address standing for many members'
                    # devices behind a front-end, and its members send faster than a person:
                    # the REST channel's per-sender and per-client limits (429) would measure
                    # themselves, not the turns. 0: no limit.
                    "REST_SENDER_RATE_PER_MINUTE": "0", "REST_CLIENT_RATE_PER_MINUTE": "0",
                    # As behind a load balancer: the server keeps idle connections open longer
                    # than the client does (3 s), so the client never sends on one the server
                    # is closing. With uvicorn's 5 s, a client loop late by 2 s on this shared
                    # machine did: 60 of 30,000 turns were reset in a soak.
                    "HTTP_KEEP_ALIVE_SECONDS": "65"}
        self.count = count
        self.log_path = var_dir / "workers.log"
        self.ports: list[int] = []
        self.processes: list[subprocess.Popen] = []
        self.database_url = database_url

    def cli(self, *args: str) -> None:
        subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=self.tree, env=self.env,
                       check=True, stdout=subprocess.DEVNULL)

    def prepare(self) -> None:
        """The schema and the demo members (seeded with the sandbox gateway)."""
        self.cli("db", "upgrade")
        self.cli("demo", "seed")

    def start(self) -> None:
        log = self.log_path.open("ab")
        for _ in range(self.count):  # one after another: the first trains and caches the NLU
            port = free_port()
            self.processes.append(subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
                cwd=self.tree, env=self.env, stdout=subprocess.DEVNULL, stderr=log))
            self.ports.append(port)
            wait_ready(port, self.processes[-1])

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()

    def logged_errors(self) -> dict[str, int]:
        """What the workers logged at ERROR, by message (the sender left out)."""
        counts: dict[str, int] = {}
        for line in self.log_path.read_text(errors="replace").splitlines():
            if '"level": "ERROR"' in line:
                message = line.split('"message": "', 1)[-1].split('"', 1)[0]
                key = message.split(" for sender")[0][:80]
                counts[key] = counts.get(key, 0) + 1
        return counts

    def cpu_seconds(self) -> float:
        """CPU time the workers used so far (what a turn costs, whatever else the machine
        does meanwhile)."""
        ticks = 0
        for process in self.processes:
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def caches_filled(self) -> list[float]:
        """How full each worker's caches of recent conversations are, the fuller of the two
        caches left out: the emptier one's size over its limit (from /metrics)."""
        filled = []
        for port in self.ports:
            text_ = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text
            found = {(sample.labels["cache"], sample.labels["measure"]): sample.value
                     for family in text_string_to_metric_families(text_)
                     if family.name == "healthpay_conversation_cache"
                     for sample in family.samples}
            filled.append(min(found[cache, "size"] / found[cache, "limit"]
                              for cache in ("trackers", "sessions")))
        return filled

    def memory_mib(self) -> list[float]:
        sizes = []
        for process in self.processes:
            status = Path(f"/proc/{process.pid}/status").read_text()
            kib = next(int(line.split()[1]) for line in status.splitlines()
                       if line.startswith("VmRSS:"))
            sizes.append(kib / 1024)
        return sizes

    def connections(self) -> int | None:
        by_pool = self.connections_by_pool()
        return None if by_pool is None else sum(by_pool.values())

    def connections_by_pool(self) -> dict[tuple[str, str], int] | None:
        """The workers' database connections by application_name (the pool) and state."""
        if not self.database_url.startswith("postgresql"):
            return None
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return {(name, state): count for name, state, count in conn.execute(text(
                    "select application_name, coalesce(state, ''), count(*) "
                    "from pg_stat_activity where datname = current_database() "
                    "and pid <> pg_backend_pid() group by 1, 2 order by 1, 2"))}
        finally:
            engine.dispose()


def wait_ready(port: int, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"a worker exited with {process.returncode} while starting")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=30).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the worker on port {port} was not ready in {seconds:.0f} s")


@contextlib.contextmanager
def setup(name: str, tree: Path) -> Iterator[Workers]:
    with tempfile.TemporaryDirectory(prefix="bench-load-") as var:
        if name.startswith("pg"):
            database = private_postgres()
            url = database.__enter__()
        else:
            database = None
            url = f"sqlite:///{Path(var) / 'healthpay.db'}"
        workers = Workers(tree, url, Path(var), 2 if name == "pg2" else 1)  # pg1: for contrast
        try:
            workers.prepare()
            workers.start()
            yield workers
        finally:
            workers.stop()
            if database is not None:
                database.__exit__(None, None, None)


# --- the members -----------------------------------------------------------------------------

class Load:
    def __init__(self, workers: Workers, rng: random.Random, *, sticky: bool = False):
        self.sticky = sticky  # each member always to the same worker, by sender id
        self.urls = [f"http://127.0.0.1:{port}{REST}" for port in workers.ports]
        self.rng = rng
        self.next_worker = 0
        # aiohttp rather than httpx: the generator shares the 2 CPUs with the workers, and
        # aiohttp costs it about a third as much a request.
        self.client = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT),
            # Idle connections closed well before the server's keep-alive ends them: else a
            # request sent on one just as the server closes it fails, a fault of neither side.
            connector=aiohttp.TCPConnector(limit=MAX_MEMBERS, keepalive_timeout=3))
        self.members: list[Member] = []
        self.free: list[tuple[float, int, Member]] = []  # (ready at, n, member): a heap
        self.tiebreak = itertools.count(MAX_MEMBERS)
        self.chats = 0  # distinct senders so far

    async def say(self, member: Member, message: str) -> str:
        if self.sticky:
            url = self.urls[zlib.crc32(member.sender.encode()) % len(self.urls)]
        else:
            url = self.urls[self.next_worker]
            self.next_worker = (self.next_worker + 1) % len(self.urls)
        try:
            async with self.client.post(url, json={"sender": member.sender,
                                                   "message": message}) as response:
                if response.status != 200:
                    return f"http {response.status}"
                replies = await response.json()
        except TimeoutError:
            return "timeout"
        except aiohttp.ClientError as error:
            return f"{type(error).__name__} ({error})"[:100]
        said = " ".join(reply.get("text") or "" for reply in replies)
        if APOLOGY in said:
            return "apology"
        return "busy" if BUSY in said else "ok"

    async def join(self, members: int, logged_in_share: float) -> None:
        """Members and visitors; the members log in (argon2, before the clock starts)."""
        run = uuid.uuid4().hex[:6]
        for n in range(members):
            if n < members * logged_in_share:
                self.chats += 1
                self.members.append(Member(f"{run}-{n}", logged_in=True))
            else:
                self.members.append(self.new_visitor())
        logins = [m for m in self.members if m.logged_in]
        limit = asyncio.Semaphore(4)

        async def log_in(n: int, member: Member) -> None:
            async with limit:
                for message in ("/log_in", DEMO_USERNAMES[n % len(DEMO_USERNAMES)], PASSWORD):
                    outcome = await self.say(member, message)
                    if outcome != "ok":
                        raise SystemExit(f"log-in failed for a bench member: {outcome}")

        await asyncio.gather(*(log_in(n, m) for n, m in enumerate(logins)))
        self.free = [(0.0, n, member) for n, member in enumerate(self.members)]
        heapq.heapify(self.free)

    def free_member(self, now: float) -> Member:
        """The member who finished thinking first, or a new visitor when none has."""
        if self.free and self.free[0][0] <= now:
            return heapq.heappop(self.free)[2]
        if len(self.members) >= MAX_MEMBERS:  # bounded: someone sends before thinking
            return heapq.heappop(self.free)[2] if self.free else self.rng.choice(self.members)
        member = self.new_visitor()
        self.members.append(member)
        return member

    def new_visitor(self) -> Member:
        self.chats += 1
        return Member(f"visitor-{uuid.uuid4().hex[:8]}", logged_in=False,
                      turns_left=self.rng.randint(*VISIT_TURNS))

    async def turn(self, member: Member, tally: Tally) -> None:
        started = time.perf_counter()
        outcome = await self.say(member, member.next_message(self.rng))
        tally.record(started, outcome)
        ready_at = time.perf_counter() + self.rng.uniform(1.0, 4.0)
        if member.turns_left is not None:
            member.turns_left -= 1
            if member.turns_left <= 0:  # the visitor leaves; a new one comes in their place
                newcomer = self.new_visitor()
                self.members[self.members.index(member)] = newcomer
                member = newcomer
        heapq.heappush(self.free, (ready_at, next(self.tiebreak), member))

    async def open_loop(self, rate: float, seconds: float, *,
                        stop: asyncio.Event | None = None) -> tuple[Tally, int, float]:
        """Turns at `rate` for `seconds` (or until `stop` is set)."""
        tally = Tally()
        turns: list[asyncio.Task] = []
        start = time.perf_counter()
        tally.first_sent = start
        due = start
        while True:
            due += self.rng.expovariate(rate)
            if due - start > seconds or (stop is not None and stop.is_set()):
                break
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            member = self.free_member(time.perf_counter())
            turns.append(asyncio.create_task(self.turn(member, tally)))
        sent_for = time.perf_counter() - start
        await asyncio.gather(*turns)
        return tally, len(turns), sent_for

    async def closed_loop(self, per_worker: int, seconds: float) -> tuple[Tally, int, float]:
        tally = Tally()
        count = per_worker * len(self.urls)
        chosen = self.members[:count]
        tally.first_sent = start = time.perf_counter()
        sent = 0

        async def back_to_back(member: Member) -> None:
            nonlocal sent
            while time.perf_counter() - start < seconds:
                sent += 1
                started = time.perf_counter()
                tally.record(started, await self.say(member, member.next_message(self.rng)))

        await asyncio.gather(*(back_to_back(member) for member in chosen))
        return tally, sent, time.perf_counter() - start


# --- reports ---------------------------------------------------------------------------------

def report(label: str, tally: Tally, sent: int, sent_for: float,
           cpu_seconds: float | None = None) -> dict:
    answered = len(tally.latencies)
    took = max(tally.last_done - tally.first_sent, 1e-9)
    figures = {
        "offered": sent / sent_for, "achieved": answered / took, "sent": sent,
        "answered": answered, "failed": tally.failed, "busy": tally.busy,
        "p50": tally.percentile(50), "p95": tally.percentile(95), "p99": tally.percentile(99),
        "drained_s": took,
    }
    errors = ", ".join(f"{kind} × {n}" for kind, n in sorted(tally.errors.items()))
    print(f"{label}: offered {figures['offered']:.1f}/s, achieved {figures['achieved']:.1f}/s "
          f"({answered}/{sent} answered in {took:.1f} s), failed {tally.failed}"
          f"{f' ({errors})' if errors else ''}, busy {tally.busy}; "
          f"p50 {figures['p50'] * 1000:.0f} ms, p95 {figures['p95'] * 1000:.0f} ms, "
          f"p99 {figures['p99'] * 1000:.0f} ms{_cpu(cpu_seconds, answered)}", flush=True)
    return figures


def _cpu(cpu_seconds: float | None, turns: int) -> str:
    if not cpu_seconds or not turns:
        return ""
    return f"; worker CPU {cpu_seconds / turns * 1000:.1f} ms a turn"


def _mib(sizes: list[float]) -> str:
    return " / ".join(f"{size:.0f}" for size in sizes)


def held(figures: dict) -> bool:
    return figures["failed"] == 0 and figures["busy"] == 0 \
        and figures["p99"] < HELD_P99_SECONDS


async def run_setup(name: str, args, tree: Path) -> None:
    with setup(name, tree) as workers:
        load = Load(workers, random.Random(args.seed), sticky=args.sticky)
        await load.join(args.members, args.logged_in_share)
        label = f"{name} ({workers.count} worker{'s' if workers.count > 1 else ''})"
        if args.closed:
            tally, sent, took = await load.closed_loop(args.per_worker, args.seconds)
            report(f"{label}, closed loop, {args.per_worker} members a worker, "
                   f"{args.seconds:.0f} s", tally, sent, took)
        elif args.sweep:
            best = None
            for rate in range(args.sweep_from, args.sweep_to + 1, args.sweep_step):
                figures = report(f"{label}, {rate}/s for {args.seconds:.0f} s",
                                 *await load.open_loop(rate, args.seconds))
                if not held(figures):
                    break
                best = rate
                await asyncio.sleep(3)  # members finish thinking; the workers settle
            print(f"{label}: highest rate held (p99 < {HELD_P99_SECONDS * 1000:.0f} ms, none "
                  f"failed or busy): {best if best is not None else 'none tried'}/s", flush=True)
        elif args.soak:
            await soak(label, workers, load, args)
        else:
            for rate in args.rates:
                cpu = workers.cpu_seconds()
                ran = await load.open_loop(rate, args.seconds)
                report(f"{label}, {rate:.0f}/s for {args.seconds:.0f} s", *ran,
                       cpu_seconds=workers.cpu_seconds() - cpu)
                await asyncio.sleep(3)
        await load.client.close()
        errors = workers.logged_errors()
        print(f"{label}: errors the workers logged: "
              f"{', '.join(f'{k!r} × {n}' for k, n in errors.items()) or 'none'}", flush=True)


async def soak(label: str, workers: Workers, load: Load, args) -> None:
    """Memory and connections over a long run at one rate, from the end of a warm-up."""
    if args.soak_warm_up > 0:
        stop = asyncio.Event()
        warming = asyncio.create_task(load.open_loop(args.rate, args.soak_warm_up, stop=stop))
        began = time.perf_counter()
        filled = [0.0]
        while not warming.done():
            await asyncio.sleep(5)
            filled = await asyncio.to_thread(workers.caches_filled)
            if time.perf_counter() - began >= MIN_WARM_UP and min(filled) >= WARM_FILLED:
                stop.set()
        report(f"{label}, warm-up {args.rate:.0f}/s until the caches were full or for "
               f"{args.soak_warm_up:.0f} s (not measured); caches "
               f"{' / '.join(f'{f:.0%}' for f in filled)} full after "
               f"{time.perf_counter() - began:.0f} s", *warming.result())
    chats_before = load.chats
    samples: list[tuple[float, list[float], dict | None]] = []

    async def sample(at: float) -> None:
        by_pool = await asyncio.to_thread(workers.connections_by_pool)
        samples.append((at, workers.memory_mib(), by_pool))

    await sample(0.0)
    started = time.perf_counter()

    async def each_minute() -> None:
        while True:
            await asyncio.sleep(60)
            await sample(time.perf_counter() - started)

    sampler = asyncio.create_task(each_minute())
    figures = report(f"{label}, soak {args.rate:.0f}/s for {args.soak_seconds:.0f} s",
                     *await load.open_loop(args.rate, args.soak_seconds))
    sampler.cancel()
    await sample(time.perf_counter() - started)
    for at, memory, by_pool in samples:
        pools = ", ".join(f"{name or '?'} {state or '-'} {count}"
                          for (name, state), count in (by_pool or {}).items())
        print(f"  {at:5.0f} s: memory MiB per worker {_mib(memory)}; connections "
              f"{sum((by_pool or {}).values())} ({pools or 'not PostgreSQL'})", flush=True)
    (_, memory_before, pools_before), (_, memory_after, pools_after) = samples[0], samples[-1]
    growth = [after / before - 1
              for before, after in zip(memory_before, memory_after, strict=True)]
    connections = [sum(pools.values()) if pools is not None else None
                   for pools in (pools_before, pools_after)]
    flat = all(abs(g) <= FLAT_WITHIN for g in growth) and (
        connections[0] is None or abs(connections[1] - connections[0]) <= FLAT_WITHIN
        * connections[0])
    print(f"{label}: from the end of the warm-up, memory MiB per worker {_mib(memory_before)} "
          f"-> {_mib(memory_after)} ({', '.join(f'{g:+.1%}' for g in growth)}); database "
          f"connections {connections[0]} -> {connections[1]}; {load.chats - chats_before} new "
          f"chats ({load.chats} in all); failed {figures['failed']}, busy {figures['busy']}: "
          f"{'flat' if flat else 'NOT flat'} (within {FLAT_WITHIN:.0%})", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setup", choices=("pg2", "sqlite1", "pg1", "both"), default="both")
    parser.add_argument("--rate", type=float, default=100.0, help="turns a second offered")
    parser.add_argument("--rates", type=float, nargs="+", help="several rates, one after another")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--logged-in-share", type=float, default=0.2)
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--sweep-from", type=int, default=50)
    parser.add_argument("--sweep-to", type=int, default=400)
    parser.add_argument("--sweep-step", type=int, default=25)
    parser.add_argument("--soak", action="store_true")
    parser.add_argument("--soak-seconds", type=float, default=600.0)
    parser.add_argument("--soak-warm-up", type=float, default=300.0,
                        help="at most this many seconds at the same rate before the soak's "
                             "start figures, until the caches are full (0: none)")
    parser.add_argument("--closed", action="store_true")
    parser.add_argument("--per-worker", type=int, default=50)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--sticky", action="store_true",
                        help="send each member's turns to one worker (by sender id), as a load "
                             "balancer with affinity would")
    parser.add_argument("--tree", type=Path, default=PROJECT,
                        help="the checkout whose code the workers run (default: this one)")
    args = parser.parse_args(argv)
    args.rates = args.rates or [args.rate]
    if args.seconds > 900 or args.soak_seconds > 1800 or args.members > MAX_MEMBERS:
        parser.error("bounded: at most 900 s a run, a 1,800 s soak, 3,000 members")
    setups = ["pg2", "sqlite1"] if args.setup == "both" else [args.setup]
    print(f"load benchmark: code from {args.tree}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}", flush=True)
    for name in setups:
        asyncio.run(run_setup(name, args, args.tree.resolve()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
