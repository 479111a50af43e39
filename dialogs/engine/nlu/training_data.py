"""Rasa 3.x NLU training data (`nlu:` sections of a YAML file), read without Rasa.

Reads intents with their examples, entity annotations (`[text](entity)`, `[text](entity:value)`,
`[text]{"entity": ..., "value": ...}`), and the `regex:`, `lookup:` and `synonym:` sections.
An annotation with a different value adds a synonym, as Rasa does.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

# Rasa's own annotation grammar: (entity) / (entity:value) / {json} / [{json}, ...].
_ANNOTATION = re.compile(
    r"\[(?P<text>[^\]]+?)\]"
    r"(?:\((?P<entity>[^:)]+?)(?::(?P<value>[^)]+))?\)"
    r"|(?P<dict>\{[^}]+?\})"
    r"|\[(?P<dicts>.*?)\])"
)


class TrainingDataError(ValueError):
    """The NLU file is not valid Rasa 3.x NLU data."""


@dataclass(frozen=True)
class EntityAnnotation:
    entity: str
    start: int
    end: int
    text: str
    value: str


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: tuple[EntityAnnotation, ...] = ()


@dataclass(frozen=True)
class NluData:
    examples: tuple[Example, ...]
    regexes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lookups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # lower-cased surface form -> the value it stands for
    synonyms: dict[str, str] = field(default_factory=dict)

    @property
    def intents(self) -> list[str]:
        return list(dict.fromkeys(example.intent for example in self.examples))

    def annotated_values(self, entity: str) -> set[str]:
        return {a.text for e in self.examples for a in e.entities if a.entity == entity}


def merge_nlu_data(parts: Sequence[NluData]) -> NluData:
    """Several training files as one (one per language): examples, regexes and lookups add
    up; a later synonym for the same surface form wins."""
    regexes: dict[str, tuple[str, ...]] = {}
    lookups: dict[str, tuple[str, ...]] = {}
    for part in parts:
        for name, patterns in part.regexes.items():
            regexes[name] = regexes.get(name, ()) + patterns
        for name, values in part.lookups.items():
            lookups[name] = lookups.get(name, ()) + values
    return NluData(tuple(e for part in parts for e in part.examples), regexes, lookups,
                   {k: v for part in parts for k, v in part.synonyms.items()})


def file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_nlu_data(path: Path) -> NluData:
    return parse_nlu_yaml(Path(path).read_text(encoding="utf-8"), source=str(path))


def parse_nlu_yaml(content: str, *, source: str = "<string>") -> NluData:
    try:
        document = yaml.safe_load(content) or {}
    except yaml.YAMLError as error:
        raise TrainingDataError(f"{source}: not valid YAML: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("nlu") or [], list):
        raise TrainingDataError(f"{source}: expected a mapping with an `nlu:` list")
    examples: list[Example] = []
    regexes: dict[str, tuple[str, ...]] = {}
    lookups: dict[str, tuple[str, ...]] = {}
    synonyms: dict[str, str] = {}
    for item in document.get("nlu") or []:
        if not isinstance(item, dict):
            raise TrainingDataError(f"{source}: every `nlu:` entry must be a mapping")
        lines = _example_lines(item.get("examples"), source)
        if "intent" in item:
            parsed = [parse_example(line, str(item["intent"])) for line in lines]
            examples.extend(parsed)
            for example in parsed:
                for annotation in example.entities:
                    if annotation.value != annotation.text:
                        synonyms[annotation.text.lower()] = annotation.value
        elif "regex" in item:
            regexes[str(item["regex"])] = regexes.get(str(item["regex"]), ()) + tuple(lines)
        elif "lookup" in item:
            lookups[str(item["lookup"])] = lookups.get(str(item["lookup"]), ()) + tuple(lines)
        elif "synonym" in item:
            synonyms.update({line.lower(): str(item["synonym"]) for line in lines})
    return NluData(tuple(examples), regexes, lookups, synonyms)


def _example_lines(examples: object, source: str) -> list[str]:
    """`examples: |` block text, or the list form `- text: ...` Rasa also accepts."""
    if isinstance(examples, str):
        lines = [line.strip() for line in examples.splitlines()]
        return [line[1:].strip() for line in lines if line.startswith("-") and line[1:].strip()]
    if isinstance(examples, list):
        return [str(e["text"]).strip() for e in examples if isinstance(e, dict) and "text" in e]
    raise TrainingDataError(f"{source}: every section needs `examples`")


def parse_example(line: str, intent: str) -> Example:
    """'pay [$120](amount) now' -> Example('pay $120 now', intent, (amount 4..8,))."""
    plain: list[str] = []
    annotations: list[EntityAnnotation] = []
    cursor = length = 0
    for match in _ANNOTATION.finditer(line):
        plain.append(line[cursor:match.start()])
        length += match.start() - cursor
        text = match.group("text")
        for entity, value in _annotation_entities(match):
            annotations.append(
                EntityAnnotation(
                    entity, length, length + len(text), text, text if value is None else str(value)
                )
            )
        plain.append(text)
        length += len(text)
        cursor = match.end()
    plain.append(line[cursor:])
    return Example("".join(plain), intent, tuple(annotations))


def _annotation_entities(match: re.Match[str]) -> list[tuple[str, object]]:
    if match.group("entity"):
        return [(match.group("entity").strip(), match.group("value"))]
    raw = match.group("dict") or f"[{match.group('dicts')}]"
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as error:
        raise TrainingDataError(f"bad entity annotation {match.group()!r}: {error}") from error
    items = parsed if isinstance(parsed, list) else [parsed]
    return [(str(item["entity"]), item.get("value")) for item in items if "entity" in item]
