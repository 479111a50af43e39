"""Pacers keep a rate, across workers too; quiet hours end where the member lives."""

from __future__ import annotations

import datetime as dt

import pytest

from services.adapters.paced_gateway import PacedGateway
from services.pacing import DatabasePacer
from services.persistence.database import make_session_factory
from services.persistence.unit_of_work import UnitOfWork
from services.ports import ChargeRequest
from services.quiet_hours import quiet_until
from tests.fakes import FakeGateway


class FakeTime:
    """A wall clock that moves only when somebody sleeps."""

    def __init__(self, start: float = 1_000.0):
        self.now = start
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


@pytest.fixture
def uow_factory(sqlite_engine):
    sessions = make_session_factory(sqlite_engine)
    return lambda: UnitOfWork(sessions)


def test_a_pacer_spaces_calls_at_the_rate(uow_factory):
    clock = FakeTime()
    pacer = DatabasePacer(uow_factory, "telegram", 10, clock=clock.time, sleep=clock.sleep)
    for _ in range(4):
        pacer.acquire()
    assert clock.slept == [0.1, 0.1, 0.1]


def test_idle_time_is_not_saved_up_for_a_burst(uow_factory):
    clock = FakeTime()
    pacer = DatabasePacer(uow_factory, "telegram", 10, clock=clock.time, sleep=clock.sleep)
    pacer.acquire()
    clock.now += 60
    pacer.acquire()
    pacer.acquire()
    assert clock.slept == [0.1]


def test_a_burst_allowance_lets_calls_go_early_but_keeps_the_rate(uow_factory):
    clock = FakeTime()
    pacer = DatabasePacer(uow_factory, "gateway", 10, burst_seconds=0.2, clock=clock.time,
                          sleep=clock.sleep)
    for _ in range(6):
        pacer.acquire()
    # Three go at once (the slot and 0.2 s worth early), then one every 0.1 s.
    assert clock.slept == [0.1, 0.1, 0.1]
    assert clock.now == pytest.approx(1_000.3)


def test_workers_sharing_a_database_pacer_share_the_rate(uow_factory):
    clock = FakeTime()
    waits = []  # nobody's sleep moves the clock: each wait is the slot's distance from now
    first, second = (DatabasePacer(uow_factory, "telegram", 20, clock=clock.time,
                                   sleep=lambda seconds: waits.append(round(seconds, 6)))
                     for _ in range(2))
    for pacer in (first, second, first, second):
        pacer.acquire()
    assert waits == [0.05, 0.1, 0.15]


def test_a_database_pacer_pause_holds_every_worker(uow_factory):
    clock = FakeTime()
    first = DatabasePacer(uow_factory, "telegram", 10, clock=clock.time, sleep=clock.sleep)
    second = DatabasePacer(uow_factory, "telegram", 10, clock=clock.time, sleep=clock.sleep)
    first.acquire()
    first.pause(3)
    second.acquire()
    assert clock.slept == [3.0]


def test_pacers_by_name_are_independent(uow_factory):
    clock = FakeTime()
    telegram = DatabasePacer(uow_factory, "telegram", 1, clock=clock.time, sleep=clock.sleep)
    gateway = DatabasePacer(uow_factory, "gateway", 1, clock=clock.time, sleep=clock.sleep)
    telegram.acquire()
    gateway.acquire()
    assert clock.slept == []


def test_a_paced_gateway_waits_before_every_call():
    calls = []

    class Pacer:
        def acquire(self):
            calls.append("slot")

        def pause(self, seconds):
            raise AssertionError("not used")

    gateway = PacedGateway(FakeGateway(), Pacer())
    request = ChargeRequest(amount_cents=1000, method_token="pm_card_visa",
                            idempotency_key="k1")
    assert gateway.charge(request).status == "succeeded"
    assert gateway.retrieve(idempotency_key="k1", gateway_ref=None).status == "succeeded"
    assert calls == ["slot", "slot"]
    assert gateway.charge_count == 1  # anything else goes to the gateway itself


# --- quiet hours ----------------------------------------------------------------------------


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.mark.parametrize(("now", "zone", "hours", "expected"), [
    (utc(2026, 11, 17, 15), "America/New_York", (21, 8), None),  # 10 AM
    (utc(2026, 11, 18, 3), "America/New_York", (21, 8), utc(2026, 11, 18, 13)),  # 10 PM
    (utc(2026, 11, 18, 6), "America/New_York", (21, 8), utc(2026, 11, 18, 13)),  # 1 AM
    (utc(2026, 11, 17, 15), "America/New_York", (9, 12), utc(2026, 11, 17, 17)),
    (utc(2026, 11, 17, 15), "America/New_York", (12, 9), None),
    (utc(2026, 11, 17, 15), "America/New_York", (8, 8), None),  # no quiet hours
    # The night the clocks go back: 8 AM EST is 13:00 UTC, not 12:00.
    (utc(2026, 11, 1, 5), "America/New_York", (21, 8), utc(2026, 11, 1, 13)),
    # The night they go forward: 8 AM EDT is 12:00 UTC.
    (utc(2027, 3, 14, 6), "America/New_York", (21, 8), utc(2027, 3, 14, 12)),
    (utc(2026, 11, 17, 15), "Not/AZone", (21, 8), None),  # the exchange's zone instead
])
def test_quiet_hours_end_in_the_members_time_zone(now, zone, hours, expected):
    assert quiet_until(now, zone, *hours) == expected
