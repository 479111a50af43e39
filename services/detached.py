"""Handing ORM objects out of a unit of work.

The unit of work rolls back when it closes, and a rollback expires every object still in the
session; reading one afterwards fails. Use cases that return ORM objects detach them first.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")


def detached(session: Session, obj: T, *relations: str) -> T:
    """`obj` read fresh, with the named relationships loaded, and taken out of the session."""
    session.refresh(obj)
    for name in relations:
        getattr(obj, name)
    session.expunge_all()
    return obj
