"""DESIGN.md: the actions in dialogs/actions/ use only rasa-sdk and the services, never the
embedded engine (dialogs/engine/), so they run unchanged in any Rasa action server."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ACTIONS = Path(__file__).resolve().parents[2] / "dialogs" / "actions"


def engine_imports(source: str) -> list[str]:
    """The dialogs.engine modules a module's source imports, anywhere in it."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return sorted({name for name in found
                   if name == "dialogs.engine" or name.startswith("dialogs.engine.")})


@pytest.mark.parametrize("module", sorted(p.name for p in ACTIONS.glob("*.py")))
def test_no_action_module_imports_the_engine(module):
    assert engine_imports((ACTIONS / module).read_text()) == []


def test_the_check_finds_every_way_of_importing_the_engine():
    assert engine_imports("from dialogs.engine.languages import answers_in") \
        == ["dialogs.engine.languages", "dialogs.engine.languages.answers_in"]
    assert engine_imports("import dialogs.engine.tracker_store") == ["dialogs.engine.tracker_store"]
    assert engine_imports("from dialogs import engine") == ["dialogs.engine"]
    assert engine_imports("def f():\n    from dialogs.engine import Domain\n") \
        == ["dialogs.engine", "dialogs.engine.Domain"]
    assert engine_imports("from dialogs.actions import runtime\nimport services") == []
