"""SQLAlchemy 2.0 typed models: the exchange's records and HealthPay's own.

Money columns are integer cents. Timestamps are timezone-aware UTC (`UtcDateTime` keeps them
aware on SQLite too); calendar dates (due dates, coverage months) are plain dates in the
exchange's time zone.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UtcDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite drops the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use UTC-aware datetimes")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: UtcDateTime, dict: JSON}


# --- what the exchange already knows -------------------------------------------------------


class Enrollment(Base):
    """An enrollment record: a member of the exchange, whether or not they have an account."""

    __tablename__ = "enrollments"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[str] = mapped_column(String(12), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[dt.date] = mapped_column(Date)
    # Keyed HMAC of the SSN for matching, plus the last four digits: never the number.
    ssn_hash: Mapped[str] = mapped_column(String(64), index=True)
    ssn_last4: Mapped[str] = mapped_column(String(4))
    email: Mapped[str] = mapped_column(String(254))
    time_zone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    # "tax_credit" (APTC), "connectorcare" or "unsubsidized": decides the grace period.
    subsidy_type: Mapped[str] = mapped_column(String(20))

    plans: Mapped[list[Plan]] = relationship(back_populates="enrollment", order_by="Plan.id")
    account: Mapped[Account | None] = relationship(back_populates="enrollment")


class Plan(Base):
    """A health or dental plan; each is billed and paid separately."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # "health" or "dental"
    name: Mapped[str] = mapped_column(String(120))
    monthly_premium_cents: Mapped[int] = mapped_column(Integer)
    coverage_start: Mapped[dt.date] = mapped_column(Date)

    enrollment: Mapped[Enrollment] = relationship(back_populates="plans")
    invoices: Mapped[list[Invoice]] = relationship(
        back_populates="plan", order_by="Invoice.coverage_month"
    )


class Invoice(Base):
    """The premium bill for one plan and one coverage month."""

    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("plan_id", "coverage_month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), index=True)
    coverage_month: Mapped[dt.date] = mapped_column(Date)  # first day of the month covered
    due_date: Mapped[dt.date] = mapped_column(Date, index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    paid_cents: Mapped[int] = mapped_column(Integer, default=0)
    issued_at: Mapped[dt.datetime]

    plan: Mapped[Plan] = relationship(back_populates="invoices")

    @property
    def open_cents(self) -> int:
        return max(self.amount_cents - self.paid_cents, 0)


# --- HealthPay accounts and sessions --------------------------------------------------------


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), unique=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)  # stored lower-case
    password_hash: Mapped[str] = mapped_column(String(200))
    security_question_1: Mapped[str] = mapped_column(String(200))
    security_answer_1_hash: Mapped[str] = mapped_column(String(200))
    security_question_2: Mapped[str] = mapped_column(String(200))
    security_answer_2_hash: Mapped[str] = mapped_column(String(200))
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Days before the due date to remind, e.g. [7, 3, 1, 0]; the scheduler reads it.
    reminder_offsets: Mapped[list] = mapped_column(JSON, default=lambda: [7, 3, 1, 0])
    quiet_hours_start: Mapped[int] = mapped_column(Integer, default=21)  # local hour, 0-23
    quiet_hours_end: Mapped[int] = mapped_column(Integer, default=8)
    gateway_customer_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime]
    last_login_at: Mapped[dt.datetime | None]
    # The language chosen in chat (a folder code under data/languages): what pushed messages use.
    language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")

    enrollment: Mapped[Enrollment] = relationship(back_populates="account")


class ChatLink(Base):
    """A chat (channel + chat id) logged in to an account; idle links expire for money actions."""

    __tablename__ = "chat_links"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    linked_at: Mapped[dt.datetime]
    last_active_at: Mapped[dt.datetime]  # the last fresh use: money needs it recent
    # The last message of the member, even a read (channels with ReadLimits only).
    last_seen_at: Mapped[dt.datetime | None]
    # Set when the channel says the member blocked the bot: pushed messages stop.
    unreachable_since: Mapped[dt.datetime | None]


