"""Rewrite migration 0001 from the models (only while nothing has shipped on it).

Usage: .venv/bin/python scripts/regenerate_initial_migration.py
Once a database in use has 0001, add new revisions with `alembic revision --autogenerate`.
"""

import tempfile
from pathlib import Path

from alembic import command

from services.persistence.migrate import MIGRATIONS_DIR, alembic_config

target = MIGRATIONS_DIR / "versions" / "0001_initial_schema.py"
target.unlink(missing_ok=True)
with tempfile.TemporaryDirectory() as folder:
    config = alembic_config(f"sqlite:///{Path(folder) / 'empty.db'}")
    command.revision(config, message="initial schema", autogenerate=True, rev_id="0001")
print(f"wrote {target}")
