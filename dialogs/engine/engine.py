"""One member message in, the bot's replies out: the turn.

A turn locks the conversation (channel + sender id) in the tracker store, starts a new session
when the last one expired, understands the message (a button payload directly; at a form's
prompt, what the prompt expects first: dialogs/engine/prompt_answers.py; anything else through
the NLU), fills slots, then runs what the policy predicts until it says to listen, and stores
the new events. Card numbers, SSNs, the answers to sensitive slots and stray replies at
credential prompts are kept out of the store and the logs, and the channel is told to delete
the member's message.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from rasa_sdk.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    SessionStarted,
    SlotSet,
    UserUttered,
)

from dialogs.engine.action_runner import ActionRejected, ActionRunner
from dialogs.engine.conversation_languages import ConversationLanguages
from dialogs.engine.dispatcher import ActionDispatcher
from dialogs.engine.domain import (
    ACTION_FAILED_RESPONSE,
    ACTION_LISTEN,
    BUSY_RESPONSE,
    CARD_NUMBER_RESPONSE,
    DATA_DIR,
    HELP_MENU_RESPONSE,
    NLU_FALLBACK_INTENT,
    REQUESTED_SLOT,
    SSN_RESPONSE,
    Domain,
)
from dialogs.engine.forms import LoopRejected
from dialogs.engine.language_turns import CHOICE_PARSE, language_step
from dialogs.engine.languages import LANGUAGE_SLOT, LanguageChooser
from dialogs.engine.nlu.redaction import contains_secret, find_secrets, redact_secrets
from dialogs.engine.payloads import parse_payload
from dialogs.engine.policy import RulePolicy
from dialogs.engine.prompt_answers import PromptReader, PromptRules
from dialogs.engine.redaction import (
    clears_prompt,
    redact_for_storage,
    refused_answer,
    unaccepted_at_prompt,
)
from dialogs.engine.responses import ResponseGenerator
from dialogs.engine.seal_purge import spent_seals
from dialogs.engine.sealing import SlotSealer, is_sealed
from dialogs.engine.slot_mappings import extract_slots
from dialogs.engine.stories import Rule
from dialogs.engine.tracker import Tracker
from dialogs.engine.tracker_cache import DEFAULT_MAX_EVENTS, TrackerCache
from dialogs.engine.tracker_store import ConversationLog, TrackerStore
from dialogs.engine.turn_queue import Busy, TurnQueue
from services.events import emit

logger = logging.getLogger(__name__)


class Interpreter(Protocol):
    """The NLU: Rasa's parse format, and the intents worth offering when it should not guess."""

    def parse(self, text: str, *, today: dt.date | None = None,
              language: str | None = None) -> dict: ...

    def suggestions(self, parse: dict, n: int = 3) -> list[str] | None: ...


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


@dataclass(frozen=True)
class BotMessage:
    text: str | None
    buttons: list[dict[str, str]] = field(default_factory=list)  # {"title", "payload"}
    custom: dict | None = None


@dataclass(frozen=True)
class TurnResult:
    messages: list[BotMessage]
    # The member's message carried a secret (a card number, a password...): delete it.
    delete_user_message: bool = False
    sensitive: bool = False
    # Earlier messages of the member that turned out to hold a secret (an answer the form has
    # just refused: maybe the password typed a step early), by the channel's `message_id`.
    delete_earlier: tuple = ()
    busy: bool = False  # the worker could not take the turn: nothing of it was run or stored
    # What the caller's `then` made of the result on the turn's own thread (handle_message).
    prepared: Any = None