class AttemptCounter(Base):
    """Failed attempts at proving who someone is (a password, identity details, reset
    details), counted per subject: a username, an identity claim or a source (a chat). The
    subject is a keyed hash, so a username typed by a stranger (or a password typed into the
    username prompt) is never stored. Rows exist for usernames that have no account too: a lock
    must not tell which usernames exist."""

    __tablename__ = "attempt_counters"
    __table_args__ = (UniqueConstraint("scope", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(20))  # login | reset | identity
    subject: Mapped[str] = mapped_column(String(80))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(index=True)
    blocked_until: Mapped[dt.datetime | None]


# --- payment methods, payments, autopay -----------------------------------------------------


class PaymentMethod(Base):
    """A saved method: only the gateway's token and what a member needs to recognise it."""

    __tablename__ = "payment_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    gateway_token: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(20))  # "card" or "bank_account"
    brand: Mapped[str] = mapped_column(String(40))  # "Visa", "Checking", ...
    last4: Mapped[str] = mapped_column(String(4))
    exp_month: Mapped[int | None] = mapped_column(Integer)
    exp_year: Mapped[int | None] = mapped_column(Integer)
    nickname: Mapped[str | None] = mapped_column(String(60))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime]
    removed_at: Mapped[dt.datetime | None]  # kept for the history of past payments


class MethodSetupToken(Base):
    """A one-time link to the hosted page where a member adds a method (never card data in chat)."""

    __tablename__ = "method_setup_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    method_id: Mapped[int | None] = mapped_column(ForeignKey("payment_methods.id"))


class Payment(Base):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    # Derived from the draft: a second confirm, a retry or a restart reuse it, so the gateway
    # charges once.
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    amount_cents: Mapped[int] = mapped_column(Integer)
    method_id: Mapped[int | None] = mapped_column(ForeignKey("payment_methods.id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))  # None: oldest first
    # draft -> pending -> succeeded | processing -> succeeded | declined | failed | requires_action
    status: Mapped[str] = mapped_column(String(20), index=True)
    decline_code: Mapped[str | None] = mapped_column(String(60))
    gateway_ref: Mapped[str | None] = mapped_column(String(255), index=True)
    action_url: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20), default="member")  # member | autopay | telegram
    created_at: Mapped[dt.datetime]
    confirmed_at: Mapped[dt.datetime | None]
    settled_at: Mapped[dt.datetime | None]
    expected_settlement_on: Mapped[dt.date | None] = mapped_column(Date)
    # What the charge says besides amount, method and key, fixed from the settings of the day
    # the payment is made, so every retry sends the very request the first try sent (Stripe
    # refuses a key reused with other parameters). None on payments made before.
    charge_description: Mapped[str | None] = mapped_column(String(255))
    return_url: Mapped[str | None] = mapped_column(Text)
    # The issuer's advice with a decline ("do_not_try_again": no automatic retry).
    advice_code: Mapped[str | None] = mapped_column(String(40))
    # Taken back after the payment succeeded: refunded, and disputed (a card chargeback or an
    # unauthorized bank-debit return) until the dispute is won. The ledger counts the payment
    # as amount_cents minus both.
    refunded_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    disputed_cents: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    method: Mapped[PaymentMethod | None] = relationship()
    allocations: Mapped[list[PaymentAllocation]] = relationship(back_populates="payment")
    events: Mapped[list[PaymentEvent]] = relationship(
        back_populates="payment", order_by="PaymentEvent.id"
    )


class PaymentAllocation(Base):
    """How much of a payment went to which invoice (oldest open invoices first)."""

    __tablename__ = "payment_allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(Integer)

    payment: Mapped[Payment] = relationship(back_populates="allocations")
    invoice: Mapped[Invoice] = relationship()


class PaymentEvent(Base):
    """The payment's timeline, for "my payment has not shown up"."""

    __tablename__ = "payment_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    # Indexed: the scheduler looks for recent outcomes to tell members about.
    at: Mapped[dt.datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(300), default="")

    payment: Mapped[Payment] = relationship(back_populates="events")


