"""Decline explanations: plain language, true to the reference, never revealing a fraud code."""

from __future__ import annotations

import re

import pytest
import yaml

from services.adapters.sandbox_cards import TEST_BEHAVIOURS
from services.troubleshooting import (
    DEFAULT_TROUBLESHOOTING_FILE,
    explain_decline,
    is_hard_decline,
    is_soft_decline,
    load_knowledge,
)

RAW = yaml.safe_load(DEFAULT_TROUBLESHOOTING_FILE.read_text())
ALL_CODES = sorted(RAW["codes"])

# REFERENCE.md, "Stripe behaviour the sandbox gateway mirrors".
REFERENCE_SOFT = {"insufficient_funds", "do_not_honor", "generic_decline", "processing_error",
                  "card_velocity_exceeded", "try_again_later"}
REFERENCE_HARD = {"lost_card", "stolen_card", "fraudulent", "expired_card", "incorrect_cvc",
                  "incorrect_number", "incorrect_zip"}
ISSUE_CODES = {"insufficient_funds", "expired_card", "incorrect_cvc", "processing_error",
               "do_not_honor", "generic_decline", "card_velocity_exceeded",
               "authentication_required", "incorrect_number", "incorrect_zip",
               "issuer_not_available", "try_again_later", "call_issuer",
               "transaction_not_allowed"}
HIDDEN = ["lost_card", "stolen_card", "fraudulent", "pickup_card", "restricted_card"]
INTENTS = {"/make_payment", "/manage_payment_methods", "/talk_to_human"}


def all_texts() -> list[str]:
    texts = []
    for code in ALL_CODES:
        for kind in ("card", "bank_account"):
            explained = explain_decline(code, method_kind=kind)
            texts += [explained.title, explained.explanation, *explained.next_steps]
    return texts


def test_every_code_the_issue_and_the_sandbox_name_has_an_entry():
    sandbox_codes = {b.decline_code for b in TEST_BEHAVIOURS.values() if b.decline_code}
    known = set(ALL_CODES) | set(RAW["hidden_codes"])
    assert ISSUE_CODES | sandbox_codes | {"account_closed", "no_account",
                                          "debit_not_authorized"} <= known


@pytest.mark.parametrize("code", ALL_CODES)
@pytest.mark.parametrize("kind", ["card", "bank_account"])
def test_every_code_has_a_short_explanation_steps_and_buttons(code, kind):
    explained = explain_decline(code, method_kind=kind)
    assert explained.shown_code == code
    assert explained.title and explained.explanation
    assert 1 <= len(re.findall(r"[.!?](\s|$)", explained.explanation)) <= 2
    assert explained.next_steps and all(step.strip() for step in explained.next_steps)
    assert explained.suggested_buttons
    assert {intent for _, intent in explained.suggested_buttons} <= INTENTS


@pytest.mark.parametrize("code", HIDDEN)
def test_lost_stolen_and_fraudulent_cards_look_like_a_generic_decline(code):
    explained = explain_decline(code)
    generic = explain_decline("generic_decline")
    assert explained.shown_code == "generic_decline"
    assert (explained.title, explained.explanation, explained.next_steps) == (
        generic.title, generic.explanation, generic.next_steps)
    assert not explained.retryable_later
    assert is_hard_decline(code) and not is_soft_decline(code)
    shown = " ".join([explained.title, explained.explanation, *explained.next_steps]).lower()
    for word in ("lost", "stolen", "fraud", "pick up", "restricted"):
        assert word not in shown


def test_no_text_reveals_why_a_card_was_flagged():
    for text in all_texts():
        assert not re.search(r"\b(lost|stolen|fraud\w*)\b", text, re.IGNORECASE), text


def test_unknown_and_missing_codes_get_the_generic_explanation():
    assert explain_decline("some_new_code").shown_code == "generic_decline"
    assert not explain_decline("some_new_code").retryable_later
    assert not is_soft_decline("some_new_code") and not is_hard_decline("some_new_code")
    assert explain_decline(None).shown_code == "generic_decline"


def test_soft_and_hard_declines_match_the_reference():
    assert REFERENCE_SOFT <= {code for code in ALL_CODES if is_soft_decline(code)}
    assert all(is_hard_decline(code) for code in REFERENCE_HARD)
    assert not any(is_hard_decline(code) for code in REFERENCE_SOFT)
    assert not any(is_soft_decline(code) for code in REFERENCE_HARD)
    for code in REFERENCE_SOFT:
        assert explain_decline(code).retryable_later
    for code in REFERENCE_HARD:
        assert not explain_decline(code).retryable_later


def test_authentication_required_is_neither_retried_nor_dead():
    explained = explain_decline("authentication_required")
    assert not is_soft_decline("authentication_required")
    assert not is_hard_decline("authentication_required")
    assert explained.suggested_buttons[0] == ("Pay now", "/make_payment")


def test_bank_accounts_get_bank_wording():
    card = explain_decline("insufficient_funds", method_kind="card")
    bank = explain_decline("insufficient_funds", method_kind="bank_account")
    assert "card" in card.explanation and "bank" in bank.explanation
    assert "card issuer" not in explain_decline(None, method_kind="bank_account").explanation
    assert is_hard_decline("account_closed") and is_hard_decline("debit_not_authorized")


def test_texts_stay_true_to_the_exchange():
    # No payment plans exist and no late fees are charged: the bot must never suggest either.
    for text in all_texts():
        lowered = text.lower()
        assert "late fee" not in lowered and "payment plan" not in lowered, text
        assert "ach" not in lowered.split() and "cvv" not in lowered


def test_card_detail_codes_point_to_the_secure_page_not_the_chat():
    for code in ("incorrect_cvc", "incorrect_number", "incorrect_zip"):
        explained = explain_decline(code)
        assert explained.suggested_buttons[0][1] == "/manage_payment_methods"
        assert any("never type card details in this chat" in s for s in explained.next_steps)


def test_a_broken_file_fails_at_load(tmp_path):
    broken = RAW | {"codes": RAW["codes"] | {"odd": {"decline": "maybe", "buttons": []}}}
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(broken))
    with pytest.raises(ValueError, match="odd needs decline"):
        load_knowledge(path)
