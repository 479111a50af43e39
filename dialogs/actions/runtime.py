"""What actions need from the running application: the service layer, and whose chat it is.

rasa-sdk gives an action only (dispatcher, tracker, domain). The process that runs actions, the
bot itself or the action server, calls `configure(services)` at start-up; actions then call
`services()`. The engine names each conversation "<channel>:<chat id>" (the tracker's sender id),
which `chat_of` splits so an action can find the member's session.
"""

from __future__ import annotations

from rasa_sdk import Tracker

from services.context import Services

_services: Services | None = None


def configure(services: Services | None) -> None:
    global _services
    _services = services


def services() -> Services:
    if _services is None:
        raise RuntimeError("dialogs.actions.runtime.configure(services) was not called at start-up")
    return _services


def chat_of(tracker: Tracker) -> tuple[str, str]:
    """(channel, chat id) of the conversation."""
    channel, _, chat_id = tracker.sender_id.partition(":")
    return channel, chat_id
