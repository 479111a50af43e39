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
