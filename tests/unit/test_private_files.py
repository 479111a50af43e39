"""Keys made atomically, never empty or short, whatever processes race on a fresh var/; the
SQLite database, its journal files, log files and var/ made owner-only."""

from __future__ import annotations

import base64
import logging
import multiprocessing
import os
import stat
import time

import pytest
from sqlalchemy import text

from bot.logging_setup import configure_logging, reset_logging
from services.persistence.database import make_engine
from services.secrets import KEY_BYTES, BadKeyFile, load_or_create_key

PROCESSES, TRIALS = 12, 8


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _load_at(start: float, var_dir: str, results) -> None:
    time.sleep(max(0.0, start - time.time()))  # all processes reach the key at once
    try:
        results.put(load_or_create_key(None, var_dir, "session"))
    except Exception as error:  # the parent reports it
        results.put(repr(error))


@pytest.mark.parametrize("trial", range(TRIALS))
def test_processes_starting_at_once_on_a_fresh_var_all_get_the_same_whole_key(tmp_path, trial):
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    var_dir = tmp_path / "var"
    start = time.time() + 0.3
    workers = [context.Process(target=_load_at, args=(start, str(var_dir), results))
               for _ in range(PROCESSES)]
    for worker in workers:
        worker.start()
    keys = [results.get(timeout=30) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)

    assert all(isinstance(key, bytes) and len(key) == KEY_BYTES for key in keys), keys
    assert len(set(keys)) == 1
    key_file = var_dir / "secrets" / "session.key"
    assert base64.b64decode(key_file.read_bytes()) == keys[0]
    assert sorted(os.listdir(key_file.parent)) == ["session.key"]  # no temporary file left
    assert (mode(var_dir), mode(key_file.parent), mode(key_file)) == (0o700, 0o700, 0o600)


@pytest.mark.parametrize("content", [b"", b"c2hvcnQ=", b"not base64 at all!"])
def test_an_empty_short_or_broken_key_file_is_refused_not_used(tmp_path, content):
    key_file = tmp_path / "secrets" / "session.key"
    key_file.parent.mkdir()
    key_file.write_bytes(content)

    with pytest.raises(BadKeyFile, match="does not hold a 32-byte key"):
        load_or_create_key(None, tmp_path, "session")


def test_the_sqlite_database_and_its_journal_are_owner_only_whatever_the_umask(tmp_path):
    previous = os.umask(0o022)
    try:
        engine = make_engine(f"sqlite:///{tmp_path / 'var' / 'healthpay.db'}")
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
            files = sorted(path.name for path in (tmp_path / "var").iterdir())
            modes = {path.name: mode(path) for path in (tmp_path / "var").iterdir()}
        engine.dispose()
    finally:
        os.umask(previous)

    assert "healthpay.db" in files
    assert set(modes.values()) == {0o600}, modes
    assert mode(tmp_path / "var") == 0o700


def test_a_log_file_is_created_owner_only(tmp_path):
    previous = os.umask(0o022)
    log_file = tmp_path / "logs" / "healthpay.log"
    try:
        configure_logging("INFO", path=log_file)
        logging.getLogger("test").info("hello")
    finally:
        reset_logging()
        os.umask(previous)

    assert "hello" in log_file.read_text()
    assert (mode(log_file), mode(log_file.parent)) == (0o600, 0o700)
