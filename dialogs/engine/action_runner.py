"""Running rasa-sdk actions: in this process through rasa-sdk's ActionExecutor, or over HTTP
on a rasa-sdk action server. Both take and give the same JSON as Rasa's action server protocol:
{next_action, sender_id, tracker, domain, version} in, {events, responses} out."""

from __future__ import annotations

import asyncio
import json
from typing import Protocol

import httpx
import rasa_sdk
from rasa_sdk.executor import ActionExecutor
from rasa_sdk.interfaces import ActionExecutionRejection

from dialogs.actions import runtime
from dialogs.engine.transcripts import stored_transcript

ACTIONS_PACKAGE = "dialogs.actions"


class ActionRejected(Exception):
    """The action refused to run (rasa-sdk's ActionExecutionRejection)."""

    def __init__(self, action_name: str, message: str = ""):
        super().__init__(message or f"action {action_name} rejected")
        self.action_name = action_name


class ActionServerError(Exception):
    """The action server answered with an error: the action failed there."""


class ActionRunner(Protocol):
    async def run(self, action_call: dict) -> dict:
        """{"events": [...], "responses": [...]} for the action call."""


def action_call(action_name: str, tracker_state: dict, domain: dict) -> dict:
    return {
        "next_action": action_name,
        "sender_id": tracker_state["sender_id"],
        "tracker": tracker_state,
        "domain": domain,
        "version": rasa_sdk.__version__,
    }


class InProcessActionRunner:
    def __init__(self, package: str = ACTIONS_PACKAGE):
        # Actions run here read a support request's transcript from this process's store.
        runtime.read_transcripts_with(stored_transcript)
        self._executor = ActionExecutor()
        self._executor.register_package(package)
        self._package = package

    def action_names(self) -> set[str]:
        """The actions this package registers (rasa-sdk also registers any Action subclass
        imported elsewhere in the process; those are not counted)."""
        return {
            name for name, function in self._executor.actions.items()
            if type(function.__self__).__module__.startswith(self._package)
        }

    async def run(self, action_call: dict) -> dict:
        # The call is JSON already (its tracker state is built afresh for every call, and the
        # domain was checked at load); the result goes through JSON, as it would come back
        # from an action server.
        try:
            result = await self._executor.run(action_call)
        except ActionExecutionRejection as rejection:
            raise ActionRejected(rejection.action_name, rejection.message) from rejection
        return json.loads(json.dumps(result.model_dump()))


class HttpActionRunner:
    def __init__(self, url: str, *, timeout: float = 30.0):
        self._url = url
        self._timeout = timeout
        # An async client belongs to the event loop it first ran on, and turns run on several
        # (one per turn thread, dialogs/engine/turn_queue.py): one client per loop.
        self._clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}

    async def run(self, action_call: dict) -> dict:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = httpx.AsyncClient(timeout=self._timeout)
        response = await client.post(self._url, json=action_call)
        if response.status_code == 400:
            body = response.json()
            raise ActionRejected(body.get("action_name", action_call["next_action"]),
                                 body.get("error", ""))
        if response.status_code != 200:
            # Not the body: rasa-sdk echoes the request, tracker and all, in its error reply.
            raise ActionServerError(f"action server answered {response.status_code} for "
                                    f"{action_call['next_action']}")
        return response.json()

    async def aclose(self) -> None:
        """Close the client of the calling event loop (the others close with their loops)."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()


def make_action_runner(action_endpoint_url: str | None) -> ActionRunner:
    """The action server at ACTION_ENDPOINT_URL when one is set, else in this process."""
    if action_endpoint_url:
        return HttpActionRunner(action_endpoint_url)
    return InProcessActionRunner()
