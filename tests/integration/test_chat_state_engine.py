"""Chat state (the tracker, Telegram buttons) is committed without waiting for the disk;
everything else, money above all, waits for it. On SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import text

from services.persistence.database import make_engine

SQLITE_FULL, SQLITE_NORMAL = 2, 1


def durability(db_engine) -> str:
    with db_engine.connect() as conn:
        if db_engine.dialect.name == "sqlite":
            level = conn.execute(text("PRAGMA synchronous")).scalar_one()
            return {SQLITE_FULL: "waits", SQLITE_NORMAL: "does not wait"}[level]
        level = conn.execute(text("SHOW synchronous_commit")).scalar_one()
        return "does not wait" if level == "off" else "waits"


def test_only_the_chat_state_engine_commits_without_waiting_for_the_disk(database_url):
    money, chat_state = make_engine(database_url), make_engine(database_url,
                                                               wait_for_disk=False)
    try:
        assert durability(money) == "waits"
        assert durability(chat_state) == "does not wait"
    finally:
        money.dispose()
        chat_state.dispose()


def test_the_runtime_keeps_conversations_on_the_chat_state_engine(tmp_path):
    from bot.bootstrap import build_services
    from bot.settings import Settings

    services = build_services(Settings(HEALTHPAY_VAR_DIR=tmp_path))
    with services.uow() as money, services.chat_state_uow() as chat_state:
        assert durability(money.session.get_bind()) == "waits"
        assert durability(chat_state.session.get_bind()) == "does not wait"