class WebhookEvent(Base):
    """A gateway event (Stripe webhook) already applied. It is recorded in the transaction that
    applies it, so a redelivered event finds its id here and changes nothing."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    type: Mapped[str] = mapped_column(String(60))
    received_at: Mapped[dt.datetime]
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    method_id: Mapped[int | None] = mapped_column(ForeignKey("payment_methods.id"))


class AutopayMandate(Base):
    __tablename__ = "autopay_mandates"
    # One mandate in force (active or paused) per account, held by the database: two enrolments
    # racing cannot both succeed.
    __table_args__ = (
        Index("uq_autopay_mandates_in_force", "account_id", unique=True,
              sqlite_where=text("status != 'cancelled'"),
              postgresql_where=text("status != 'cancelled'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    method_id: Mapped[int] = mapped_column(ForeignKey("payment_methods.id"))
    amount_rule: Mapped[str] = mapped_column(String(20))  # "full_balance" or "fixed"
    fixed_amount_cents: Mapped[int | None] = mapped_column(Integer)
    frequency: Mapped[str] = mapped_column(String(20))  # "monthly" or "quarterly"
    days_before_due: Mapped[int] = mapped_column(Integer, default=3)
    status: Mapped[str] = mapped_column(String(20), index=True)  # active | paused | cancelled
    # A pause with a length ("for a month") ends by itself on this day (exchange time zone).
    resume_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    method: Mapped[PaymentMethod] = relationship()


class AutopayCharge(Base):
    """One billing period of one mandate. The unique constraint is what makes autopay charge
    at most once per mandate and period, whatever the scheduler or a second worker does."""

    __tablename__ = "autopay_charges"
    __table_args__ = (UniqueConstraint("mandate_id", "billing_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mandate_id: Mapped[int] = mapped_column(ForeignKey("autopay_mandates.id"), index=True)
    billing_period: Mapped[dt.date] = mapped_column(Date)  # the coverage month charged for
    status: Mapped[str] = mapped_column(String(20))  # claimed | charged | declined | skipped
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_on: Mapped[dt.date | None] = mapped_column(Date)
    last_payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


# --- audit, and the sandbox gateway's own ledger --------------------------------------------


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_account_at", "account_id", "at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime]
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    detail: Mapped[dict] = mapped_column(JSON, default=dict)  # never secrets


class SandboxCharge(Base):
    """The sandbox gateway's ledger. It plays the part of Stripe's own records (which survive
    our crashes), so it is written in its own transaction, not the caller's unit of work."""

    __tablename__ = "sandbox_charges"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    charge_ref: Mapped[str] = mapped_column(String(64), unique=True)
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    amount_cents: Mapped[int] = mapped_column(Integer)
    method_token: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(30))
    # A replay of the key answers with the first result, even after a bank debit settled.
    first_status: Mapped[str] = mapped_column(String(30))
    decline_code: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[dt.datetime]
    settles_on: Mapped[dt.date | None] = mapped_column(Date)


class SandboxMethod(Base):
    """A method saved on the sandbox's hosted page: the test behaviour it has and what the
    member sees. Never the card or account number."""

    __tablename__ = "sandbox_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # "card" or "bank_account"
    behaviour: Mapped[str] = mapped_column(String(60))  # a Stripe test token, e.g. pm_card_visa
    brand: Mapped[str] = mapped_column(String(40))
    last4: Mapped[str] = mapped_column(String(4))
    exp_month: Mapped[int | None] = mapped_column(Integer)
    exp_year: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime]


# --- conversations: the dialogue engine's tracker store -------------------------------------


class Conversation(Base):
    """One chat's conversation (channel + sender id): the row each turn locks, so two workers
    never interleave one member's turns."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "sender_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    sender_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    last_event_at: Mapped[dt.datetime | None]
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    # The first event of the current session: a turn loads only what follows it.
    session_start_seq: Mapped[int] = mapped_column(Integer, default=1)
    # SQLite has no row locks: a turn holds this lease instead (PostgreSQL uses FOR UPDATE).
    lease_owner: Mapped[str | None] = mapped_column(String(36))
    lease_expires_at: Mapped[dt.datetime | None]


class ConversationEvent(Base):
    """A Rasa tracker event, as JSON. Sensitive slot values and the text that carried them are
    stored only as a redacted marker."""

    __tablename__ = "conversation_events"
    __table_args__ = (UniqueConstraint("conversation_id", "seq"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime]
    kind: Mapped[str] = mapped_column(String(40))  # the Rasa event type: user, bot, action, slot
    data: Mapped[dict] = mapped_column(JSON)


# --- pushed messages and scheduled jobs -----------------------------------------------------


class Notification(Base):
    """A message pushed to a member (reminder, autopay result, past-due notice), in an outbox.

    `dedupe_key` is unique: planning the same reminder twice, or two workers planning it at
    once, makes one row. Delivery claims rows with a lease, so each is sent at most once."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "status", "not_before"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # reminder, autopay_result, past_due, ...
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list | None] = mapped_column(JSON)  # [{"title", "payload"}]
    # A reminder or notice about a bill is dropped at delivery if the bill is paid by then.
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    # Not sent before this time: quiet hours and retry back-off move it on.
    not_before: Mapped[dt.datetime]
    # queued | held (quiet hours) | claimed | sending -> sent, or undeliverable | unreachable |
    # failed | obsolete | unknown (a worker died mid-send: maybe sent, never sent again)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(36))
    lease_until: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))


