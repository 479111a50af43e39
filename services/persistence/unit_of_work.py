"""The unit of work: one transaction per use case, committed explicitly, rolled back otherwise."""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker


class UnitOfWork:
    """`with uow: ...; uow.commit()` — anything not committed is rolled back on exit, so a
    use case that raises halfway leaves nothing half-written."""

    def __init__(self, session_factory: sessionmaker[Session]):
        self._session_factory = session_factory
        self.session: Session | None = None

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self.session is not None
        try:
            if exc_type is not None:
                self.session.rollback()
        finally:
            # close() ends the transaction (anything uncommitted is rolled back) but, unlike
            # rollback(), does not expire loaded objects: a read-only use case can return them.
            self.session.close()
            self.session = None

    def connect(self) -> Connection:
        """A bare connection to the same database, for the few statements of a hot path that
        needs no ORM session (its own transaction: `commit()` it, or it rolls back)."""
        return self._session_factory.kw["bind"].connect()

    def commit(self) -> None:
        assert self.session is not None
        self.session.commit()

    def rollback(self) -> None:
        assert self.session is not None
        self.session.rollback()
