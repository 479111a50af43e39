"""NLU for the embedded engine: intents and entities from data/nlu.yml, in Rasa's parse format."""

from dialogs.engine.nlu.interpreter import NluInterpreter
from dialogs.engine.nlu.redaction import contains_card_number, redact_card_numbers

__all__ = ["NluInterpreter", "contains_card_number", "redact_card_numbers"]
