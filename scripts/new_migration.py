"""Write the next Alembic migration from the models: what they add to the latest migration.

Usage: .venv/bin/python scripts/new_migration.py "what changed"
Read what it wrote before committing it (autogenerate cannot tell a rename from a drop and an
add, and data that must be moved needs code of its own).
"""

import sys
import tempfile
from pathlib import Path

from alembic import command

from services.persistence.migrate import alembic_config, upgrade

message = " ".join(sys.argv[1:]).strip()
if not message:
    sys.exit(__doc__)
with tempfile.TemporaryDirectory() as folder:
    url = f"sqlite:///{Path(folder) / 'scratch.db'}"
    upgrade(url)
    command.revision(alembic_config(url), message=message, autogenerate=True)
