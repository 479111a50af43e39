"""The button payloads a member is offered on the way through the money flows: the ones naming
that member's own drafts, methods and payments are what an impersonator would replay."""

from __future__ import annotations

from tests.e2e.conftest import RestChat

FLOWS = [
    ["I want to pay my bill", "tap:Both", "tap:Pay", "tap:Visa"],
    ["/payment_history"],
    ["/manage_payment_methods"],
    ["/setup_autopay", "tap:Visa"],
    ["/payment_declined"],
    ["/payment_missing"],
]


def run_flow(chat: RestChat, steps: list[str]) -> list[str]:
    """Run a flow, then cancel it; the payloads of every button offered on the way."""
    payloads = []
    for step in steps:
        if step.startswith("tap:"):
            title = step.removeprefix("tap:").lower()
            if not any(b["title"].lower().startswith(title) for b in chat.buttons):
                break  # the flow went another way: what it offered is collected already
            chat.tap(title)
        else:
            chat.say(step)
        payloads += [b["payload"] for b in chat.buttons]
    chat.say("/cancel")
    return payloads


def payloads_with_ids(chat: RestChat, username: str) -> list[str]:
    """Log `chat` in as `username`; the payloads naming objects of theirs (ids, references)."""
    chat.log_in(username)
    found = [payload for flow in FLOWS for payload in run_flow(chat, flow)]
    with_ids = sorted({p for p in found if "{" in p and any(c.isdigit() for c in p)})
    assert any("confirm_payment" in p for p in with_ids), with_ids
    assert any("payment_method" in p for p in with_ids), with_ids
    return with_ids
