"""The domain: what the bot understands, remembers, asks for and says, read from a Rasa 3.x
domain.yml, plus HealthPay's list of sensitive slots (data/sensitive_slots.yml)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dialogs.engine.languages import Language, load_languages, with_languages

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
LANGUAGES_DIR = DATA_DIR / "languages"

REQUESTED_SLOT = "requested_slot"
ACTION_LISTEN = "action_listen"
ACTION_DEFAULT_FALLBACK = "action_default_fallback"
NLU_FALLBACK_INTENT = "nlu_fallback"
# Actions the engine itself runs, as Rasa does; any other action is a response, a form or a
# rasa-sdk action declared in the domain. (A session starts by itself, without an action.)
BUILTIN_ACTIONS = frozenset({ACTION_LISTEN, ACTION_DEFAULT_FALLBACK})
# Intents Rasa adds to every domain.
BUILTIN_INTENTS = frozenset({NLU_FALLBACK_INTENT, "out_of_scope", "session_start", "restart",
                             "back"})
ACTION_FAILED_RESPONSE = "utter_action_failed"
CARD_NUMBER_RESPONSE = "utter_card_number_warning"
SSN_RESPONSE = "utter_ssn_warning"
BUSY_RESPONSE = "utter_busy"  # the worker cannot take a turn now (dialogs/engine/turn_queue.py)
# Responses the engine needs for its own behaviour (see engine.py and dispatcher.py).
HELP_MENU_RESPONSE = "utter_help_menu"  # its items can be typed by title at any time
ENGINE_RESPONSES = ("utter_default", "utter_did_you_mean", HELP_MENU_RESPONSE,
                    ACTION_FAILED_RESPONSE, CARD_NUMBER_RESPONSE, SSN_RESPONSE, BUSY_RESPONSE)
INTENT_LABEL_PREFIX = "utter_intent_"

SLOT_TYPES = frozenset({"text", "bool", "categorical", "float", "list", "any"})
MAPPING_TYPES = frozenset({"from_entity", "from_text", "from_intent", "custom"})


class DomainFileError(ValueError):
    """The domain file asks for something this engine does not do."""


@dataclass(frozen=True)
class Slot:
    name: str
    type: str
    initial_value: Any
    values: tuple[str, ...]
    mappings: tuple[dict, ...]


@dataclass(frozen=True)
class Domain:
    raw: dict  # the domain as read: what every rasa-sdk action call carries
    intents: tuple[str, ...]
    entities: tuple[str, ...]
    slots: dict[str, Slot]
    forms: dict[str, tuple[str, ...]]  # form name -> required slots, in order
    actions: tuple[str, ...]  # rasa-sdk actions
    responses: dict[str, list[dict]]
    session_expiration_minutes: float  # 0: sessions never expire
    carry_over_slots: bool
    sensitive_slots: frozenset[str]
    # Prompts next to a secret (the username before the password): a reply not taken as their
    # answer may be the secret typed one step early, and is kept out of the store.
    credential_prompts: frozenset[str] = frozenset()
    # The language folders (dialogs/engine/languages.py), their texts already in `responses`.
    languages: Mapping[str, Language] = field(default_factory=dict)

    @classmethod
    def load(cls, domain_path: Path | str = DATA_DIR / "domain.yml",
             sensitive_slots_path: Path | str | None = DATA_DIR / "sensitive_slots.yml", *,
             language_dirs: Iterable[Path | str] = (LANGUAGES_DIR,)) -> Domain:
        raw = yaml.safe_load(Path(domain_path).read_text())
        listed = {}
        if sensitive_slots_path is not None:
            listed = yaml.safe_load(Path(sensitive_slots_path).read_text())
        return cls.from_dict(raw, sensitive_slots=listed.get("sensitive_slots") or (),
                             credential_prompts=listed.get("credential_prompts") or (),
                             languages=load_languages(language_dirs))

    @classmethod
    def from_dict(cls, raw: dict, *, sensitive_slots=(), credential_prompts=(),
                  languages: Mapping[str, Language] | None = None) -> Domain:
        # Every action call sends the domain as JSON: fail here, not mid-conversation.
        raw = json.loads(json.dumps(with_languages(raw, languages or {})))
        forms = {
            name: tuple((spec or {}).get("required_slots", []))
            for name, spec in (raw.get("forms") or {}).items()
        }
        slots = {name: _slot(name, spec) for name, spec in (raw.get("slots") or {}).items()}
        if forms and REQUESTED_SLOT not in slots:
            slots[REQUESTED_SLOT] = Slot(REQUESTED_SLOT, "text", None, (), ())
        unknown = (set(sensitive_slots) | set(credential_prompts)) - set(slots)
        if unknown:
            raise DomainFileError(f"sensitive slots not in the domain: {sorted(unknown)}")
        session = raw.get("session_config") or {}
        return cls(
            raw=raw,
            intents=tuple(_names(raw.get("intents"))),
            entities=tuple(_names(raw.get("entities"))),
            slots=slots,
            forms=forms,
            actions=tuple(raw.get("actions") or ()),
            responses=dict(raw.get("responses") or {}),
            session_expiration_minutes=float(session.get("session_expiration_time", 60)),
            carry_over_slots=bool(session.get("carry_over_slots_to_new_session", True)),
            sensitive_slots=frozenset(sensitive_slots),
            credential_prompts=frozenset(credential_prompts),
            languages=dict(languages or {}),
        )

    def knows_action(self, name: str) -> bool:
        return (name in BUILTIN_ACTIONS or name in self.actions or name in self.forms
                or name in self.responses)

    def knows_intent(self, name: str) -> bool:
        return name in self.intents or name in BUILTIN_INTENTS

    def initial_slots(self) -> dict[str, Any]:
        return {name: slot.initial_value for name, slot in self.slots.items()}

    def form_slots(self) -> frozenset[str]:
        return frozenset(slot for required in self.forms.values() for slot in required)


def _names(entries) -> list[str]:
    """Intents and entities are names, or one-key maps from a name to its settings."""
    names = []
    for entry in entries or ():
        names.extend(entry if isinstance(entry, dict) else [entry])
    return names


def _slot(name: str, spec: dict) -> Slot:
    slot_type = spec.get("type")
    if slot_type not in SLOT_TYPES:
        raise DomainFileError(f"slot {name!r} has type {slot_type!r}; "
                              f"supported: {sorted(SLOT_TYPES)}")
    mappings = tuple(spec.get("mappings") or ())
    for mapping in mappings:
        if mapping.get("type") not in MAPPING_TYPES:
            raise DomainFileError(f"slot {name!r} has a {mapping.get('type')!r} mapping; "
                                  f"supported: {sorted(MAPPING_TYPES)}")
    return Slot(
        name=name,
        type=slot_type,
        initial_value=spec.get("initial_value"),
        values=tuple(spec.get("values") or ()),
        mappings=mappings,
    )
