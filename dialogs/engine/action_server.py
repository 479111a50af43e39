"""The rasa-sdk action server for dialogs.actions (`healthpay actions`): rasa-sdk's own app and
/webhook, run in this process so the actions see the services configured here."""

from __future__ import annotations

from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor

from dialogs.actions import runtime
from dialogs.engine.action_runner import ACTIONS_PACKAGE
from dialogs.engine.transcripts import stored_transcript
from services.context import Services

DEFAULT_PORT = 5055


def run_action_server(port: int = DEFAULT_PORT, *, host: str = "127.0.0.1",
                      services: Services | None = None) -> None:
    """Serve until stopped. rasa-sdk's own runner binds SANIC_HOST (0.0.0.0 unless set) and
    starts worker processes that would not see `services`; this binds `host`, in one process."""
    runtime.configure(services)
    runtime.read_transcripts_with(stored_transcript)
    executor = ActionExecutor()
    executor.register_package(ACTIONS_PACKAGE)
    app = create_app(executor)
    app.run(host=host, port=port, single_process=True, motd=False, access_log=False)
