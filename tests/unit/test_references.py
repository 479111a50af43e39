"""Payment references: readable, typed back loosely, and guarded by a check character."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.references import (
    ALPHABET,
    check_value,
    is_valid_reference,
    new_reference,
    normalize_reference,
)

CANONICAL = re.compile(rf"^HC-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}$")
references = st.randoms(use_true_random=False).map(new_reference)


def code_of(reference: str) -> str:
    return reference.removeprefix("HC-").replace("-", "")


def as_reference(code: str) -> str:
    return f"HC-{code[:4]}-{code[4:]}"


def test_alphabet_leaves_out_look_alikes():
    assert len(ALPHABET) == len(set(ALPHABET)) == 30
    assert not set("01ILOU") & set(ALPHABET)


@given(references)
def test_new_references_are_canonical_and_valid(reference):
    assert CANONICAL.match(reference)
    assert normalize_reference(reference) == reference
    assert is_valid_reference(reference)


@given(references, st.sampled_from(["lower", "no_dashes", "spaces", "no_prefix", "mixed"]))
def test_loosely_typed_references_normalize(reference, style):
    code = code_of(reference)
    typed = {
        "lower": reference.lower(),
        "no_dashes": "hc" + code.lower(),
        "spaces": f" HC {code[:4]} {code[4:]} ",
        "no_prefix": f"{code[:4]}-{code[4:]}",
        "mixed": f"Hc-{code[:4].lower()}{code[4:]}",
    }[style]
    assert normalize_reference(typed) == reference


@given(references, st.integers(min_value=0, max_value=7), st.sampled_from(ALPHABET))
def test_every_single_character_substitution_is_caught(reference, position, char):
    code = code_of(reference)
    if code[position] == char:
        return
    mistyped = code[:position] + char + code[position + 1:]
    assert normalize_reference(as_reference(mistyped)) is None


@given(references, st.integers(min_value=0, max_value=6))
def test_every_adjacent_transposition_is_caught(reference, position):
    code = code_of(reference)
    if code[position] == code[position + 1]:
        return
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2:]
    assert normalize_reference(as_reference(swapped)) is None


def test_exhaustively_for_one_reference():
    """Every substitution at every position, and every swap of any two positions."""
    code = code_of(new_reference(random.Random(7)))
    for position in range(8):
        for char in ALPHABET.replace(code[position], ""):
            assert not is_valid_reference(code[:position] + char + code[position + 1:])
    for i in range(8):
        for j in range(i + 1, 8):
            if code[i] != code[j]:
                chars = list(code)
                chars[i], chars[j] = chars[j], chars[i]
                assert not is_valid_reference("".join(chars))


@pytest.mark.parametrize("text", [
    "", "HC-", "HC-7K3M-9Q2", "HC-7K3M-9Q2DX", "HC-0K3M-9Q2D", "HC-7K3M-9Q2O", "hello world",
    "XX-7K3M-9Q2D", None, 12345678,
])
def test_malformed_references_are_none(text):
    assert normalize_reference(text) is None
    assert not is_valid_reference(text)


class ScriptedChoices:
    """An rng that picks the characters of the given bodies, one after another."""

    def __init__(self, *bodies: str):
        self._chars = iter("".join(bodies))

    def choice(self, seq: str) -> str:
        return next(self._chars)


def test_a_body_whose_check_has_no_character_is_drawn_again():
    no_check = next(body for body in ("".join(random.Random(n).choices(ALPHABET, k=7))
                                      for n in range(10_000)) if check_value(body) == 30)
    reference = new_reference(ScriptedChoices(no_check, "2345678"))
    assert code_of(reference)[:7] == "2345678"
    assert is_valid_reference(reference)
