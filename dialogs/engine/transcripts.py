"""The recent conversation as staff read it in a support request: the stored events (where
secrets were never kept in clear), each line through the card and SSN detector again, so what
an older release stored before it knew a format stays out of the staff's view.

Actions reach it through dialogs.actions.runtime.transcript(): the process running them
registers it (runtime.read_transcripts_with), so they never import the engine."""

from __future__ import annotations

from dialogs.engine.nlu.redaction import redact_secrets
from dialogs.engine.tracker_store import TrackerStore
from services.context import Services
from services.support import TRANSCRIPT_LINES

_SPEAKERS = {"user": "member", "bot": "bot"}


def stored_transcript(services: Services, channel: str, chat_id: str) -> list[str]:
    """The latest lines of the conversation `channel`/`chat_id`, redacted."""
    events = TrackerStore(services.uow_factory).session_events(channel, chat_id)
    lines = [f"{_SPEAKERS[event['event']]}: {redact_secrets(event['text'])}"
             for event in events if event.get("event") in _SPEAKERS and event.get("text")]
    return lines[-TRANSCRIPT_LINES:]