class Engine:
    def __init__(self, domain: Domain, rules: Sequence[Rule], interpreter: Interpreter,
                 tracker_store: TrackerStore, action_runner: ActionRunner, *,
                 clock: Clock | None = None, today: Callable[[], dt.date] | None = None,
                 rng: random.Random | None = None, max_actions_per_turn: int = 10,
                 sealer: SlotSealer | None = None, prompt_rules: PromptRules | None = None,
                 turn_queue: TurnQueue | None = None, max_session_events: int = 1000,
                 tracker_cache_events: int = DEFAULT_MAX_EVENTS):
        self.domain = domain
        self._prompts = PromptReader(
            prompt_rules or PromptRules.load(DATA_DIR / "prompt_answers.yml"), domain.intents,
            domain.sensitive_slots,
            menu=[button for variation in domain.responses.get(HELP_MENU_RESPONSE, ())
                  for button in variation.get("buttons") or ()])
        self._policy = RulePolicy(domain, rules)
        self._interpreter = interpreter
        self._store = tracker_store
        self._clock = clock
        self._today = today
        self._dispatcher = ActionDispatcher(
            domain, ResponseGenerator(domain.responses, hidden_slots=domain.sensitive_slots,
                                      rng=rng), action_runner)
        self._max_actions = max_actions_per_turn
        # Without a sealer a sensitive answer lasts one turn; with one, until its form ends.
        self._sealer = sealer
        self._trackers = TrackerCache(tracker_cache_events)
        self._languages = LanguageChooser(domain.languages)
        self.languages = ConversationLanguages(self._languages,
                                               domain.initial_slots().get(LANGUAGE_SLOT) or "en")
        self.turn_queue = turn_queue or TurnQueue()
        # Past this many stored events a session starts afresh (keeping its state), so that a
        # turn's cost does not grow with a conversation's length.
        self._max_session_events = max_session_events
        self.warmed_up = False

    async def handle_message(self, channel: str, sender_id: str, text: str, *,
                             metadata: dict | None = None,
                             then: Callable[[TurnResult], Any] | None = None) -> TurnResult:
        """The turn, run on a turn thread after this conversation's earlier turns
        (dialogs.engine.turn_queue); a short "busy" reply when the worker cannot keep up.
        `then(result)`, if given, runs on the same thread right after the turn (a channel's
        own writes for the reply: no second thread hop), its value in `result.prepared`."""
        turn = partial(self._turn, channel, sender_id, text, metadata)
        if then is not None:
            turn = partial(self._turn_then, turn, then)
        try:
            return await self.turn_queue.run((channel, sender_id), turn)
        except Busy:
            logger.warning("turn refused: the worker is busy", extra={"sender": sender_id})
            emit("turn_busy", channel=channel)
            language = self.languages.language_of(
                channel, sender_id, language_code=(metadata or {}).get("language_code"))
            busy = self._dispatcher.utter(BUSY_RESPONSE, self._tracker_in(language))
            secret = contains_secret(text)
            return TurnResult(messages=[_bot_message(busy)], delete_user_message=secret,
                              sensitive=secret, busy=True)

    def say(self, name: str, language: str, **values) -> BotMessage:
        """Response `name` in `language`: what a channel says outside a turn (its own texts are
        responses too, in data/languages/<code>/responses_channel.yml)."""
        return _bot_message(self._dispatcher.utter(name, self._tracker_in(language), **values))

    def _tracker_in(self, language: str) -> Tracker:
        return Tracker("-", self.domain, [SlotSet(LANGUAGE_SLOT, language)])

    def cache_use(self) -> dict[str, tuple[int, int]]:
        """What this worker keeps of recent conversations, each (conversations, size): the
        trackers, sized in events (TRACKER_CACHE_EVENTS), and the stored sessions, sized in
        characters (SESSION_CACHE_CHARS)."""
        return {"trackers": self._trackers.size(), "sessions": self._store.cache_size()}

    @staticmethod
    async def _turn_then(turn: Callable[[], Awaitable[TurnResult]],
                         then: Callable[[TurnResult], Any]) -> TurnResult:
        result = await turn()
        return dataclasses.replace(result, prepared=then(result))

    @property
    def ready(self) -> bool:
        """A turn can be answered now: the NLU has answered once, and turns are not refused."""
        use = self.turn_queue.use()
        return self.warmed_up and use.waiting < use.max_waiting

    def warm_up(self) -> None:
        """The first parse pays for the NLU's lazy set-up; a worker takes it before it says
        it is ready, not on a member's turn."""
        self.parse("hello")
        self.warmed_up = True

    async def _turn(self, channel: str, sender_id: str, text: str,
                    metadata: dict | None) -> TurnResult:
        started = time.perf_counter()
        now = self._now()
        turn: _Turn | None = None
        try:
            async with self._store.conversation(channel, sender_id) as conversation:
                tracker, kept = self._tracker_for(conversation)
                turn = _Turn(tracker, now.timestamp(), first_new=len(tracker.events))
                if self._session_expired(conversation.last_event_at, now):
                    self._start_session(turn)
                elif len(tracker.events) >= self._max_session_events:
                    self._start_session(turn, keep_state=True)
                step = language_step(self._languages, tracker, text, metadata or {},
                                     self.domain.sensitive_slots)
                for event in step.events:
                    turn.add(event)
                if step.replies:  # the message only chose a language, or asked to
                    user_event = _user_uttered(text, {**CHOICE_PARSE, "text": text}, channel,
                                               {**(metadata or {}), "channel": channel,
                                                "chat_id": sender_id})
                    turn.add(user_event)
                    for reply in step.replies:
                        await self._run(turn, reply)
                else:
                    user_event = self._user_event(turn, channel, sender_id, text,
                                                  metadata or {})
                    await self._answer(turn)
                turn.add(ActionExecuted(ACTION_LISTEN))
                new_events = tracker.events[turn.first_new:]
                withheld = ()
                if not turn.sensitive and unaccepted_at_prompt(
                        user_event, new_events, turn.requested, self.domain.credential_prompts,
                        payload=turn.payload):
                    turn.secret_answer, withheld = True, (turn.requested,)
                stored = redact_for_storage(
                    new_events, self.domain.sensitive_slots,
                    redact_text_of=user_event if turn.secret_answer else None,
                    seal=self._sealer.seal if self._sealer else None, withheld_slots=withheld)
                conversation.append(stored, at=now)
                self._take_back_stored_secrets(conversation, turn, stored, sealed=kept is None)
                if conversation.replaced:
                    kept = None  # it holds what was just taken back
        except Exception:
            return self._turn_failed(channel, sender_id, text, turn, metadata)
        self.languages.remember(channel, sender_id, tracker.slots.get(LANGUAGE_SLOT))
        if kept is None:
            self._trackers.forget(channel, sender_id)
        else:
            self._trackers.keep(channel, sender_id, conversation.stored.version, kept,
                                conversation.pending_json)
        seconds = time.perf_counter() - started
        intent = tracker.latest_intent
        emit("turn", channel=channel, intent=intent, seconds=seconds,
             fallback=intent == NLU_FALLBACK_INTENT, failed_actions=turn.failed_actions)
        logger.info("turn intent=%s actions=%s in %.1f ms", intent, turn.actions, seconds * 1000,
                    extra={"sender": tracker.sender_id, "intent": intent})
        return TurnResult(
            messages=[_bot_message(e) for e in new_events if e["event"] == "bot"],
            delete_user_message=turn.sensitive,
            sensitive=turn.sensitive,
            delete_earlier=tuple(turn.withdrawn_message_ids),
        )

    async def _answer(self, turn: _Turn) -> None:
        if turn.typed_secret:
            for warning in turn.warnings:
                await self._run(turn, warning)
            if turn.tracker.active_loop_name:
                await self._run(turn, turn.tracker.active_loop_name)  # ask its question again
        else:
            await self._predict_and_run(turn)

    def _tracker_for(self, conversation: ConversationLog) -> tuple[Tracker, Tracker | None]:
        """The turn's tracker, and one as the stored session builds it, kept untouched by the
        turn (None when it is not to be kept: the session has sealed answers)."""
        channel, sender_id = conversation.channel, conversation.sender_id
        kept = self._trackers.take(channel, sender_id, conversation.snapshot.version)
        if kept is not None:
            return kept.extended(()), kept
        events = conversation.events
        sealed = any(is_sealed(event) for event in events)
        if self._sealer is not None and sealed:
            events = self._sealer.unseal_events(events)
        tracker = Tracker(f"{channel}:{sender_id}", self.domain, events)
        return tracker, None if sealed else tracker.extended(())

    def _take_back_stored_secrets(self, conversation: ConversationLog, turn: _Turn,
                                  stored: list[dict], *, sealed: bool) -> None:
        """Out of what earlier turns stored: seals no form needs any more (seal_purge), and an
        answer at a credential prompt that the form has just refused (redaction)."""
        tracker = turn.tracker
        asked = tracker.slots.get(REQUESTED_SLOT) if tracker.active_loop_name else None
        if (asked in self.domain.credential_prompts or asked in self.domain.sensitive_slots) \
                and clears_prompt(stored, asked):
            for index, event in refused_answer(conversation.events, stored, asked,
                                               self.domain.credential_prompts,
                                               self.domain.sensitive_slots,
                                               seal=self._sealer.seal if self._sealer
                                               else None).items():
                conversation.replace(index, event)
                message_id = (event.get("metadata") or {}).get("message_id")
                if event["event"] == "user" and message_id is not None:
                    turn.withdrawn_message_ids.append(message_id)
        if sealed and self._sealer is not None:
            spent = spent_seals(conversation.events, stored, now=self._now(),
                                ttl_seconds=self._sealer.ttl_seconds)
            for index, event in spent.items():
                conversation.replace(index, conversation.replaced.get(index, event))

    def _turn_failed(self, channel: str, sender_id: str, text: str, turn: _Turn | None,
                     metadata: dict | None) -> TurnResult:
        """The database went away mid-turn, or another worker took the conversation over.
        The store writes a turn's events in one transaction at its end, so none of this turn
        was kept: the member gets a short apology, and the next message goes on from before."""
        sender = f"{channel}:{sender_id}"
        logger.exception("turn failed for sender %s; nothing of it was stored", sender,
                         extra={"sender": sender})
        emit("turn_failed", channel=channel)
        language = (turn.tracker.slots.get(LANGUAGE_SLOT) if turn is not None else None) or \
            self.languages.language_of(channel, sender_id,
                                       language_code=(metadata or {}).get("language_code"))
        apology = self._dispatcher.utter(ACTION_FAILED_RESPONSE, self._tracker_in(language))
        secret = contains_secret(text) or (turn is not None and turn.sensitive)
        return TurnResult(messages=[_bot_message(apology)], delete_user_message=secret,
                          sensitive=secret)

    def parse(self, text: str) -> dict:
        """The NLU's reading of a text in Rasa's parse format (`/model/parse`, tooling). A card
        number or SSN is redacted first: it is never parsed, echoed back or cached."""
        text = redact_secrets(text)
        return self._interpreter.parse(text, today=self._today() if self._today else None)

    # --- the member's message ---------------------------------------------------------------

    def _user_event(self, turn: _Turn, channel: str, sender_id: str, text: str,
                    metadata: dict) -> dict:
        tracker = turn.tracker
        metadata = {**metadata, "channel": channel, "chat_id": sender_id}
        requested = tracker.slots.get(REQUESTED_SLOT) if tracker.active_loop_name else None
        sensitive = self.domain.sensitive_slots
        found = find_secrets(text)
        # At a sensitive prompt (the SSN step) an SSN is the awaited answer: hidden as one.
        stray_ssn = found.ssn and requested not in sensitive
        if found.card_number or stray_ssn:
            # Never understood, stored or logged as it is: only the redacted text goes on.
            turn.warnings = [response for response, typed in (
                (CARD_NUMBER_RESPONSE, found.card_number), (SSN_RESPONSE, stray_ssn)) if typed]
            redacted = redact_secrets(text)
            event = _user_uttered(redacted, {"intent": {"name": None, "confidence": 0.0},
                                             "entities": [], "text": redacted},
                                  channel, metadata)
            turn.add(event)
            return event
        payload = parse_payload(text, self.domain.intents)
        turn.payload, turn.requested = payload is not None, requested
        # A button first; then what the prompt expects (an answer, a secret, an escape word);
        # only what is none of these goes to the NLU.
        parse = payload or self._prompts.read(tracker, text)
        if parse is None:
            parse = self._prompts.reconsider(
                tracker, text, self._understand(text, tracker.slots.get(LANGUAGE_SLOT)))
        event = _user_uttered(text, parse, channel, metadata)
        turn.add(event)
        filled = extract_slots(self.domain, tracker, self._prompts.rules)
        for slot_event in filled:
            turn.add(slot_event)
        turn.secret_answer = requested in sensitive or any(e["name"] in sensitive for e in filled)
        return event

    def _understand(self, text: str, language: str | None) -> dict:
        parse = self._interpreter.parse(text, today=self._today() if self._today else None,
                                        language=language)
        offered = self._interpreter.suggestions(parse)
        if offered is None:
            return parse
        # Not sure: as Rasa's FallbackClassifier does, the intent becomes nlu_fallback; the
        # ranking keeps the intents worth offering, likeliest first.
        confidence = {ranked["name"]: ranked["confidence"]
                      for ranked in parse.get("intent_ranking") or ()}
        top = parse["intent"].get("confidence", 0.0)
        fallback = {"name": NLU_FALLBACK_INTENT, "confidence": top}
        ranking = [fallback] + [{"name": name, "confidence": confidence.get(name, 0.0)}
                                for name in offered]
        return {**parse, "intent": fallback, "intent_ranking": ranking}

    # --- what happens next ------------------------------------------------------------------

    async def _predict_and_run(self, turn: _Turn) -> None:
        for _ in range(self._max_actions):
            action = self._policy.predict(turn.tracker)
            if action == ACTION_LISTEN:
                return
            if not await self._run(turn, action):
                return
        logger.warning("turn %s stopped after %d actions", turn.tracker.sender_id,
                       self._max_actions)

    async def _run(self, turn: _Turn, action: str) -> bool:
        """Run one action; False when the turn should stop here."""
        turn.actions.append(action)
        try:
            events = await self._dispatcher.run(action, turn.tracker)
        except LoopRejected:
            turn.add(ActionExecutionRejected(action))
            return True
        except ActionRejected:
            logger.warning("action %s rejected for sender %s", action, turn.tracker.sender_id)
            turn.add(ActionExecutionRejected(action))
            return False
        except Exception:
            # The member gets a short apology and can go on; the details go to the log.
            logger.exception("action %s failed for sender %s", action, turn.tracker.sender_id,
                             extra={"sender": turn.tracker.sender_id, "action": action})
            turn.failed_actions.append(action)
            turn.add(ActionExecuted(ACTION_FAILED_RESPONSE))
            turn.add(self._dispatcher.utter(ACTION_FAILED_RESPONSE, turn.tracker))
            return False
        turn.add(ActionExecuted(action))
        for event in events:
            turn.add(event)
        return True

    # --- sessions ---------------------------------------------------------------------------

    def _now(self) -> dt.datetime:
        return self._clock.now() if self._clock else dt.datetime.now(dt.UTC)

    def _session_expired(self, last_event_at: dt.datetime | None, now: dt.datetime) -> bool:
        if last_event_at is None:
            return True
        minutes = self.domain.session_expiration_minutes
        return minutes > 0 and now - last_event_at > dt.timedelta(minutes=minutes)

    def _start_session(self, turn: _Turn, *, keep_state: bool = False) -> None:
        """Rasa's action_session_start. Slots carry over when the domain says so, except a
        form's half-given answers and secrets: they belong to the session they were given in.
        With `keep_state` (a session grown too long, not an idle one) the member is in the
        middle of something: every slot and the open form carry over, secrets sealed again as
        they are stored."""
        tracker = turn.tracker
        initial = self.domain.initial_slots()
        if keep_state:
            kept = {name: value for name, value in tracker.slots.items()
                    if value != initial.get(name)}
        elif self.domain.carry_over_slots:
            left_behind = self.domain.form_slots() | self.domain.sensitive_slots | {REQUESTED_SLOT}
            kept = {name: value for name, value in tracker.slots.items()
                    if name not in left_behind and value != initial.get(name)}
        else:
            kept = {}
        form = tracker.active_loop_name if keep_state else None
        turn.add(SessionStarted())
        for name, value in kept.items():
            turn.add(SlotSet(name, value))
        if form:
            turn.add(ActiveLoop(form))
        turn.add(ActionExecuted(ACTION_LISTEN))


