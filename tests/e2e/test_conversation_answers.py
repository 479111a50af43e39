"""Answers from the exchange's policy: a missed payment for the member's own subsidy type, due
dates, separate bills, posting time, other ways to pay and help for members who cannot afford
their premium; never a late fee or a payment plan."""

from __future__ import annotations

import re

import pytest
import yaml

from dialogs.actions.answers import ANSWERS_FILE, answer, load_answers

AFTER = ("you can ask to be reinstated within 35 days of the termination notice by calling "
         "1-877-623-6765 (TTY 711)")


def test_james_with_connectorcare_hears_of_his_grace_period_and_its_end(rest_chat):
    rest_chat.log_in("james")

    rest_chat.say("what happens if I miss a payment?")

    assert "With ConnectorCare, you have a 3-month grace period" in rest_chat.text
    assert ("Right now your October and November 2026 premiums, $266.00, are past due"
            ) in rest_chat.text
    assert ("you're in month 2 of 3 of your grace period. Pay by December 31, 2026 to keep your "
            "coverage") in rest_chat.text
    assert AFTER in rest_chat.text
    assert "doesn't charge late fees" in rest_chat.text


def test_linda_without_a_subsidy_hears_of_her_pay_by_date(rest_chat):
    rest_chat.log_in("linda")

    rest_chat.say("/missed_payment")

    assert "Without a subsidy there is no grace period" in rest_chat.text
    assert ("Right now your November 2026 premium, $734.00, is past due. Pay by November 22, "
            "2026 to keep your coverage") in rest_chat.text
    assert "grace period:" not in rest_chat.text
    assert AFTER in rest_chat.text


def test_a_member_not_logged_in_hears_both_rules(rest_chat):
    rest_chat.say("i missed my payment")

    assert "With ConnectorCare or a tax credit, you have a 3-month grace period" in rest_chat.text
    assert "Without a subsidy there is no grace period" in rest_chat.text
    assert "Log in to see what applies to you" in rest_chat.text


@pytest.mark.parametrize(("question", "expected"), [
    ("when are premiums due", "the next due date is November 23, for December 2026 coverage"),
    ("are health and dental billed separately", "Health and dental plans are billed separately"),
    ("how long does it take for a bank payment to post", "up to 4 business days to settle"),
    ("can i pay by phone", "pay by phone at 1-877-623-6765 (TTY 711)"),
    ("can i mail a check", "P.O. Box 970063, Boston, MA 02297-0063"),
    ("i can't afford my premium", "hardship waiver or reduction"),
    ("do you offer payment plans", "doesn't offer payment plans"),
    ("is there a late fee", "doesn't charge late fees"),
])
def test_questions_in_the_members_words_get_the_policys_answer(rest_chat, question, expected):
    rest_chat.say(question)

    assert expected in rest_chat.text
    assert "More questions" in [b["title"] for b in rest_chat.buttons]


def test_the_help_menu_leads_to_every_topic(rest_chat):
    rest_chat.say("hi")
    rest_chat.tap("Questions about premiums")
    topics = [b["title"] for b in rest_chat.buttons]
    assert topics == [topic["title"] for topic in load_answers()["topics"].values()]

    rest_chat.tap("Other ways to pay")

    assert "money order" in rest_chat.text


def test_cannot_afford_offers_the_income_change_route(rest_chat):
    rest_chat.say("/help")
    rest_chat.tap("Questions about premiums")
    rest_chat.tap("I can't afford")

    assert "Anyone can report an income change" in rest_chat.text
    assert "If I miss a payment" in [b["title"] for b in rest_chat.buttons]


# --- the texts themselves -------------------------------------------------------------------

# A promise of either, in any words: "late fee(s)" or "payment plan(s)" may appear only where a
# text says the exchange has none.
ALLOWED = re.compile(r"doesn't (charge late fees|offer payment plans)", re.IGNORECASE)
FORBIDDEN = re.compile(r"late (fee|charge|penalt)|payment plan|installment|extension",
                       re.IGNORECASE)


def all_texts(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [text for value in node.values() for text in all_texts(value)]
    if isinstance(node, list):
        return [text for value in node for text in all_texts(value)]
    return []


def test_no_text_promises_a_late_fee_or_a_payment_plan():
    texts = all_texts(yaml.safe_load(ANSWERS_FILE.read_text())["texts"])

    assert texts
    for text in texts:
        assert not FORBIDDEN.search(ALLOWED.sub("", text)), text


def test_the_check_catches_a_promise():
    promise = "You can set up a payment plan, and we waive the late fee once."
    assert FORBIDDEN.search(ALLOWED.sub("", promise))


def test_every_topic_renders_with_no_placeholder_left(app_runtime):
    answers = load_answers()

    for topic in answers["topics"]:
        text = answer(answers, topic, app_runtime.services, None)
        assert "{" not in text and "}" not in text, topic


def test_a_forged_payload_with_an_object_for_a_value_gets_an_answer_not_an_error(rest_chat):
    for forged in ('/help{"faq_topic": {"a": 1}}', '/help{"faq_topic": [[1]]}'):
        rest_chat.say(forged)
        assert "something went wrong" not in rest_chat.text
        assert rest_chat.text
