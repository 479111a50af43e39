"""A process that dies between the gateway's charge and the database commit, for the crash
tests (tests/integration/test_crash_recovery.py).

    python -m tests.crash_worker URL NOW confirm ACCOUNT_ID PAYMENT_ID [--stripe STUB_URL]
    python -m tests.crash_worker URL NOW autopay [--stripe STUB_URL]

The gateway charges, and the process ends at once with CRASHED (os._exit: no commit, no
clean-up, as if killed), before HealthPay records what the gateway answered.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from types import SimpleNamespace

from services.adapters.clocks import FixedClock
from services.adapters.sandbox_gateway import SandboxGateway
from services.autopay import charge_autopay_due
from services.payments import confirm_payment
from services.persistence.database import make_engine, make_session_factory
from services.policy import load_policy
from tests.conftest import build_services
from tests.stripe_stub import stub_gateway

CRASHED = 70


class CrashAfterCharge:
    def __init__(self, gateway):
        self._gateway = gateway
        self.name = gateway.name

    def charge(self, request):
        self._gateway.charge(request)
        os._exit(CRASHED)

    def __getattr__(self, name):
        return getattr(self._gateway, name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("now", type=dt.datetime.fromisoformat)
    parser.add_argument("job", choices=["confirm", "autopay"])
    parser.add_argument("ids", nargs="*", type=int)
    parser.add_argument("--stripe", help="the Stripe stub's address (default: the sandbox)")
    args = parser.parse_args()

    engine = make_engine(args.url)
    clock = FixedClock(args.now)
    if args.stripe:  # the stub runs in the test's process: only its address is needed here
        gateway = stub_gateway(SimpleNamespace(url=args.stripe))
    else:
        gateway = SandboxGateway(make_session_factory(engine), clock)
    svc = build_services(engine, gateway=CrashAfterCharge(gateway), clock=clock,
                         policy=load_policy(), secrets=None)
    if args.job == "confirm":
        account_id, payment_id = args.ids
        confirm_payment(svc, account_id, payment_id)
    else:
        charge_autopay_due(svc, svc.today())
    raise SystemExit("the gateway was never asked to charge")


if __name__ == "__main__":
    main()
