"""Inserting many rows at once, skipping those a unique constraint already holds.

INSERT ... ON CONFLICT DO NOTHING on PostgreSQL and SQLite alike: a second run, or a second
worker inserting the same rows at the same moment, adds nothing and fails nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
CHUNK_ROWS = 2000


def insert_missing(session: Session, table: Table, rows: Sequence[dict], *,
                   unique: Sequence[str]) -> list:
    """Insert the rows whose `unique` columns are not taken yet; the primary keys of those
    inserted."""
    dialect = session.get_bind().dialect.name
    if dialect not in _INSERTS:
        raise NotImplementedError(f"bulk inserts support PostgreSQL and SQLite, not {dialect}")
    statement = (_INSERTS[dialect](table)
                 .on_conflict_do_nothing(index_elements=list(unique))
                 .returning(*table.primary_key.columns))
    inserted: list = []
    for start in range(0, len(rows), CHUNK_ROWS):
        inserted += session.execute(statement, list(rows[start:start + CHUNK_ROWS])).scalars()
    return inserted
