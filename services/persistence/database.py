"""Engines and sessions for SQLite (the zero set-up default) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from services.private_files import ensure_private_file


def make_engine(url: str, *, wait_for_disk: bool = True, name: str | None = None,
                **kwargs) -> Engine:
    """`wait_for_disk=False` is for chat state only (the conversation tracker, Telegram
    buttons): its commits return before they reach the disk, so a power cut (not a crash of
    the process) may lose the last ones; neither database can be corrupted by it. Money is
    never written through such an engine, and a commit made through the other one flushes
    everything written before it. `name`: PostgreSQL's application_name for the connections,
    so pg_stat_activity tells which pool holds them."""
    if url.startswith("sqlite"):
        _ensure_sqlite_folder(url)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect",
                     _sqlite_pragmas if wait_for_disk else _sqlite_pragmas_without_waiting)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if not wait_for_disk:
        kwargs.setdefault("connect_args", {})["options"] = "-c synchronous_commit=off"
    if name:
        kwargs.setdefault("connect_args", {})["application_name"] = name
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: use cases return the objects they committed, for the reply.
    return sessionmaker(engine, expire_on_commit=False)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_pragmas_without_waiting(dbapi_connection, record):
    _sqlite_pragmas(dbapi_connection, record)
    # In WAL mode NORMAL is safe from corruption; it only skips the sync at each commit.
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def _ensure_sqlite_folder(url: str) -> None:
    """The database file, created owner-only before SQLite opens it: SQLite gives its journal
    files the database file's permissions, and would create the file world-readable."""
    if ":///" not in url:  # "sqlite://": in memory
        return
    path = url.split(":///", 1)[1].split("?", 1)[0]
    if path and path != ":memory:" and not path.startswith("file:"):
        ensure_private_file(Path(path))
