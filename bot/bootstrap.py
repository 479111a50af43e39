"""The composition root: everything HealthPay runs on, built once from settings."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, replace
from functools import partial

from sqlalchemy.engine import Engine as SqlEngine

from bot.settings import Settings
from services.adapters.clocks import SystemClock
from services.adapters.paced_gateway import GATEWAY_BURST_SECONDS, PacedGateway
from services.context import ReadLimits, Secrets, ServiceConfig, Services
from services.outbox import OutboxNotifier
from services.pacing import DatabasePacer
from services.persistence.database import make_engine, make_session_factory
from services.persistence.unit_of_work import UnitOfWork
from services.policy import load_policy
from services.ports import Clock, Notifier
from services.secrets import load_or_create_key


@dataclass(frozen=True)
class Pools:
    """A worker's two connection pools: the services' (money, accounts...) and chat state's
    (the conversation tracker, Telegram buttons), each sized from settings."""

    services: SqlEngine
    chat_state: SqlEngine

    def items(self) -> list[tuple[str, SqlEngine]]:
        return [("services", self.services), ("chat_state", self.chat_state)]

    def open_kept(self) -> None:
        """Open each pool's kept connections (DB_POOL_SIZE) now, at start-up: a worker holds
        the same number of connections from its first minute to its last, rather than opening
        them one by one as load first comes (and looking like a leak while it does). Ones
        opened beyond them under a burst are closed when given back (SQLAlchemy's QueuePool)."""
        for _, engine in self.items():
            size = getattr(engine.pool, "size", None)
            if not callable(size):  # no set size: NullPool, StaticPool, SQLite in memory
                continue
            with ExitStack() as held:  # all at once: one after another would reuse the first
                for _ in range(size()):
                    held.enter_context(engine.connect())


def build_pools(settings: Settings) -> Pools:
    sizing = {"pool_size": settings.db_pool_size, "max_overflow": settings.db_max_overflow,
              "pool_timeout": settings.db_pool_timeout}
    url = settings.effective_database_url
    return Pools(services=make_engine(url, name="healthpay-services", **sizing),
                 chat_state=make_engine(url, wait_for_disk=False, name="healthpay-chat-state",
                                        **sizing))


def check_pool_sizes(settings: Settings) -> None:
    """Each running turn holds a chat-state connection (its conversation's lock) for the whole
    turn; the channels need one more now and then. A pool smaller than that would make the
    event loop wait for a connection that only a waiting turn could give back."""
    capacity = settings.db_pool_size + settings.db_max_overflow
    if settings.turn_threads + 2 > capacity:
        raise SystemExit(
            f"TURN_THREADS={settings.turn_threads} needs at least {settings.turn_threads + 2} "
            f"connections a pool; DB_POOL_SIZE + DB_MAX_OVERFLOW is {capacity}.")


def build_services(settings: Settings | None = None, *, clock: Clock | None = None,
                   notifier: Notifier | None = None, pools: Pools | None = None) -> Services:
    settings = settings or Settings()
    pools = pools or build_pools(settings)
    engine = pools.services
    session_factory = make_session_factory(engine)
    clock = clock or SystemClock()
    config = ServiceConfig(
        max_payment_cents=settings.max_payment_cents,
        allow_overpayment=settings.allow_overpayment,
        session_idle_minutes=settings.session_idle_minutes,
        lockout_after_failures=settings.lockout_after_failures,
        lockout_minutes=settings.lockout_minutes,
        public_base_url=settings.effective_public_base_url,
        read_limits={"rest": ReadLimits(idle_minutes=settings.rest_session_idle_minutes,
                                        max_hours=settings.rest_session_max_hours)},
    )
    secrets = Secrets(
        ssn_hash_key=load_or_create_key(settings.ssn_hash_key, settings.var_dir, "ssn_hash"),
        session_key=load_or_create_key(settings.session_secret, settings.var_dir, "session"),
    )
    uow_factory = partial(UnitOfWork, session_factory)
    chat_state_engine = pools.chat_state
    gateway = _build_gateway(settings, session_factory, clock, config)
    if settings.gateway_rate_per_second > 0:
        # Every worker shares the gateway's rate limit through the database.
        gateway = PacedGateway(gateway, DatabasePacer(
            uow_factory, "payment_gateway", settings.gateway_rate_per_second,
            burst_seconds=GATEWAY_BURST_SECONDS))
    return Services(
        uow_factory=uow_factory,
        gateway=gateway,
        clock=clock,
        config=config,
        policy=load_policy(settings.policy_file),
        secrets=secrets,
        # Messages to members go through the outbox: delivered once, outside quiet hours.
        notifier=notifier or OutboxNotifier(uow_factory, clock),
        chat_state_uow_factory=partial(UnitOfWork, make_session_factory(chat_state_engine)),
    )


def with_clock(services: Services, clock: Clock) -> Services:
    """The same services seen from another time (demos and `jobs run --today`)."""
    return replace(services, clock=clock)


def _build_gateway(settings: Settings, session_factory, clock: Clock, config: ServiceConfig):
    if settings.payment_gateway == "sandbox":
        from services.adapters.sandbox_gateway import SandboxGateway

        return SandboxGateway(
            session_factory,
            clock,
            settlement_business_days=settings.sandbox_settlement_business_days,
            public_base_url=config.public_base_url,
        )
    if settings.payment_gateway == "stripe":
        from services.adapters.stripe_gateway import StripeGateway

        if not settings.stripe_api_key:
            raise SystemExit("PAYMENT_GATEWAY=stripe needs STRIPE_API_KEY.")
        return StripeGateway(
            settings.stripe_api_key,
            public_base_url=config.public_base_url,
            api_base=settings.stripe_api_base or None,
            max_network_retries=2,
        )
    raise SystemExit(
        f"PAYMENT_GATEWAY={settings.payment_gateway!r} is unknown; use 'sandbox' or 'stripe'."
    )
