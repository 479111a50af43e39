"""HealthPay's embedded, Rasa-compatible dialogue engine.

It runs the data in data/ (a Rasa 3.x domain, rules and stories) and the rasa-sdk actions in
dialogs/actions, the way Rasa Core would, for any channel:

    engine = build_engine(services)                      # or Engine(...) with your own parts
    result = await engine.handle_message("telegram", "12345", "hi", metadata={...})
    for message in result.messages:                      # BotMessage(text, buttons, custom)
        ...                                              # buttons: [{"title", "payload"}]
    if result.delete_user_message:                       # a card number or a password
        ...                                              # delete the member's message

A conversation is keyed by (channel, sender id); actions see it as the tracker's sender id
"<channel>:<sender id>". A button's payload is sent back as the message text.

- `Engine(domain, rules, interpreter, tracker_store, action_runner, *, clock, today, rng,
  sealer, prompt_rules)`: prompt_rules (data/prompt_answers.yml) say how an answer at a form's
  prompt is told from a question or a request
- `build_engine(services, *, data_dir, action_endpoint_url, interpreter, nlu_cache_dir, rng)`
- `Domain.load(domain_path, sensitive_slots_path)`, `load_rules(path)`
- `TrackerStore(uow_factory)`: events per conversation in the database, turns serialized
- `InProcessActionRunner()` / `HttpActionRunner(url)` / `make_action_runner(url or None)`
- `run_action_server(port=5055, host="127.0.0.1", services=...)` in dialogs.engine.action_server
"""

from dialogs.engine.action_runner import (
    HttpActionRunner,
    InProcessActionRunner,
    make_action_runner,
)
from dialogs.engine.bootstrap import build_engine
from dialogs.engine.domain import Domain
from dialogs.engine.engine import BotMessage, Engine, Interpreter, TurnResult
from dialogs.engine.stories import load_rules
from dialogs.engine.tracker_store import TrackerStore

__all__ = [
    "BotMessage",
    "Domain",
    "Engine",
    "HttpActionRunner",
    "InProcessActionRunner",
    "Interpreter",
    "TrackerStore",
    "TurnResult",
    "build_engine",
    "load_rules",
    "make_action_runner",
]
