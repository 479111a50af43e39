"""What actions need from the running application: the service layer, and whose chat it is.

rasa-sdk gives an action only (dispatcher, tracker, domain). The process that runs actions, the
bot itself or the action server, calls `configure(services, transcripts=...)` at start-up;
actions then call `services()`, and `transcript()` for the recent conversation a support
request carries (read from where the engine stores it: actions never import the engine).
The engine names each conversation "<channel>:<chat id>" (the tracker's sender id),
which `chat_of` splits so an action can find the member's session.
"""

from __future__ import annotations

from collections.abc import Callable

from rasa_sdk import Tracker

from services.context import Services

_services: Services | None = None
_transcripts: Callable[[str, str], list[str]] | None = None


def configure(services: Services | None, *,
              transcripts: Callable[[str, str], list[str]] | None = None) -> None:
    global _services, _transcripts
    _services, _transcripts = services, transcripts


def services() -> Services:
    if _services is None:
        raise RuntimeError("dialogs.actions.runtime.configure(services) was not called at start-up")
    return _services


def transcript(channel: str, chat_id: str) -> list[str]:
    """The latest lines of the conversation (redacted), for staff."""
    if _transcripts is None:
        raise RuntimeError("dialogs.actions.runtime.configure(..., transcripts=...) was not "
                           "called at start-up")
    return _transcripts(channel, chat_id)


def chat_of(tracker: Tracker) -> tuple[str, str]:
    """(channel, chat id) of the conversation."""
    channel, _, chat_id = tracker.sender_id.partition(":")
    return channel, chat_id
