"""Running one action by name: a response, a form, the fallback or a rasa-sdk action. Each run
returns the events the action produced, its bot messages first, as Rasa logs them."""

from __future__ import annotations

from rasa_sdk.events import BotUttered

from dialogs.engine.action_runner import ActionRunner, action_call
from dialogs.engine.domain import (
    ACTION_DEFAULT_FALLBACK,
    INTENT_LABEL_PREFIX,
    NLU_FALLBACK_INTENT,
    Domain,
)
from dialogs.engine.forms import FormLoop
from dialogs.engine.responses import ResponseGenerator
from dialogs.engine.tracker import Tracker

# Keys of a rasa-sdk message that are the message itself; any other key is a value for the
# response template it names.
_MESSAGE_KEYS = {"text", "buttons", "elements", "custom", "template", "response", "image",
                 "attachment"}


class UnknownAction(LookupError):
    pass


class ActionDispatcher:
    def __init__(self, domain: Domain, responses: ResponseGenerator, runner: ActionRunner):
        self._domain = domain
        self._responses = responses
        self._runner = runner

    async def run(self, name: str, tracker: Tracker) -> list[dict]:
        if name in self._domain.forms:
            return await FormLoop(name, self._domain, self).run(tracker)
        if name == ACTION_DEFAULT_FALLBACK:
            return self._fallback(tracker)
        if name in self._domain.actions:
            return await self.run_custom(name, tracker)
        if name in self._domain.responses:
            return [self.utter(name, tracker)]
        raise UnknownAction(name)

    async def run_custom(self, name: str, tracker: Tracker) -> list[dict]:
        result = await self._runner.run(
            action_call(name, tracker.current_state(), self._domain.raw))
        messages = [self._bot_event(response, tracker) for response in result.get("responses")
                    or ()]
        return messages + list(result.get("events") or ())

    def utter(self, name: str, tracker: Tracker, **values) -> dict:
        message = self._responses.render(name, tracker.slots, **values)
        if message is None:
            raise UnknownAction(f"no response {name} in the domain")
        return _bot_uttered(message, name)

    def _bot_event(self, response: dict, tracker: Tracker) -> dict:
        """A rasa-sdk message as a bot event: a named response rendered with the values the
        action passed, then anything the action set itself, as Rasa merges them."""
        template = response.get("response") or response.get("template")
        message: dict = {"buttons": []}
        if template:
            values = {k: v for k, v in response.items() if k not in _MESSAGE_KEYS}
            rendered = self._responses.render(template, tracker.slots, **values)
            if rendered is None:
                raise UnknownAction(f"no response {template} in the domain")
            message = rendered
        message["buttons"] = list(message.get("buttons") or []) + list(response.get("buttons")
                                                                       or [])
        for key in ("text", "custom", "image"):
            if response.get(key):
                message[key] = response[key]
        return _bot_uttered(message, template)

    def _fallback(self, tracker: Tracker) -> list[dict]:
        """When unsure what the member meant: the likeliest meanings as buttons; when there
        are none worth offering, say so and show the help menu."""
        offered = self._offered_intents(tracker)
        if not offered:
            return [self.utter("utter_default", tracker), self.utter("utter_help_menu", tracker)]
        if "help" not in offered and self._has_label("help"):
            offered.append("help")
        message = self._responses.render("utter_did_you_mean", tracker.slots)
        if message is None:
            raise UnknownAction("no response utter_did_you_mean in the domain")
        message["buttons"] = message["buttons"] + [
            {"title": self._responses.render(INTENT_LABEL_PREFIX + intent, tracker.slots)["text"],
             "payload": f"/{intent}"}
            for intent in offered
        ]
        return [_bot_uttered(message, "utter_did_you_mean")]

    def _offered_intents(self, tracker: Tracker) -> list[str]:
        if tracker.latest_intent != NLU_FALLBACK_INTENT:
            return []
        return [ranked["name"] for ranked in tracker.latest_message.get("intent_ranking") or ()
                if ranked["name"] != NLU_FALLBACK_INTENT and self._has_label(ranked["name"])]

    def _has_label(self, intent: str) -> bool:
        return INTENT_LABEL_PREFIX + intent in self._domain.responses


def _bot_uttered(message: dict, utter_action: str | None) -> dict:
    data = {"buttons": message.get("buttons") or [], "custom": message.get("custom"),
            "image": message.get("image")}
    return BotUttered(text=message.get("text"), data=data,
                      metadata={"utter_action": utter_action} if utter_action else {})
