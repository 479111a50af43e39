"""What actions need from the running application: the service layer, and whose chat it is.

rasa-sdk gives an action only (dispatcher, tracker, domain). The process that runs actions, the
bot itself or the action server, calls `configure(services)` at start-up; actions then call
`services()`. The recent conversation a support request carries is read where the engine
stores it: the process registers that reader once (`read_transcripts_with`), and actions call
`transcript()`, so they never import the engine.
The engine names each conversation "<channel>:<chat id>" (the tracker's sender id),
which `chat_of` splits so an action can find the member's session.
"""

from __future__ import annotations

from collections.abc import Callable

from rasa_sdk import Tracker

from services.context import Services

_services: Services | None = None
_transcripts: Callable[[Services, str, str], list[str]] | None = None


def configure(services: Services | None) -> None:
    global _services
    _services = services


def read_transcripts_with(reader: Callable[[Services, str, str], list[str]]) -> None:
    """`reader(services, channel, chat_id)`: a conversation's latest lines, redacted."""
    global _transcripts
    _transcripts = reader


def services() -> Services:
    if _services is None:
        raise RuntimeError("dialogs.actions.runtime.configure(services) was not called at start-up")
    return _services


def transcript(channel: str, chat_id: str) -> list[str]:
    """The latest lines of the conversation (redacted), for staff."""
    if _transcripts is None:
        raise RuntimeError("dialogs.actions.runtime.read_transcripts_with(reader) was not "
                           "called at start-up")
    return _transcripts(services(), channel, chat_id)


def chat_of(tracker: Tracker) -> tuple[str, str]:
    """(channel, chat id) of the conversation."""
    channel, _, chat_id = tracker.sender_id.partition(":")
    return channel, chat_id