class _Turn:
    """What one turn has done so far."""

    def __init__(self, tracker: Tracker, timestamp: float, first_new: int):
        self.tracker = tracker
        self.timestamp = timestamp
        self.first_new = first_new
        self.actions: list[str] = []
        self.failed_actions: list[str] = []  # raised an error: the member got an apology
        self.warnings: list[str] = []  # a card number or an SSN was typed: what to say
        self.secret_answer = False  # the answer to a sensitive slot: stored as a marker
        self.requested: str | None = None  # the form's question the message answers
        self.payload = False  # a button's payload, not typed text
        self.withdrawn_message_ids: list = []  # earlier messages found to hold a secret

    @property
    def typed_secret(self) -> bool:
        return bool(self.warnings)

    @property
    def sensitive(self) -> bool:
        return self.typed_secret or self.secret_answer

    def add(self, event: dict) -> None:
        if event.get("timestamp") is None:
            event["timestamp"] = self.timestamp
        self.tracker.update(event)


def _user_uttered(text: str, parse: dict, channel: str, metadata: dict) -> dict:
    return {**UserUttered(text, parse, input_channel=channel), "metadata": metadata}


def _bot_message(event: dict) -> BotMessage:
    data = event.get("data") or {}
    return BotMessage(text=event.get("text"), buttons=list(data.get("buttons") or []),
                      custom=data.get("custom") or None)
