"""Failed attempts at proving who someone is, counted in the database per subject (a username,
an identity claim, a source chat) with an exponential back-off.

The first `free_failures` failures cost nothing; the one that reaches it starts a delay of
`first_delay`, and every failure after that doubles it, up to `max_delay`. An attempt made
during a delay is refused without being checked or counted, so it neither extends the delay
nor teaches the guesser anything. A subject with no failure for `forget_after` starts afresh,
so keeping a member waiting costs an attacker fresh failures forever, at longer and longer
intervals, while guessing gets only a handful of tries a day.

Counters live in the caller's unit of work: a failure must be committed before the caller
raises, or a guesser would roll back their own count.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from services.persistence.models import AttemptCounter
from services.secrets import keyed_hash

LOGIN = "login"
RESET = "reset"
IDENTITY = "identity"


@dataclass(frozen=True)
class BackOff:
    free_failures: int
    first_delay: dt.timedelta
    max_delay: dt.timedelta = dt.timedelta(hours=24)
    forget_after: dt.timedelta = dt.timedelta(hours=24)

    def delay_after(self, failures: int) -> dt.timedelta | None:
        """The wait that `failures` failures in a row impose, or None."""
        if failures < self.free_failures:
            return None
        doublings = min(failures - self.free_failures, 30)  # 2**30 first delays: past any cap
        return min(self.first_delay * 2 ** doublings, self.max_delay)


def subject(key: bytes, kind: str, value: str) -> str:
    """The stored subject: `kind` and a keyed hash of `value`, never the value itself."""
    return f"{kind}:{keyed_hash(key, f'{kind}:{value}')[:64]}"


def blocked_until(session: Session, scope: str, subject_: str,
                  now: dt.datetime) -> dt.datetime | None:
    """When the subject's current delay ends, or None if it may try now."""
    counter = _counter(session, scope, subject_)
    if counter is None or counter.blocked_until is None or counter.blocked_until <= now:
        return None
    return counter.blocked_until


def tries_left(session: Session, scope: str, subject_: str, now: dt.datetime,
               backoff: BackOff) -> int:
    """Failures the subject may still make before a delay starts (0 while one is running)."""
    counter = _counter(session, scope, subject_)
    if counter is None or _forgotten(counter, now, backoff):
        return backoff.free_failures
    if counter.blocked_until is not None and counter.blocked_until > now:
        return 0
    return max(backoff.free_failures - counter.failures, 0)


def record_failure(session: Session, scope: str, subject_: str, now: dt.datetime,
                   backoff: BackOff) -> dt.datetime | None:
    """Count one failure; when the delay it starts ends, or None if it starts none."""
    counter = _counter(session, scope, subject_, create=True, now=now)
    if _forgotten(counter, now, backoff):
        counter.failures = 0
    counter.failures += 1
    counter.last_failure_at = now
    delay = backoff.delay_after(counter.failures)
    counter.blocked_until = now + delay if delay is not None else None
    return counter.blocked_until


def clear(session: Session, scope: str, subject_: str) -> None:
    """The subject proved itself: its failures no longer count."""
    session.execute(delete(AttemptCounter).where(AttemptCounter.scope == scope,
                                                 AttemptCounter.subject == subject_))


def forget_older_than(session: Session, cutoff: dt.datetime) -> int:
    """Delete counters whose last failure is before `cutoff` and whose delay has ended."""
    result = session.execute(delete(AttemptCounter).where(
        AttemptCounter.last_failure_at < cutoff,
        (AttemptCounter.blocked_until.is_(None)) | (AttemptCounter.blocked_until < cutoff)))
    return result.rowcount


def _forgotten(counter: AttemptCounter, now: dt.datetime, backoff: BackOff) -> bool:
    still_blocked = counter.blocked_until is not None and counter.blocked_until > now
    return not still_blocked and now - counter.last_failure_at >= backoff.forget_after


def _counter(session: Session, scope: str, subject_: str, *, create: bool = False,
             now: dt.datetime | None = None) -> AttemptCounter | None:
    """The counter row, locked for the rest of the transaction when it is to be changed, so
    parallel failures on two workers each count."""
    if create:
        # Insert-if-absent: two first failures at once must not collide on the unique key.
        insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" \
            else sqlite_insert
        session.execute(insert(AttemptCounter).values(
            scope=scope, subject=subject_, failures=0, last_failure_at=now,
        ).on_conflict_do_nothing(index_elements=["scope", "subject"]))
    query = select(AttemptCounter).where(AttemptCounter.scope == scope,
                                         AttemptCounter.subject == subject_)
    if create:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.scalar(query)
