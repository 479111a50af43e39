"""The default payment gateway: offline, and behaving like Stripe's test mode, so that switching
to Stripe changes nothing for a member.

Its ledger (`sandbox_charges`) plays the part of Stripe's own records: it is written in the
gateway's own transaction and committed before `charge` returns, so it survives a crash of the
caller, and a retry with the same idempotency key finds it. Bank debits stay `processing` until
the clock reaches their settlement day; tests and demos move the clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from services.adapters.sandbox_cards import (
    TEST_BEHAVIOURS,
    Behaviour,
    CheckedMethod,
    check_bank_account,
    check_card,
)
from services.business_days import add_business_days
from services.errors import GatewayRequestError, GatewayUnavailable, IdempotencyConflict
from services.persistence.models import SandboxCharge, SandboxMethod
from services.ports import ChargeRequest, ChargeResult, Clock, SavedMethod

FaultStage = Literal["before_charge", "after_charge"]
FaultInjector = Callable[[FaultStage, ChargeRequest], None]

MINIMUM_CHARGE_CENTS = 50  # Stripe refuses smaller US-dollar charges (amount_too_small)
# Stripe's decline code when 3-D Secure was refused or failed.
AUTHENTICATION_FAILED = "payment_intent_authentication_failure"
MAX_IDEMPOTENCY_KEY_LENGTH = 255


class SandboxGateway:
    name = "sandbox"

    def __init__(self, session_factory: sessionmaker[Session], clock: Clock, *,
                 settlement_business_days: int = 4,
                 public_base_url: str = "http://127.0.0.1:8000",
                 fault_injector: FaultInjector | None = None,
                 rate_limit_per_second: float | None = None,
                 time_zone: str = "America/New_York"):
        self._session_factory = session_factory
        self._clock = clock
        self._settlement_business_days = settlement_business_days
        self._public_base_url = public_base_url.rstrip("/")
        self._fault_injector = fault_injector
        self._rate_limit = _TokenBucket(rate_limit_per_second) if rate_limit_per_second else None
        self._zone = ZoneInfo(time_zone)

    # --- the PaymentGateway port ----------------------------------------------------------

    def ensure_customer(self, *, account_id: int, email: str, name: str,
                        existing_id: str | None) -> str:
        return existing_id or f"cus_sandbox_{account_id}"

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge once per idempotency key; a replay answers with the first result. Raises
        GatewayRequestError for a request Stripe would refuse, IdempotencyConflict for a key
        reused with other parameters, GatewayUnavailable when rate limited or told to fail."""
        self._admit()
        _check_request(request)
        if self._fault_injector:
            self._fault_injector("before_charge", request)
        result = self._charge_once(request)
        if self._fault_injector:
            self._fault_injector("after_charge", request)
        return result

    def retrieve(self, *, idempotency_key: str, gateway_ref: str | None) -> ChargeResult | None:
        """The charge as it is now: a bank debit whose settlement day has come is settled (and
        that is recorded) before it is returned."""
        self._admit()
        with self._session_factory() as session:
            row = _find(session, idempotency_key=idempotency_key)
            if row is None and gateway_ref:
                row = session.scalar(select(SandboxCharge).where(
                    SandboxCharge.charge_ref == gateway_ref))
            if row is None:
                return None
            if row.status == "processing" and row.settles_on <= self._today():
                failure = self._behaviour(session, row.method_token)[0].decline_code
                row.status = "declined" if failure else "succeeded"
                row.decline_code = failure
                session.commit()
            return self._result(row, row.status)

    # --- the hosted page's side: saving a method --------------------------------------------

    def tokenize_card(self, number: str, exp_month: int | str, exp_year: int | str, cvc: str,
                      postal_code: str, *, today: dt.date | None = None) -> SavedMethod:
        """Save a card typed on the hosted page. Raises MethodDetailsInvalid naming each wrong
        field. Only the behaviour of the number, its brand, last four and expiry are kept."""
        checked = check_card(number, exp_month, exp_year, cvc, postal_code,
                             today=today or self._today())
        return self._save_method(checked)

    def tokenize_bank_account(self, routing: str, account_number: str, holder_name: str,
                              account_type: str) -> SavedMethod:
        """Save a US bank account typed on the hosted page (MethodDetailsInvalid if wrong)."""
        return self._save_method(
            check_bank_account(routing, account_number, holder_name, account_type))

    def describe(self, token: str) -> SavedMethod:
        """What a member sees about a method token, test tokens included (for seeds and
        tests that attach `pm_card_visa` without the hosted page)."""
        with self._session_factory() as session:
            behaviour, expiry = self._behaviour(session, token)
        return SavedMethod(token=token, kind=behaviour.kind, brand=behaviour.brand,
                           last4=behaviour.last4, exp_month=expiry[0] if expiry else None,
                           exp_year=expiry[1] if expiry else None)

    def charge_count(self) -> int:
        with self._session_factory() as session:
            return session.scalar(select(func.count()).select_from(SandboxCharge)) or 0

    # --- the 3-D Secure page's side ---------------------------------------------------------

    def complete_authentication(self, charge_ref: str, *, approve: bool) -> ChargeResult | None:
        """The member answered the sandbox's 3-D Secure page: the charge succeeds, or is
        declined as Stripe's is when authentication fails. Only a charge still waiting for it
        moves (a second answer changes nothing); None for an unknown charge."""
        status, decline_code = (
            ("succeeded", None) if approve else ("declined", AUTHENTICATION_FAILED))
        with self._session_factory() as session:
            session.execute(
                update(SandboxCharge)
                .where(SandboxCharge.charge_ref == charge_ref,
                       SandboxCharge.status == "requires_action")
                .values(status=status, decline_code=decline_code)
            )
            session.commit()
            row = session.scalar(select(SandboxCharge).where(
                SandboxCharge.charge_ref == charge_ref))
            return self._result(row, row.status) if row else None

    # --- inside ---------------------------------------------------------------------------

    def _charge_once(self, request: ChargeRequest) -> ChargeResult:
        fingerprint = _fingerprint(request)
        with self._session_factory() as session:
            row = _find(session, idempotency_key=request.idempotency_key)
            if row is None:
                row = self._new_charge(session, request, fingerprint)
                session.add(row)
                try:
                    session.commit()
                except IntegrityError:
                    # Another worker charged with this key first: its charge is the charge.
                    session.rollback()
                    row = _find(session, idempotency_key=request.idempotency_key)
                    if row is None:
                        raise
            if row.request_fingerprint != fingerprint:
                raise IdempotencyConflict(
                    f"idempotency key {request.idempotency_key!r} was used with other parameters")
            return self._result(row, row.first_status)

    def _new_charge(self, session: Session, request: ChargeRequest,
                    fingerprint: str) -> SandboxCharge:
        behaviour, expiry = self._behaviour(session, request.method_token)
        today = self._today()
        status, decline_code, settles_on = "succeeded", None, None
        if behaviour.kind == "bank_account":
            status = "processing"
            settles_on = add_business_days(today, self._settlement_business_days)
        elif expiry and expiry < (today.year, today.month):
            status, decline_code = "declined", "expired_card"
        elif behaviour.authentication_required:
            # Off session nobody can authenticate, so Stripe declines instead of asking.
            if request.off_session:
                status, decline_code = "declined", "authentication_required"
            else:
                status = "requires_action"
        elif behaviour.decline_code:
            status, decline_code = "declined", behaviour.decline_code
        return SandboxCharge(
            idempotency_key=request.idempotency_key,
            charge_ref=f"pi_sandbox_{secrets.token_hex(12)}",
            request_fingerprint=fingerprint,
            amount_cents=request.amount_cents,
            method_token=request.method_token,
            status=status,
            first_status=status,
            decline_code=decline_code,
            created_at=self._clock.now(),
            settles_on=settles_on,
        )

    def _behaviour(self, session: Session,
                   token: str) -> tuple[Behaviour, tuple[int, int] | None]:
        """The behaviour of a method token and, for a saved card, its (year, month) expiry."""
        if token in TEST_BEHAVIOURS:
            return TEST_BEHAVIOURS[token], None
        saved = session.scalar(select(SandboxMethod).where(SandboxMethod.token == token))
        if saved is None:
            raise GatewayRequestError(f"No such payment method: {token!r}")
        behaviour = TEST_BEHAVIOURS[saved.behaviour]
        shown = Behaviour(saved.kind, saved.brand, saved.last4, behaviour.decline_code,
                          behaviour.authentication_required)
        expiry = (saved.exp_year, saved.exp_month) if saved.exp_year and saved.exp_month else None
        return shown, expiry

    def _save_method(self, checked: CheckedMethod) -> SavedMethod:
        token = f"pm_sandbox_{secrets.token_hex(12)}"
        with self._session_factory() as session:
            session.add(SandboxMethod(
                token=token, kind=checked.kind, behaviour=checked.behaviour,
                brand=checked.brand, last4=checked.last4, exp_month=checked.exp_month,
                exp_year=checked.exp_year, created_at=self._clock.now(),
            ))
            session.commit()
        return SavedMethod(token=token, kind=checked.kind, brand=checked.brand,
                           last4=checked.last4, exp_month=checked.exp_month,
                           exp_year=checked.exp_year)

    def _result(self, row: SandboxCharge, status: str) -> ChargeResult:
        action_url = None
        if status == "requires_action":
            action_url = f"{self._public_base_url}/sandbox/authenticate/{row.charge_ref}"
        return ChargeResult(
            status=status,  # type: ignore[arg-type]  # the ledger only holds ChargeStatus values
            gateway_ref=row.charge_ref,
            decline_code=row.decline_code if status == "declined" else None,
            action_url=action_url,
        )

    def _today(self) -> dt.date:
        # Banks settle on business days where the exchange is.
        return self._clock.now().astimezone(self._zone).date()

    def _admit(self) -> None:
        if self._rate_limit and not self._rate_limit.take():
            raise GatewayUnavailable("rate limited")


def _find(session: Session, *, idempotency_key: str) -> SandboxCharge | None:
    return session.scalar(select(SandboxCharge).where(
        SandboxCharge.idempotency_key == idempotency_key))


def _check_request(request: ChargeRequest) -> None:
    key = request.idempotency_key
    if not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise GatewayRequestError("an idempotency key of 1 to 255 characters is required")
    amount = request.amount_cents
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise GatewayRequestError("amount must be an integer number of cents")
    if amount < MINIMUM_CHARGE_CENTS:
        raise GatewayRequestError(f"amount_too_small: at least {MINIMUM_CHARGE_CENTS} cents")


def _fingerprint(request: ChargeRequest) -> str:
    """What makes two requests with one key the same request."""
    essentials = [request.amount_cents, request.method_token, request.customer_id,
                  request.off_session]
    return hashlib.sha256(json.dumps(essentials).encode()).hexdigest()


class _TokenBucket:
    """Allows `rate` requests a second on average, in bursts of up to `rate` (at least one)."""

    def __init__(self, rate: float):
        self._rate = rate
        self._capacity = max(rate, 1.0)
        self._tokens = self._capacity
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self._capacity, self._tokens + (now - self._last) * self._rate)
            self._last = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True
