"""Building the engine from the service layer and the data in data/."""

from __future__ import annotations

import random
from pathlib import Path

from dialogs.actions import runtime
from dialogs.engine.action_runner import make_action_runner
from dialogs.engine.domain import DATA_DIR, Domain
from dialogs.engine.engine import Engine, Interpreter
from dialogs.engine.languages import LanguageChooser
from dialogs.engine.prompt_answers import PromptRules
from dialogs.engine.sealing import SlotSealer
from dialogs.engine.session_cache import DEFAULT_MAX_CHARS, SessionCache
from dialogs.engine.stories import load_rules
from dialogs.engine.tracker_cache import DEFAULT_MAX_EVENTS
from dialogs.engine.tracker_store import TrackerStore
from dialogs.engine.turn_queue import TurnQueue
from services import formatting, language_files
from services.context import Services


def build_engine(services: Services, *, data_dir: Path = DATA_DIR,
                 action_endpoint_url: str | None = None, interpreter: Interpreter | None = None,
                 nlu_cache_dir: Path | None = None, rng: random.Random | None = None,
                 turn_queue: TurnQueue | None = None, max_session_events: int = 1000,
                 tracker_cache_events: int = DEFAULT_MAX_EVENTS,
                 session_cache_chars: int = DEFAULT_MAX_CHARS) -> Engine:
    """The engine over `services`' database and clock. Actions run in this process (they reach
    `services` through dialogs.actions.runtime) unless `action_endpoint_url` names an action
    server. Without `interpreter`, the NLU is trained from data_dir/nlu.yml and
    each language folder's nlu.yml (cached). `tracker_cache_events` and `session_cache_chars`
    bound what the worker keeps of recent conversations (TRACKER_CACHE_EVENTS,
    SESSION_CACHE_CHARS)."""
    domain = Domain.load(data_dir / "domain.yml", data_dir / "sensitive_slots.yml",
                         language_dirs=(data_dir / "languages",))
    if data_dir != DATA_DIR:  # a deployment's own data: the services read its languages too
        language_files.use_language_dirs(data_dir / "languages")
    for language in domain.languages.values():  # dates and amounts read as in each language
        formatting.register_locale(language.code, language.locale)
    LanguageChooser(domain.languages).warm_up()
    if interpreter is None:
        from dialogs.engine.nlu import NluInterpreter

        cache = {"cache_dir": nlu_cache_dir} if nlu_cache_dir else {}
        # Every language's examples train the one model (data/languages/<code>/nlu.yml).
        interpreter = NluInterpreter.load(
            nlu_path=data_dir / "nlu.yml", **cache,
            extra_nlu_paths=[lang.nlu_path for lang in domain.languages.values()
                             if lang.nlu_path is not None])
    runtime.configure(services)
    return Engine(
        domain,
        load_rules(data_dir / "rules.yml"),
        interpreter,
        TrackerStore(services.chat_state_uow, cache=SessionCache(session_cache_chars)),
        make_action_runner(action_endpoint_url),
        clock=services.clock,
        today=services.today,
        rng=rng,
        sealer=SlotSealer(services.secrets.session_key, now=services.clock.now),
        prompt_rules=PromptRules.load(data_dir / "prompt_answers.yml"),
        turn_queue=turn_queue,
        max_session_events=max_session_events,
        tracker_cache_events=tracker_cache_events,
    )
