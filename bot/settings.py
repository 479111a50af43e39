"""Settings from the environment (and an optional `.env`), with zero set-up defaults.

Every setting is listed with its default in the README's settings table. Those Telegram would
refuse only at start-up, after the rest has started (a webhook secret with characters it does
not take, a webhook address that is not HTTPS), are refused here, with what to do.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# setWebhook's secret_token: 1-256 characters, only A-Z, a-z, 0-9, _ and -.
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    var_dir: Path = Field(default=PROJECT_ROOT / "var", alias="HEALTHPAY_VAR_DIR")
    database_url: str = Field(default="", alias="DATABASE_URL")
    policy_file: Path = Field(default=PROJECT_ROOT / "data" / "policy.yml", alias="POLICY_FILE")

    # Secrets: generated once into var/secrets/ when empty.
    ssn_hash_key: str = Field(default="", alias="SSN_HASH_KEY")
    session_secret: str = Field(default="", alias="SESSION_SECRET")

    # Payments
    payment_gateway: str = Field(default="sandbox", alias="PAYMENT_GATEWAY")
    stripe_api_key: str = Field(default="", alias="STRIPE_API_KEY")
    stripe_webhook_secret: str = Field(default="", alias="STRIPE_WEBHOOK_SECRET")
    stripe_api_base: str = Field(default="", alias="STRIPE_API_BASE")
    max_payment_cents: int = Field(default=1_000_000, alias="MAX_PAYMENT_CENTS")
    allow_overpayment: bool = Field(default=False, alias="ALLOW_OVERPAYMENT")
    sandbox_settlement_business_days: int = Field(
        default=4, alias="SANDBOX_SETTLEMENT_BUSINESS_DAYS"
    )

    # Sessions
    session_idle_minutes: int = Field(default=15, alias="SESSION_IDLE_MINUTES")
    lockout_after_failures: int = Field(default=5, alias="LOCKOUT_AFTER_FAILURES")
    lockout_minutes: int = Field(default=15, alias="LOCKOUT_MINUTES")

    # HTTP and channels
    http_host: str = Field(default="127.0.0.1", alias="HTTP_HOST")
    http_port: int = Field(default=8000, alias="HTTP_PORT")
    public_base_url: str = Field(default="", alias="PUBLIC_BASE_URL")
    rest_auth_token: str = Field(default="", alias="REST_AUTH_TOKEN")
    # REST front-ends that sign their senders (HMAC-SHA256 of the sender id, hex, in the
    # X-Sender-Signature header): when set, unsigned senders are refused.
    rest_sender_secret: str = Field(default="", alias="REST_SENDER_SECRET")
    rest_session_idle_minutes: int = Field(default=30, alias="REST_SESSION_IDLE_MINUTES")
    rest_session_max_hours: int = Field(default=12, alias="REST_SESSION_MAX_HOURS")
    # Messages a minute per REST sender and per client address (0: no limit).
    rest_sender_rate_per_minute: int = Field(default=30, alias="REST_SENDER_RATE_PER_MINUTE")
    rest_client_rate_per_minute: int = Field(default=120, alias="REST_CLIENT_RATE_PER_MINUTE")
    api_docs_enabled: bool = Field(default=False, alias="API_DOCS_ENABLED")
    metrics_token: str = Field(default="", alias="METRICS_TOKEN")
    action_endpoint_url: str = Field(default="", alias="ACTION_ENDPOINT_URL")
    telegram_bot_token: str = Field(default="", alias="TELEGRAM_BOT_TOKEN")
    telegram_webhook_url: str = Field(default="", alias="TELEGRAM_WEBHOOK_URL")
    telegram_webhook_secret: str = Field(default="", alias="TELEGRAM_WEBHOOK_SECRET")
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org/bot", alias="TELEGRAM_API_BASE_URL"
    )
    telegram_payment_provider_token: str = Field(
        default="", alias="TELEGRAM_PAYMENT_PROVIDER_TOKEN"
    )

    # Scheduled jobs (bot/scheduler.py): times of day are in the exchange's time zone.
    scheduler_enabled: bool = Field(default=True, alias="SCHEDULER_ENABLED")
    issue_invoices_at: str = Field(default="01:00", alias="ISSUE_INVOICES_AT")
    charge_autopay_at: str = Field(default="06:00", alias="CHARGE_AUTOPAY_AT")
    plan_reminders_at: str = Field(default="08:00", alias="PLAN_REMINDERS_AT")
    grace_notices_at: str = Field(default="09:00", alias="GRACE_NOTICES_AT")
    apply_retention_at: str = Field(default="03:00", alias="APPLY_RETENTION_AT")
    # Conversations of chats that never logged in, deleted after this many idle days.
    retain_anonymous_days: int = Field(default=30, alias="RETAIN_ANONYMOUS_DAYS")
    # Support-request transcripts, emptied this many days after the request.
    retain_transcript_days: int = Field(default=365, alias="RETAIN_TRANSCRIPT_DAYS")
    deliver_every_seconds: int = Field(default=10, alias="DELIVER_EVERY_SECONDS")
    settle_every_minutes: int = Field(default=15, alias="SETTLE_EVERY_MINUTES")
    # Messages a second for all workers together. Telegram allows about 30 a bot; pacing at
    # exactly 30 meets 429s from network jitter (bench/bench_delivery.py), 29 does not.
    delivery_rate_per_second: float = Field(default=29.0, alias="DELIVERY_RATE_PER_SECOND")
    delivery_batch: int = Field(default=100, alias="DELIVERY_BATCH")
    autopay_notice_days: int = Field(default=3, alias="AUTOPAY_NOTICE_DAYS")
    card_expiry_warning_days: int = Field(default=14, alias="CARD_EXPIRY_WARNING_DAYS")
    # Gateway calls a second for all workers together; 0: not paced (Stripe live allows 100).
    gateway_rate_per_second: float = Field(default=0.0, alias="GATEWAY_RATE_PER_SECOND")

    # Load (bot/bootstrap.py): each pool is per worker process, one for the services and one
    # for chat state; turns run TURN_THREADS at a time, so each pool must hold more than that.
    db_pool_size: int = Field(default=10, alias="DB_POOL_SIZE")
    db_max_overflow: int = Field(default=10, alias="DB_MAX_OVERFLOW")
    db_pool_timeout: float = Field(default=30.0, alias="DB_POOL_TIMEOUT")
    turn_threads: int = Field(default=8, alias="TURN_THREADS")
    # Quick turns run one at a time; another thread only once a turn is busy this long. Unset:
    # 10 ms on SQLite (one writer: overlapping turns only add GIL hand-offs), 0 on PostgreSQL
    # (turns wait on the network, and overlapping them holds the load: bench/README.md).
    turn_admit_after_seconds: float | None = Field(default=None, ge=0,
                                                   alias="TURN_ADMIT_AFTER_SECONDS")
    # glibc malloc arenas a serving worker may use (bot/memory_arenas.py); 0: glibc's default.
    malloc_arenas: int = Field(default=2, ge=0, alias="MALLOC_ARENAS")
    turn_queue_limit: int = Field(default=1000, alias="TURN_QUEUE_LIMIT")
    turn_wait_limit_seconds: float = Field(default=15.0, alias="TURN_WAIT_LIMIT_SECONDS")
    max_session_events: int = Field(default=1000, alias="MAX_SESSION_EVENTS")
    # What a worker keeps of recent conversations, so that a turn need not read and replay its
    # session again: trackers, counted in events (about 1.5 KB each: 40,000 is ~60 MB), and
    # stored sessions as JSON, counted in characters (16,000,000 is ~18 MB; about 12,000 a
    # visitor's session). Least recently used conversations go first; a turn of one no longer
    # kept reads it from the database.
    tracker_cache_events: int = Field(default=40_000, alias="TRACKER_CACHE_EVENTS")
    session_cache_chars: int = Field(default=16_000_000, alias="SESSION_CACHE_CHARS")
    http_max_body_bytes: int = Field(default=262_144, alias="HTTP_MAX_BODY_BYTES")
    # Seconds an idle keep-alive connection stays open. Behind a load balancer, more than the
    # balancer's own idle timeout: else it may send a request on a connection the server is
    # closing, and the member's message is lost to a reset (AWS ALB: 60 s).
    http_keep_alive_seconds: int = Field(default=5, alias="HTTP_KEEP_ALIVE_SECONDS")

    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    log_format: str = Field(default="json", alias="LOG_FORMAT")  # json or text

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_secret_telegram_takes(cls, secret: str) -> str:
        if secret and not WEBHOOK_SECRET.fullmatch(secret):
            raise ValueError(
                "TELEGRAM_WEBHOOK_SECRET must be 1 to 256 characters, only letters A-Z and "
                f"a-z, digits, _ and - (Telegram refuses others); this one has "
                f"{len(secret)} characters" + (
                    "" if len(secret) > 256 else ", some of them not allowed") +
                ". For example: python -c \"import secrets; print(secrets.token_urlsafe(32))\"")
        return secret

    @field_validator("telegram_webhook_url")
    @classmethod
    def _webhook_url_is_https(cls, url: str) -> str:
        if url and not url.lower().startswith("https://"):
            raise ValueError("TELEGRAM_WEBHOOK_URL must be an https:// address (Telegram posts "
                             f"updates only over HTTPS), not {url!r}")
        return url

    @property
    def effective_turn_admit_after(self) -> float:
        if self.turn_admit_after_seconds is not None:
            return self.turn_admit_after_seconds
        return 0.010 if self.effective_database_url.startswith("sqlite") else 0.0

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'healthpay.db'}"

    @property
    def effective_public_base_url(self) -> str:
        return self.public_base_url or f"http://{self.http_host}:{self.http_port}"