class SendPacer(Base):
    """A rate shared by every worker (messages to Telegram, calls to the gateway): each send
    reserves the next free slot with one UPDATE, so N workers together keep to the rate."""

    __tablename__ = "send_pacers"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_slot_at: Mapped[float] = mapped_column(Double)  # Unix time of the next free slot


class JobRun(Base):
    """When each scheduled job last ran, so a process that was down catches up once."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_started_at: Mapped[dt.datetime | None]
    last_finished_at: Mapped[dt.datetime | None]
    last_outcome: Mapped[str | None] = mapped_column(String(300))


# --- support requests -----------------------------------------------------------------------


class SupportRequest(Base):
    """A member asked for a person: what the exchange's staff need to pick it up without asking
    again. The transcript is taken from the tracker store, so secrets in it are already
    redacted."""

    __tablename__ = "support_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)  # what the member quotes
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(40))  # talk_to_human, payment_missing, ...
    payment_reference: Mapped[str | None] = mapped_column(String(20))
    transcript: Mapped[list] = mapped_column(JSON)  # recent lines: "member: ...", "bot: ..."
    recent_payment_references: Mapped[list] = mapped_column(JSON)
    # open | answered | closed; merged: opened again while one was open, before 0006
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime]
    # Asked again while open: the request is added to, not opened again.
    updated_at: Mapped[dt.datetime | None]
    # How staff reach a visitor who was not logged in: a phone number (E.164) or an e-mail.
    contact: Mapped[str | None] = mapped_column(String(254))

    # One open request per member, and per chat for a visitor, held by the database: two
    # "talk to a person" racing cannot both open one.
    __table_args__ = (
        Index("uq_support_requests_open_per_account", "account_id", unique=True,
              sqlite_where=text("status = 'open' AND account_id IS NOT NULL"),
              postgresql_where=text("status = 'open' AND account_id IS NOT NULL")),
        Index("uq_support_requests_open_per_visitor_chat", "channel", "chat_id", unique=True,
              sqlite_where=text("status = 'open' AND account_id IS NULL"),
              postgresql_where=text("status = 'open' AND account_id IS NULL")),
    )


# --- chat link tokens and the Telegram channel ----------------------------------------------


class ChatLinkToken(Base):
    """A one-time token the exchange hands out (a Telegram deep link, `/start TOKEN`) that logs
    a chat in to an account. Only its hash is kept."""

    __tablename__ = "chat_link_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    used_by_channel: Mapped[str | None] = mapped_column(String(20))
    used_by_chat_id: Mapped[str | None] = mapped_column(String(64))


class TelegramKeyboard(Base):
    """An inline keyboard the bot sent, its buttons together: open until one of them is chosen,
    a newer message goes to the chat, or the channel starts again (then its buttons are stale).
    Each button's callback_data names the keyboard by its selector and carries its verifier,
    so that the payloads never leave the server (bot/telegram/callback_keys.py)."""

    __tablename__ = "telegram_keyboards"
    # Only open keyboards are indexed by chat: what a new message to the chat closes.
    __table_args__ = (
        Index("ix_telegram_keyboards_open", "chat_id",
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
    )

    selector: Mapped[str] = mapped_column(String(16), primary_key=True)  # random
    verifier: Mapped[str] = mapped_column(String(32))  # random, compared in constant time
    chat_id: Mapped[str] = mapped_column(String(64))
    # The message as sent (HTML), to show the chosen option by editing it.
    text_html: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list] = mapped_column(JSON)  # [{"title": ..., "payload": ...}], in order
    created_at: Mapped[dt.datetime] = mapped_column(index=True)
    closed_at: Mapped[dt.datetime | None]
    chosen: Mapped[int | None]  # the position of the button chosen, if one was


class TelegramGroupNotice(Base):
    """A group chat the bot has told, once, that it works only in private chats."""

    __tablename__ = "telegram_group_notices"

    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    notified_at: Mapped[dt.datetime]


class TelegramUpdateSeen(Base):
    """An update Telegram posted to the webhook: a redelivery of the same update_id (Telegram
    resends when an answer was slow or lost) is acknowledged, not processed again. Kept for a
    day, as long as Telegram keeps an undelivered update, then deleted by the retention job."""

    __tablename__ = "telegram_updates_seen"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    received_at: Mapped[dt.datetime] = mapped_column(index=True)
