"""The recent conversation as staff read it in a support request: the stored events (where
secrets were never kept in clear), each line through the card and SSN detector again, so what
an older release stored before it knew a format stays out of the staff's view.

Actions reach it through dialogs.actions.runtime.transcript(), which the process running them
configures, so they never import the engine."""

from __future__ import annotations

from collections.abc import Callable

from dialogs.engine.nlu.redaction import redact_secrets
from dialogs.engine.tracker_store import TrackerStore
from services.persistence.unit_of_work import UnitOfWork
from services.support import TRANSCRIPT_LINES

_SPEAKERS = {"user": "member", "bot": "bot"}


def stored_transcripts(uow_factory: Callable[[], UnitOfWork]
                       ) -> Callable[[str, str], list[str]]:
    """`transcript(channel, chat_id)`: the latest lines of that conversation, redacted."""
    store = TrackerStore(uow_factory)

    def transcript(channel: str, chat_id: str) -> list[str]:
        events = store.session_events(channel, chat_id)
        lines = [f"{_SPEAKERS[event['event']]}: {redact_secrets(event['text'])}"
                 for event in events if event.get("event") in _SPEAKERS and event.get("text")]
        return lines[-TRANSCRIPT_LINES:]

    return transcript
