"""Inserting many rows at once, skipping those a unique constraint already holds.

INSERT ... ON CONFLICT DO NOTHING on PostgreSQL and SQLite alike: a second run, or a second
worker inserting the same rows at the same moment, adds nothing and fails nothing.

On PostgreSQL large batches are COPYed into a temporary table first and inserted from there in
one statement: a multi-row VALUES statement of 100,000 rows spends seconds in the driver just
being parsed, where COPY takes a fraction of one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import JSON, Table, TypeDecorator
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
CHUNK_ROWS = 2000
COPY_FROM_ROWS = 500  # fewer rows go in one INSERT statement


def insert_missing(session: Session, table: Table, rows: Sequence[dict], *,
                   unique: Sequence[str]) -> list:
    """Insert the rows whose `unique` columns are not taken yet, in the session's transaction;
    the primary keys of those inserted. Every row has the same keys, in the same order."""
    if not rows:
        return []
    dialect = session.get_bind().dialect
    if dialect.name not in _INSERTS:
        raise NotImplementedError(f"bulk inserts support PostgreSQL and SQLite, not {dialect}")
    if dialect.name == "postgresql" and len(rows) >= COPY_FROM_ROWS:
        return _copy_then_insert(session, table, rows, unique)
    statement = (_INSERTS[dialect.name](table)
                 .on_conflict_do_nothing(index_elements=list(unique))
                 .returning(*table.primary_key.columns))
    inserted: list = []
    for start in range(0, len(rows), CHUNK_ROWS):
        inserted += session.execute(statement, list(rows[start:start + CHUNK_ROWS])).scalars()
    return inserted


def _copy_then_insert(session: Session, table: Table, rows: Sequence[dict],
                      unique: Sequence[str]) -> list:
    columns = list(rows[0])
    names = ", ".join(f'"{name}"' for name in columns)
    staging = f'"_new_{table.name}"'
    key = ", ".join(f'"{column.name}"' for column in table.primary_key.columns)
    dialect = session.get_bind().dialect
    converters = [_to_database(table.c[name].type, dialect) for name in columns]
    cursor = session.connection().connection.driver_connection.cursor()
    try:
        cursor.execute(f"DROP TABLE IF EXISTS {staging}")
        cursor.execute(f'CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS '
                       f'SELECT {names} FROM "{table.name}" WITH NO DATA')
        with cursor.copy(f"COPY {staging} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([value if convert is None else convert(value)
                                for convert, value in zip(converters, row.values(),
                                                          strict=True)])
        cursor.execute(f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM {staging} '
                       f'ON CONFLICT ({", ".join(unique)}) DO NOTHING RETURNING {key}')
        return [row[0] for row in cursor.fetchall()]
    finally:
        cursor.close()


def _to_database(column_type, dialect):
    """What COPY needs for a value of this column: the type's own conversion (aware UTC for
    UtcDateTime), and JSON as text; None when the value goes as it is."""
    if not isinstance(column_type, TypeDecorator | JSON):
        return None

    def convert(value):
        if isinstance(column_type, TypeDecorator):
            value = column_type.process_bind_param(value, dialect)
        if isinstance(column_type, JSON) and value is not None:
            value = json.dumps(value)
        return value
    return convert
