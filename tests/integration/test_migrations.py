"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from services.persistence.migrate import current_revision, head_revision, is_current, upgrade
from services.persistence.models import Base


def test_upgrade_from_empty_matches_the_models(database_url):
    upgrade(database_url)
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        assert is_current(engine)
        assert current_revision(engine) == head_revision(database_url)
        assert "payments" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_upgrade_twice_is_harmless(database_url):
    upgrade(database_url)
    upgrade(database_url)
    engine = create_engine(database_url)
    try:
        assert is_current(engine)
    finally:
        engine.dispose()


def test_a_database_of_the_first_release_upgrades_and_comes_back(database_url):
    """0001 as it shipped, with a keyboard in it: 0002 reshapes the keyboards (dropping the
    old ones, stale after any restart) and the way back restores the old tables."""
    import datetime as dt

    from alembic import command
    from sqlalchemy import text

    from services.persistence.migrate import alembic_config

    upgrade(database_url, "0001")
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO telegram_keyboards (id, chat_id, text_html, created_at) "
                "VALUES (1, '5', 'Pick one', :at)"), {"at": dt.datetime.now(dt.UTC)})
            connection.execute(text(
                "INSERT INTO telegram_callback_keys (key, keyboard_id, title, payload) "
                "VALUES ('k', 1, 'Pay', '/make_payment')"))
        upgrade(database_url)
        assert is_current(engine)
        tables = inspect(engine).get_table_names()
        assert "telegram_callback_keys" not in tables
        assert {c["name"] for c in inspect(engine).get_columns("telegram_keyboards")} >= {
            "selector", "verifier", "buttons", "chosen"}
        command.downgrade(alembic_config(database_url), "0001")
        assert "telegram_callback_keys" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
