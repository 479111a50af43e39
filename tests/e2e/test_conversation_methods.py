"""Payment methods in chat: the list, the hosted page link, the default, and removing one — never
the autopay method, never someone else's."""

from __future__ import annotations

import logging
import re

import pytest

from services import payment_methods
from tests.e2e.demo_members import demo_member


@pytest.fixture
def svc(app_runtime):
    return app_runtime.services


def labels(svc, username):
    account_id = demo_member(svc, username).account_id
    return [(payment_methods.method_label(m), m.is_default)
            for m in payment_methods.list_methods(svc, account_id)]


def test_the_list_marks_the_default(rest_chat):
    rest_chat.log_in("alex")

    rest_chat.say("my payment methods")

    assert "• Visa ending in 4242 (default)\n• Checking ending in 6789" in rest_chat.text
    assert [b["title"] for b in rest_chat.buttons] == [
        "Add a card or bank account", "Remove…", "Make default…"]


def test_add_sends_a_one_time_link_to_the_hosted_page(rest_chat, svc):
    rest_chat.log_in("alex")
    rest_chat.say("/manage_payment_methods")

    rest_chat.tap("Add a card or bank account")

    link = re.search(r"http://\S+/methods/setup/(\S+)", rest_chat.text)
    assert link
    assert payment_methods.check_setup_token(svc, link.group(1)) == \
        demo_member(svc, "alex").account_id
    assert "Never type card numbers" in rest_chat.text


def test_make_another_method_the_default(rest_chat, svc):
    rest_chat.log_in("alex")

    rest_chat.say("/manage_payment_methods")
    rest_chat.tap("Make default")
    rest_chat.tap("Checking")

    assert "Checking ending in 6789 is now your default" in rest_chat.text
    assert labels(svc, "alex") == [("Checking ending in 6789", True),
                                   ("Visa ending in 4242", False)]


def test_remove_a_method_after_confirming(rest_chat, svc):
    rest_chat.log_in("alex")
    rest_chat.say("/manage_payment_methods")
    rest_chat.tap("Remove")
    rest_chat.tap("Checking")
    assert "Remove Checking ending in 6789?" in rest_chat.text
    assert len(labels(svc, "alex")) == 2

    rest_chat.tap("Remove")

    assert "Removed." in rest_chat.text
    assert "Checking" not in rest_chat.text
    assert labels(svc, "alex") == [("Visa ending in 4242", True)]


def test_cancel_at_the_removal_review_removes_nothing(rest_chat, svc):
    rest_chat.log_in("alex")
    rest_chat.say("/manage_payment_methods")
    rest_chat.tap("Remove")
    rest_chat.tap("Checking")

    rest_chat.say("cancel")

    assert "Nothing was charged or changed" in rest_chat.text
    assert len(labels(svc, "alex")) == 2


def test_the_autopay_method_cannot_be_removed(rest_chat, svc):
    rest_chat.log_in("maria")
    rest_chat.say("/manage_payment_methods")
    rest_chat.tap("Remove")
    rest_chat.tap("Checking")

    rest_chat.tap("Remove")

    assert "This bank account pays your autopay. Change autopay to another method first, or " \
           "cancel autopay." in rest_chat.text
    assert "Manage autopay" in [b["title"] for b in rest_chat.buttons]
    assert labels(svc, "maria") == [("Checking ending in 6789", True)]


def test_another_members_method_cannot_be_removed_or_made_default(rest_chat, svc, caplog):
    marias = demo_member(svc, "maria").method_ids["bank_ok"]
    rest_chat.log_in("alex")

    with caplog.at_level(logging.WARNING):
        rest_chat.say(f'/manage_payment_methods{{"remove_method": "{marias}"}}')
        assert "I couldn't find that payment method" in rest_chat.text
        rest_chat.say(f'/manage_payment_methods{{"default_method": "{marias}"}}')
        assert "I couldn't find that payment method" in rest_chat.text
        rest_chat.say(f'/affirm{{"method_confirm": "{marias}"}}')
        assert "nothing was removed" in rest_chat.text

    assert caplog.text.count("forged or stale payload") == 2
    assert labels(svc, "maria") == [("Checking ending in 6789", True)]


def test_removing_needs_the_password_again_after_an_idle_session(rest_chat, svc, clock):
    rest_chat.log_in("alex")
    rest_chat.say("/manage_payment_methods")
    rest_chat.tap("Remove")
    rest_chat.tap("Checking")
    clock.advance(minutes=16)

    rest_chat.tap("Remove")
    assert "password" in rest_chat.text.lower()
    assert len(labels(svc, "alex")) == 2

    rest_chat.say("Premium-Demo-2026")

    assert "Removed." in rest_chat.text
    assert len(labels(svc, "alex")) == 1


def test_methods_need_a_log_in(rest_chat):
    rest_chat.say("/manage_payment_methods")

    assert "let's log you in" in rest_chat.text and "username" in rest_chat.text
