"""Seals leave storage for real: when the form no longer needs them (the slot set again, the
form submitted or cancelled), at their TTL on the next turn, and by the scheduler's sweep for a
conversation that never had another turn. Each test reads the raw table afterwards."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from sqlalchemy import select

from bot.scheduler import job_context, run_job
from bot.settings import Settings
from dialogs.engine import Domain, load_rules
from dialogs.engine.domain import DATA_DIR
from dialogs.engine.seal_purge import purge_expired_seals, spent_seals
from dialogs.engine.sealing import SEALED_KEY
from services.persistence.database import make_session_factory
from services.persistence.models import ConversationEvent
from services.persistence.unit_of_work import UnitOfWork
from tests.chat_fakes import RecordingSender
from tests.engine_fakes import build_engine, texts
from tests.unit import test_engine_sealing

# The two-secret form of test_engine_sealing (no submit action: its seals stay until they are
# no longer needed or too old), with the real rules after its own, "cancel" among them.
sealer = test_engine_sealing.sealer


@pytest.fixture
def engine(sqlite_engine, clock, sealer, tmp_path, services):
    raw = yaml.safe_load((DATA_DIR / "domain.yml").read_text())
    for name in ("first_secret", "second_secret"):
        raw["slots"][name] = test_engine_sealing._secret_slot(name)
        raw["responses"][f"utter_ask_{name}"] = [{"text": f"{name}?"}]
    raw["forms"]["secret_form"] = {"required_slots": ["first_secret", "second_secret"]}
    rules_file = tmp_path / "rules.yml"
    rules_file.write_text(test_engine_sealing.RULES)
    return build_engine(
        sqlite_engine, clock=clock,
        domain=Domain.from_dict(raw, sensitive_slots=["first_secret", "second_secret"]),
        rules=load_rules(rules_file) + load_rules(DATA_DIR / "rules.yml"), sealer=sealer)


def sealed_rows(sqlite_engine) -> list[dict]:
    with sqlite_engine.connect() as conn:
        return [data for data in conn.scalars(select(ConversationEvent.data))
                if SEALED_KEY in data]


async def test_a_seal_is_removed_from_storage_when_the_form_is_cancelled(engine, sqlite_engine):
    await engine.handle_message("telegram", "7", "log in")
    await engine.handle_message("telegram", "7", "alpha 111")
    assert len(sealed_rows(sqlite_engine)) == 1  # the first answer, kept for the second step

    await engine.handle_message("telegram", "7", "cancel")

    assert sealed_rows(sqlite_engine) == []


async def test_a_seal_past_its_ttl_is_removed_on_the_next_turn(engine, sqlite_engine, clock):
    await engine.handle_message("telegram", "7", "log in")
    await engine.handle_message("telegram", "7", "alpha 111")
    clock.advance(minutes=31)

    result = await engine.handle_message("telegram", "7", "beta 222")

    # Only what this turn sealed is left: the answer given 31 minutes ago is gone.
    assert [row["timestamp"] for row in sealed_rows(sqlite_engine)] == [clock.now().timestamp()]
    assert texts(result)  # the conversation goes on


async def test_the_sweep_removes_seals_past_their_ttl_and_keeps_younger_ones(
        engine, sqlite_engine, clock, sealer):
    await engine.handle_message("telegram", "7", "log in")
    await engine.handle_message("telegram", "7", "alpha 111")
    uow = UnitOfWork(make_session_factory(sqlite_engine))

    assert purge_expired_seals(lambda: uow, now=clock.now(),
                               ttl_seconds=sealer.ttl_seconds) == 0
    assert len(sealed_rows(sqlite_engine)) == 1

    later = clock.now() + dt.timedelta(seconds=sealer.ttl_seconds + 1)
    assert purge_expired_seals(lambda: uow, now=later, ttl_seconds=sealer.ttl_seconds) == 1
    assert sealed_rows(sqlite_engine) == []
    with sqlite_engine.connect() as conn:
        kinds = list(conn.scalars(select(ConversationEvent.kind)))
    assert "slot" in kinds  # the event stays, as "[redacted]"


NOW = dt.datetime(2026, 11, 17, 12, tzinfo=dt.UTC)


def slot(name, value, *, sealed=False, minutes_ago=0):
    event = {"event": "slot", "name": name, "value": value,
             "timestamp": (NOW - dt.timedelta(minutes=minutes_ago)).timestamp()}
    return {**event, SEALED_KEY: "token"} if sealed else event


@pytest.mark.parametrize("later, spent", [
    ([], False),
    ([slot("other", 1)], False),
    ([slot("ssn", None)], True),  # cleared: submitted or cancelled
    ([slot("ssn", "[redacted]")], True),  # answered again: a newer seal, if any, holds it
    ([{"event": "reset_slots"}], True),
    ([{"event": "session_started"}], True),
])
def test_a_seal_is_spent_once_anything_after_it_sets_its_slot_or_resets(later, spent):
    stored = [slot("ssn", "[redacted]", sealed=True)]

    found = spent_seals(stored, later, now=NOW, ttl_seconds=1800)

    assert (0 in found) is spent
    if spent:
        assert found[0] == {key: value for key, value in stored[0].items() if key != SEALED_KEY}


def test_a_seal_older_than_its_ttl_is_spent_whatever_follows():
    stored = [slot("ssn", "[redacted]", sealed=True, minutes_ago=31),
              slot("dob", "[redacted]", sealed=True, minutes_ago=5)]

    assert list(spent_seals(stored, [], now=NOW, ttl_seconds=1800)) == [0]


async def test_the_scheduler_runs_the_sweep(engine, sqlite_engine, clock, services):
    await engine.handle_message("telegram", "7", "log in")
    await engine.handle_message("telegram", "7", "alpha 111")
    clock.advance(minutes=31)

    outcome = run_job("purge_seals", job_context(services, RecordingSender(), Settings()),
                      record=False)

    assert outcome == "1 sealed answers past their time removed"
    assert sealed_rows(sqlite_engine) == []
