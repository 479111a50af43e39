"""The one table of payment moves: forward only, whatever order the gateway's answers come in."""

from __future__ import annotations

import itertools

import pytest

from services.payment_outcomes import next_status

STATUSES = ["draft", "pending", "requires_action", "processing", "declined", "failed",
            "succeeded"]
REPORTED = ["succeeded", "processing", "declined", "requires_action"]
# Furthest last: a payment never moves to a status ranked below its own.
RANK = {"draft": 0, "pending": 1, "requires_action": 2, "processing": 3, "declined": 4,
        "failed": 4, "succeeded": 5}


@pytest.mark.parametrize("current, reported", list(itertools.product(STATUSES, REPORTED)))
def test_every_move_goes_forward(current, reported):
    new = next_status(current, reported)

    assert new is None or RANK[new] > RANK[current]


@pytest.mark.parametrize("reported", REPORTED)
def test_a_succeeded_payment_never_moves_again(reported):
    assert next_status("succeeded", reported) is None


@pytest.mark.parametrize("current", ["declined", "failed"])
def test_money_the_gateway_took_after_a_decline_is_recorded(current):
    assert next_status(current, "succeeded") == "succeeded"


def test_a_returned_bank_debit_fails_rather_than_declines():
    assert next_status("processing", "declined") == "failed"
    assert next_status("pending", "declined") == "declined"


def test_drafts_are_never_moved_by_the_gateway():
    # A draft was never sent: any answer about it is about something else.
    assert all(next_status("draft", reported) is None for reported in REPORTED)


@pytest.mark.parametrize("reports", [
    ["processing", "declined", "succeeded"],
    ["requires_action", "processing", "succeeded"],
    ["requires_action", "succeeded"],
])
def test_reports_in_any_order_end_succeeded_when_the_money_came_in(reports):
    for arrival in itertools.permutations(reports):
        status = "pending"
        for reported in arrival:
            status = next_status(status, reported) or status
        assert status == "succeeded", arrival


def test_a_late_processing_never_reopens_a_failed_bank_debit():
    for arrival in itertools.permutations(["processing", "declined"]):
        status = "pending"
        for reported in arrival:
            status = next_status(status, reported) or status
        assert status in ("declined", "failed"), arrival
