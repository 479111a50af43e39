"""Button payloads typed by anyone: entity values reach actions only as strings or numbers."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialogs.engine.payloads import parse_payload

INTENTS = {"help", "make_payment"}


def test_strings_numbers_and_lists_of_them_are_entities():
    parse = parse_payload('/help{"faq_topic": "grace", "amount": 12000, "ids": [1, "b"]}',
                          INTENTS)
    assert [(e["entity"], e["value"]) for e in parse["entities"]] == [
        ("faq_topic", "grace"), ("amount", 12000), ("ids", 1), ("ids", "b")]


@pytest.mark.parametrize("value", [
    {"a": 1}, [[1]], [{"a": 1}], None, True, [False], "NaN", "Infinity",
])
def test_any_other_value_makes_it_ordinary_text(value):
    encoded = value if value in ("NaN", "Infinity") else json.dumps(value)
    assert parse_payload(f'/help{{"faq_topic": {encoded}}}', INTENTS) is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8)


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=4))
def test_whatever_is_typed_an_entity_value_is_a_string_or_a_finite_number(entities):
    parse = parse_payload(f"/help{json.dumps(entities)}", INTENTS)
    if parse is None:
        return
    for entity in parse["entities"]:
        value = entity["value"]
        assert type(value) in (str, int, float)
        assert value == value and value not in (float("inf"), float("-inf"))
