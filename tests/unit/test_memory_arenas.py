"""The cap on glibc malloc's arenas a serving worker sets at start (bot/memory_arenas.py)."""

from __future__ import annotations

import platform

from bot import memory_arenas
from bot.memory_arenas import cap_malloc_arenas
from bot.settings import Settings


def test_the_default_caps_arenas_at_two():
    assert Settings().malloc_arenas == 2


def test_glibc_takes_the_cap(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    # This machine and CI run Debian's glibc; elsewhere nothing is changed.
    assert cap_malloc_arenas(8) == (platform.libc_ver()[0] == "glibc")


def test_an_operators_malloc_arena_max_or_zero_leaves_malloc_alone(monkeypatch):
    called = []
    monkeypatch.setattr(memory_arenas.ctypes, "CDLL", lambda *_: called.append(1))
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert cap_malloc_arenas(2) is False
    monkeypatch.delenv("MALLOC_ARENA_MAX")
    assert cap_malloc_arenas(0) is False
    assert called == []


def test_not_glibc_changes_nothing(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.setattr(memory_arenas.platform, "libc_ver", lambda: ("", ""))
    assert cap_malloc_arenas(2) is False
