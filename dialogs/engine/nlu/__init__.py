"""NLU for the embedded engine: intents and entities from data/nlu.yml, in Rasa's parse format.

    interpreter = NluInterpreter.load()          # data/nlu.yml, cached in var/cache/nlu
    parse = interpreter.parse("pay $120 next friday", today=svc.today())
    # {"text", "intent": {"name", "confidence"}, "intent_ranking": [...10],
    #  "entities": [{"entity": "amount", "start": 4, "end": 8, "value": 12000, ...}, ...]}
    offered = interpreter.suggestions(parse)    # None: act; else intent names for buttons

Entity values: `amount` in integer cents, `date` as YYYY-MM-DD, `payment_reference` as
HC-XXXX-XXXX, `member_id` as 12 digits; `plan_type`, `method_type`, `reminder_days` come from
nlu.yml's lookups, regexes and synonyms. `contains_card_number` and `redact_card_numbers` are
for everything that stores or logs a member's message.
"""

from dialogs.engine.nlu.interpreter import NluInterpreter
from dialogs.engine.nlu.redaction import contains_card_number, redact_card_numbers

__all__ = ["NluInterpreter", "contains_card_number", "redact_card_numbers"]
