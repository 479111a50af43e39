"""Typed domain errors.

Every error a use case raises carries a message written for the member, so a channel can show
it as it is. Nothing is written to the database when one is raised: use cases validate before
they change anything, and the unit of work rolls back on any exception.
"""


class DomainError(Exception):
    """Base class: `str(error)` is safe and useful to show to a member."""

    code = "domain_error"

    def __init__(self, message: str, *, key: str | None = None, **values: object):
        """`message` is the English text. `key` names the same text in the language folders'
        errors.yml (data/languages/<code>/errors.yml), and `values` fill its placeholders:
        services/error_texts.py gives the member's language, English where a language has
        no text for the key."""
        super().__init__(message)
        self.message = message
        self.key = key
        self.values = values


class InvalidInput(DomainError):
    code = "invalid_input"


class InvalidAmount(InvalidInput):
    code = "invalid_amount"


class NotFound(DomainError):
    code = "not_found"


class NotAllowed(DomainError):
    """The acting member may not do this (wrong owner, wrong state)."""

    code = "not_allowed"


class IdentityNotVerified(DomainError):
    code = "identity_not_verified"


class IdentityAttemptsUsed(IdentityNotVerified):
    """Too many mismatches for this person or from this source: no more tries for a while."""

    code = "identity_attempts_used"


class WeakPassword(InvalidInput):
    code = "weak_password"


class UsernameUnavailable(InvalidInput):
    code = "username_unavailable"


class LoginFailed(DomainError):
    code = "login_failed"


class AccountLocked(DomainError):
    code = "account_locked"

    def __init__(self, message: str, locked_until, *, key: str | None = None,
                 **values: object):
        super().__init__(message, key=key, **values)
        self.locked_until = locked_until


class AttemptsPaused(AccountLocked):
    """Too many failures from one source (a chat), whatever accounts it tried."""

    code = "attempts_paused"


class SupportLimitReached(DomainError):
    code = "support_limit_reached"


class SessionExpired(DomainError):
    code = "session_expired"


class NotLoggedIn(DomainError):
    code = "not_logged_in"


class MethodUnusable(DomainError):
    code = "method_unusable"


class GatewayUnavailable(Exception):
    """The payment gateway did not answer (timeout, connection error, 5xx, rate limit).

    Not a DomainError: the payment stays pending with its idempotency key and reconciliation
    settles it later; the member is told the payment is being checked.
    """


class GatewayRequestError(Exception):
    """The gateway refused the request itself (unknown method token, bad amount or key): a bug
    in the caller, not a decline and not an outage. Not a DomainError, so it is never shown to
    a member; Stripe answers such requests with HTTP 400."""


class GatewayNeedsOperator(GatewayUnavailable):
    """The gateway answered, but not about the payment: our API key was refused (401) or lacks
    a permission (403), the idempotency key came back with other parameters, or a search
    failed. None of these proves that nothing was charged, so, as for an outage, the payment
    stays pending for reconciliation; unlike an outage, waiting will not fix it, so the
    gateway alerts operators (services/gateway_alerts.py) as it raises this."""


class IdempotencyConflict(GatewayNeedsOperator):
    """The same idempotency key was sent again with different parameters: the first request,
    which may have charged, is the one that counts."""


class DeliveryRetryLater(Exception):
    """A chat channel could not take a message now (HTTP 429, 5xx, network): send it again
    later, after `retry_after_seconds` when the channel said how long to wait."""

    def __init__(self, reason: str, retry_after_seconds: float | None = None):
        super().__init__(reason)
        self.retry_after_seconds = retry_after_seconds


class RecipientUnreachable(Exception):
    """The channel will never deliver to this chat (the member blocked the bot, the chat is
    gone, or the channel cannot push messages)."""
