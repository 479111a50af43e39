"""How a visitor can be reached (dialogs/actions/support_request.reachable_at): a phone number
phonenumbers calls valid, in E.164, or an e-mail address email-validator accepts, normalized."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialogs.actions.support_request import reachable_at


@pytest.mark.parametrize("typed,kept", [
    ("(617) 555-0123", "+16175550123"), ("617.555.0123", "+16175550123"),
    ("+1 617 555 0123", "+16175550123"), ("+44 20 7946 0958", "+442079460958"),
    ("jo@example.com", "jo@example.com"), (" Jo.Lee@EXAMPLE.com ", "Jo.Lee@example.com")])
def test_phone_numbers_and_e_mail_addresses_are_kept_in_one_form(typed, kept):
    assert reachable_at(typed) == kept


@pytest.mark.parametrize("typed", ["call me maybe", "555-0123", "123", "jo@", "jo@example",
                                   "@example.com", "+1 000 000 0000", ""])
def test_anything_else_is_refused(typed):
    assert reachable_at(typed) is None


@given(st.text(max_size=40))
def test_whatever_is_typed_the_answer_is_a_contact_or_none(typed):
    kept = reachable_at(typed)
    assert kept is None or kept.startswith("+") or "@" in kept
