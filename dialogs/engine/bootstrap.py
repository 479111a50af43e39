"""Building the engine from the service layer and the data in data/."""

from __future__ import annotations

import random
from pathlib import Path

from dialogs.actions import runtime
from dialogs.engine.action_runner import make_action_runner
from dialogs.engine.domain import DATA_DIR, Domain
from dialogs.engine.engine import Engine, Interpreter
from dialogs.engine.sealing import SlotSealer
from dialogs.engine.stories import load_rules
from dialogs.engine.tracker_store import TrackerStore
from dialogs.engine.turn_queue import TurnQueue
from services.context import Services


def build_engine(services: Services, *, data_dir: Path = DATA_DIR,
                 action_endpoint_url: str | None = None, interpreter: Interpreter | None = None,
                 nlu_cache_dir: Path | None = None, rng: random.Random | None = None,
                 turn_queue: TurnQueue | None = None, max_session_events: int = 1000) -> Engine:
    """The engine over `services`' database and clock. Actions run in this process (they reach
    `services` through dialogs.actions.runtime) unless `action_endpoint_url` names an action
    server. Without `interpreter`, the NLU is trained from data_dir/nlu.yml (cached)."""
    if interpreter is None:
        from dialogs.engine.nlu import NluInterpreter

        cache = {"cache_dir": nlu_cache_dir} if nlu_cache_dir else {}
        interpreter = NluInterpreter.load(nlu_path=data_dir / "nlu.yml", **cache)
    runtime.configure(services)
    return Engine(
        Domain.load(data_dir / "domain.yml", data_dir / "sensitive_slots.yml"),
        load_rules(data_dir / "rules.yml"),
        interpreter,
        TrackerStore(services.chat_state_uow),
        make_action_runner(action_endpoint_url),
        clock=services.clock,
        today=services.today,
        rng=rng,
        sealer=SlotSealer(services.secrets.session_key, now=services.clock.now),
        turn_queue=turn_queue,
        max_session_events=max_session_events,
    )
