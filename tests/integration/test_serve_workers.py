"""`healthpay serve --workers N`: N processes on one port, the jobs and the Telegram bot in the
first one only."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.http_server import serve, worker_roles
from services.persistence.migrate import upgrade

PROJECT = Path(__file__).resolve().parents[2]


def test_only_the_first_worker_runs_the_bot_and_the_jobs():
    roles = [worker_roles(index, "polling", True) for index in range(3)]
    assert [(r.telegram, r.scheduler) for r in roles] == [(True, True), (False, False),
                                                          (False, False)]
    assert not worker_roles(0, None, False).telegram
    assert not worker_roles(0, None, False).scheduler


def test_a_telegram_webhook_is_refused_on_several_workers():
    with pytest.raises(SystemExit, match="one worker"):
        serve("127.0.0.1", 0, workers=2, telegram="webhook")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def test_two_workers_answer_on_one_port(tmp_path):
    url = f"sqlite:///{tmp_path / 'healthpay.db'}"
    upgrade(url)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "HEALTHPAY_VAR_DIR": str(tmp_path),
           "SCHEDULER_ENABLED": "false", "LOG_LEVEL": "WARNING", "REST_AUTH_TOKEN": ""}
    server = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--port", str(port),
                               "--workers", "2"], cwd=PROJECT, env=env,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        ready = 0
        while time.monotonic() < deadline and ready < 2:
            time.sleep(0.5)
            workers = [pid for pid in children(server.pid)  # not multiprocessing's tracker
                       if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()]
            try:
                ready = len(workers) if httpx.get(f"http://127.0.0.1:{port}/readyz",
                                                  timeout=30).status_code == 200 else 0
            except httpx.HTTPError:
                ready = 0
        assert ready == 2
        reply = httpx.post(f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                           json={"sender": "w", "message": "hi"}, timeout=30)
        assert reply.status_code == 200 and reply.json()[0]["text"]
    finally:
        server.terminate()
        server.wait(60)
    assert server.returncode == 0
