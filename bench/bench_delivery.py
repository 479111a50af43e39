"""Delivering notifications against a local fake Telegram Bot API that allows 30 messages a
second, from two worker processes sharing one PostgreSQL database.

    .venv/bin/python -m bench.bench_delivery [--messages 900] [--rate 29] [--workers 2]

The fake server answers sendMessage, and answers 429 with retry_after when a message would be
the 31st within any one second (a sliding window, stricter than a bucket). The workers run
services.delivery.deliver_due with a minimal httpx sender and the shared DatabasePacer.
Reported: sustained rate (messages after the first, over the time from the first to the last),
the most messages in any one second, 429s, and messages sent twice.
Target (issue 7): at least 90% of the limit, no 429s, none twice. Pacing at exactly the limit
(--rate 30) meets 429s: network jitter puts a 31st message inside some second. The default,
DELIVERY_RATE_PER_SECOND=29, leaves room for it.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import datetime as dt
import json
import subprocess
import sys
import threading
import time
from collections import Counter, deque
from dataclasses import replace

import httpx
from aiohttp import web
from sqlalchemy import func, select

from bench.pg_data import Member, load_members, private_database, services
from bot.settings import Settings
from services.delivery import DeliveryOptions, deliver_due
from services.errors import DeliveryRetryLater, RecipientUnreachable
from services.outbox import NewNotification, enqueue
from services.pacing import DatabasePacer
from services.persistence.models import Notification
from services.policy import load_policy

LIMIT = 30  # messages a second, as Telegram allows a bot
TOKEN = "123456:bench"
NOW = dt.datetime(2026, 11, 16, 15, tzinfo=dt.UTC)  # 10 AM in Boston: nobody's quiet hours


class FakeBotApi:
    """sendMessage with Telegram's overall limit, enforced as a one-second sliding window."""

    def __init__(self, limit: int):
        self.limit = limit
        self.accepted: list[tuple[float, str]] = []  # (monotonic time, text)
        self.too_many = 0
        self._window: deque[float] = deque()

    async def send_message(self, request: web.Request) -> web.Response:
        form = await request.post()
        now = time.monotonic()
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        if len(self._window) >= self.limit:
            self.too_many += 1
            return web.json_response(
                {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                 "parameters": {"retry_after": 1}}, status=429)
        self._window.append(now)
        self.accepted.append((now, form["text"]))
        return web.json_response({"ok": True, "result": {
            "message_id": len(self.accepted), "date": int(time.time()),
            "chat": {"id": int(form["chat_id"]), "type": "private"}, "text": form["text"]}})

    def start(self) -> int:
        """Serve on a free local port in a background thread; returns the port."""
        ready = threading.Event()
        port: list[int] = []

        async def serve() -> None:
            app = web.Application()
            app.router.add_post(f"/bot{TOKEN}/sendMessage", self.send_message)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port.append(site._server.sockets[0].getsockname()[1])
            ready.set()
            await asyncio.Event().wait()

        threading.Thread(target=lambda: asyncio.run(serve()), daemon=True).start()
        ready.wait(10)
        return port[0]


class HttpTelegramSender:
    """The least a Telegram sender does: sendMessage, and Telegram's errors as the outbox's."""

    channels = frozenset({"telegram"})

    def __init__(self, base_url: str):
        self._client = httpx.Client(base_url=base_url, timeout=10)

    def send(self, channel, chat_id, text, buttons=None):
        data = {"chat_id": chat_id, "text": text}
        if buttons:
            data["reply_markup"] = json.dumps({"inline_keyboard": [[
                {"text": b["title"], "callback_data": b["payload"]} for b in buttons]]})
        try:
            response = self._client.post("/sendMessage", data=data)
        except httpx.ConnectError as error:
            raise DeliveryRetryLater(str(error)) from error
        if response.status_code == 429:
            raise DeliveryRetryLater("429", response.json()["parameters"]["retry_after"])
        if response.status_code == 403:
            raise RecipientUnreachable(response.text)
        if response.status_code >= 500:
            raise DeliveryRetryLater(f"HTTP {response.status_code}")
        response.raise_for_status()


class RunningClock:
    """Real time, started at NOW: 10 AM in Boston whenever the benchmark runs, so nobody is in
    their quiet hours, and a 429's retry comes due after its real wait."""

    def __init__(self):
        self._started = time.monotonic()

    def now(self) -> dt.datetime:
        return NOW + dt.timedelta(seconds=time.monotonic() - self._started)


def worker(url: str, base_url: str, rate: float) -> None:
    svc = replace(services(url, NOW), clock=RunningClock())
    sender = HttpTelegramSender(base_url)
    pacer = DatabasePacer(svc.uow_factory, "telegram", rate)
    while _waiting(svc):  # a message put back after a 429 is due a second later
        deliver_due(svc, sender, pacer=pacer, options=DeliveryOptions(batch=50))
        time.sleep(0.1)


def _waiting(svc) -> int:
    with svc.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(Notification).where(
            Notification.status.in_(("queued", "held", "claimed"))))


def run(messages: int, rate: float, workers: int) -> None:
    server = FakeBotApi(LIMIT)
    base_url = f"http://127.0.0.1:{server.start()}/bot{TOKEN}"
    with private_database("healthpay_bench_delivery") as url:
        load_members(url, [Member(id=n) for n in range(1, messages + 1)],
                     first_month=dt.date(2026, 12, 1), months=1, policy=load_policy())
        svc = services(url, NOW)
        with svc.uow() as uow:
            enqueue(uow.session, [NewNotification(n, "reminder", f"bench:{n}",
                                                  f"Message {n}: your premium is due.")
                                  for n in range(1, messages + 1)], now=NOW)
            uow.commit()
        started = time.monotonic()
        processes = [subprocess.Popen([sys.executable, "-m", "bench.bench_delivery",
                                       "--worker", url, base_url, str(rate)])
                     for _ in range(workers)]
        for process in processes:
            if process.wait() != 0:
                raise SystemExit("a worker failed")
        took = time.monotonic() - started
    report(server, messages, rate, workers, took)


def report(server: FakeBotApi, messages: int, rate: float, workers: int, took: float) -> None:
    times = [at for at, _ in server.accepted]
    sustained = (len(times) - 1) / (times[-1] - times[0])
    busiest = max(bisect.bisect_left(times, at + 1.0) - index for index, at in enumerate(times))
    twice = sum(count - 1 for count in Counter(text for _, text in server.accepted).values())
    print(f"{workers} workers, pacer at {rate:g}/s, fake Telegram limit {LIMIT}/s")
    print(f"delivered {len(times)} of {messages} messages in {took:.1f} s "
          f"(worker start-up included)")
    print(f"sustained rate {sustained:.2f}/s = {sustained / LIMIT:.1%} of the limit; "
          f"busiest second {busiest} messages")
    print(f"429 answers: {server.too_many}; sent twice: {twice}")
    ok = sustained >= 0.9 * LIMIT and server.too_many == 0 and twice == 0 \
        and len(times) == messages
    print("target (>= 90% of the limit, no 429, none twice, none lost): "
          + ("PASS" if ok else "FAIL"))


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:
        worker(sys.argv[2], sys.argv[3], float(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=900)
    parser.add_argument("--rate", type=float, default=Settings().delivery_rate_per_second,
                        help="the pacer's rate (default: DELIVERY_RATE_PER_SECOND)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    run(args.messages, args.rate, args.workers)


if __name__ == "__main__":
    main()
