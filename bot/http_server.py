"""`healthpay serve`: where it may listen, and its worker processes."""

from __future__ import annotations

import ipaddress
import logging
import multiprocessing
import signal
import socket
import threading
from dataclasses import dataclass

logger = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind_allowed(host: str, rest_auth_token: str) -> None:
    """Anyone who can reach an unauthenticated REST channel can pose as any sender."""
    if not is_loopback(host) and not rest_auth_token:
        raise SystemExit(
            f"Refusing to listen on {host} without REST_AUTH_TOKEN: set a token, or use "
            "127.0.0.1."
        )


def serve(host: str, port: int, *, workers: int = 1, telegram: str | None = None,
          replace_webhook: bool = False) -> None:
    """`healthpay serve`: the app on host:port in `workers` processes. Worker 0 alone runs the
    scheduled jobs and the Telegram bot (every job claims its work in the database anyway, but
    one Telegram poller is all Telegram allows); the others serve HTTP only."""
    from bot.settings import Settings

    check_bind_allowed(host, Settings().rest_auth_token)
    if workers <= 1:
        _serve_worker(0, host, port, telegram, replace_webhook, sock=None)
        return
    if telegram == "webhook":
        raise SystemExit("--telegram webhook runs in one worker only (Telegram posts to one "
                         "address): use --workers 1, or --telegram polling.")
    _supervise(workers, host, port, telegram, replace_webhook)


@dataclass(frozen=True)
class WorkerRoles:
    telegram: bool
    scheduler: bool


def worker_roles(index: int, telegram_mode: str | None, scheduler_enabled: bool) -> WorkerRoles:
    """What worker `index` runs besides HTTP: the first one, the bot and the jobs."""
    primary = index == 0
    return WorkerRoles(telegram=bool(telegram_mode) and primary,
                       scheduler=scheduler_enabled and primary)


def _serve_worker(index: int, host: str, port: int, telegram_mode: str | None,
                  replace_webhook: bool, sock: socket.socket | None) -> None:
    import uvicorn

    from bot.chat_senders import ChannelRouter
    from bot.cli import serve_settings
    from bot.http.app import create_app
    from bot.memory_arenas import cap_malloc_arenas
    from bot.runtime import build_runtime
    from bot.scheduler import start_scheduler
    from bot.settings import Settings

    settings = Settings()
    # Before the pools, the NLU and the turn threads allocate: each thread's arena is made as
    # it first allocates.
    cap_malloc_arenas(settings.malloc_arenas)
    # Links in messages follow the address this server really listens on.
    runtime = build_runtime(serve_settings(settings, host, port))
    runtime.pools.open_kept()
    roles = worker_roles(index, telegram_mode, runtime.settings.scheduler_enabled)
    telegram = None
    senders = []
    if roles.telegram:
        from bot.telegram.channel import TelegramChannel

        telegram = TelegramChannel(runtime, telegram_mode, replace_webhook=replace_webhook)
        senders.append(telegram.sender)
    # Reminders, autopay and payment results go out through the same bot.
    scheduler = start_scheduler(runtime, ChannelRouter(*senders)) if roles.scheduler else None
    # log_config=None: uvicorn's records go through the root logger, as JSON and redacted.
    config = uvicorn.Config(create_app(runtime, telegram=telegram), host=host, port=port,
                            log_config=None,
                            timeout_keep_alive=runtime.settings.http_keep_alive_seconds)
    try:
        uvicorn.Server(config).run(sockets=[sock] if sock is not None else None)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def _worker_main(index: int, host: str, port: int, telegram_mode: str | None,
                 replace_webhook: bool, sock: socket.socket) -> None:
    from bot.cli import configure_logging_for

    configure_logging_for("serve")  # a spawned process starts with nothing configured
    _serve_worker(index, host, port, telegram_mode, replace_webhook, sock)


def _supervise(count: int, host: str, port: int, telegram_mode: str | None,
               replace_webhook: bool) -> None:
    """Bind once, start `count` workers on the one socket (the kernel shares connections out),
    start again any that dies (with its role), and stop them all on SIGINT or SIGTERM."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    spawn = multiprocessing.get_context("spawn")

    def start(index: int):
        process = spawn.Process(target=_worker_main, name=f"healthpay-worker-{index}",
                                args=(index, host, port, telegram_mode, replace_webhook, sock))
        process.start()
        return process

    processes = [start(index) for index in range(count)]
    stopping = threading.Event()

    def stop(_signum, _frame) -> None:
        stopping.set()

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopping.wait(0.5):
            for index, process in enumerate(processes):
                if not process.is_alive() and not stopping.is_set():
                    logger.error("worker %d exited with %s; starting it again", index,
                                 process.exitcode)
                    processes[index] = start(index)
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # uvicorn finishes the requests in flight
        for process in processes:
            process.join(30)
            if process.is_alive():
                process.kill()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sock.close()
