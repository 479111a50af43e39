"""Saved payment methods: only gateway tokens and what a member needs to recognise them.

Methods are added on a hosted page, never in chat: the chat hands out a one-time setup link
(`create_setup_token`), the page tokenizes what the member types with the gateway, and
`redeem_setup_token` binds the gateway's token to the link's account.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services import audit
from services.context import Services
from services.errors import InvalidInput, MethodUnusable, NotAllowed, NotFound
from services.persistence.models import Account, AutopayMandate, MethodSetupToken, PaymentMethod
from services.ports import SavedMethod

MAX_NICKNAME_LENGTH = 60
_MANDATES_IN_FORCE = ("active", "paused")


def card_expired(method: PaymentMethod, on: dt.date) -> bool:
    """A card works through the last day of its expiry month."""
    if method.kind != "card" or not method.exp_year or not method.exp_month:
        return False
    return (on.year, on.month) > (method.exp_year, method.exp_month)


def get_chargeable_method(session: Session, account_id: int, method_id: int,
                          on: dt.date) -> PaymentMethod:
    """The member's own, not removed, not expired method — or a DomainError saying why not."""
    method = session.scalar(
        select(PaymentMethod).where(
            PaymentMethod.id == method_id,
            PaymentMethod.account_id == account_id,
            PaymentMethod.removed_at.is_(None),
        )
    )
    if method is None:
        raise NotFound("I couldn't find that payment method. Please choose one from the list.",
                       key="method_not_found")
    if card_expired(method, on):
        raise MethodUnusable(
            f"Your {method.brand} ending in {method.last4} has expired. "
            "Please choose another method or add a new one.",
            key="method_expired", brand=method.brand, last4=method.last4,
        )
    return method


def method_label(method: PaymentMethod, *, on: dt.date | None = None) -> str:
    """How a member recognises a method: "Visa ending in 4242", "Work: Checking ending in
    6789". Pass `on` (svc.today()) to mark an expired card "(expired)"."""
    label = label_of(method.brand, method.last4, method.nickname)
    if on is not None and card_expired(method, on):
        label += " (expired)"
    return label


def label_of(brand: str, last4: str, nickname: str | None) -> str:
    label = f"{brand} ending in {last4}"
    return f"{nickname}: {label}" if nickname else label


def list_methods(svc: Services, account_id: int) -> list[PaymentMethod]:
    """The member's methods, the default first, then in the order they were added."""
    with svc.uow() as uow:
        methods = _active_methods(uow.session, account_id)
        # Detached before the unit of work rolls back, which would expire them.
        uow.session.expunge_all()
        return methods


def methods_expiring_before(svc: Services, account_id: int, day: dt.date) -> list[PaymentMethod]:
    """Cards that cannot be charged on `day` (already expired ones included), for reminders."""
    return [method for method in list_methods(svc, account_id) if card_expired(method, day)]


# --- adding a method through the hosted page ------------------------------------------------


def create_setup_token(svc: Services, account_id: int) -> str:
    """A one-time link to the page where the member adds a method. Only the token's hash is
    kept, so the database alone cannot be used to add a method to someone's account."""
    token = secrets.token_urlsafe(24)
    now = svc.now()
    with svc.uow() as uow:
        if uow.session.get(Account, account_id) is None:
            raise NotFound("I couldn't find your account. Please log in again.",
                           key="account_not_found")
        uow.session.add(MethodSetupToken(
            token_hash=_hash(token), account_id=account_id, created_at=now,
            expires_at=now + dt.timedelta(minutes=svc.config.setup_token_minutes),
        ))
        uow.commit()
    return f"{svc.config.public_base_url.rstrip('/')}/methods/setup/{token}"


def check_setup_token(svc: Services, token: str) -> int:
    """The account a setup link belongs to, if it can still be used; a DomainError otherwise."""
    with svc.uow() as uow:
        return _usable_setup_token(uow.session, token, svc.now()).account_id


def setup_token_account(svc: Services, token: str) -> int | None:
    """The account a setup link was made for, used or expired alike (None: no such link): whom
    a page about a dead link speaks to."""
    with svc.uow() as uow:
        return uow.session.scalar(select(MethodSetupToken.account_id).where(
            MethodSetupToken.token_hash == _hash(token or "")))


def redeem_setup_token(svc: Services, token: str, saved: SavedMethod, *,
                       nickname: str | None = None,
                       make_default: bool | None = None) -> PaymentMethod:
    """Save the method the page tokenized to the link's account, and use up the link.

    The link is claimed with a conditional update in the same transaction that adds the
    method, so two pages submitting one link at once add one method."""
    nickname = _clean_nickname(nickname)
    _check_saved(saved)
    now = svc.now()
    with svc.uow() as uow:
        session = uow.session
        setup = _usable_setup_token(session, token, now)
        claimed = session.execute(
            update(MethodSetupToken)
            .where(MethodSetupToken.id == setup.id, MethodSetupToken.used_at.is_(None))
            .values(used_at=now)
        ).rowcount
        if claimed != 1:
            raise NotAllowed(_USED_LINK, key="setup_link_used")
        method = add_saved_method(session, setup.account_id, saved, at=now, nickname=nickname,
                                  make_default=make_default)
        setup.method_id = method.id
        uow.commit()
        return method


def add_saved_method(session: Session, account_id: int, saved: SavedMethod, *,
                     at: dt.datetime, nickname: str | None = None,
                     make_default: bool | None = None) -> PaymentMethod:
    """Add a method the gateway saved to an account, in the caller's transaction: the first
    method (or one asked to be) becomes the default."""
    _check_saved(saved)
    others = _active_methods(session, account_id)
    is_default = not others or bool(make_default)
    if is_default:
        for other in others:
            other.is_default = False
    method = PaymentMethod(
        account_id=account_id, gateway_token=saved.token, kind=saved.kind,
        brand=saved.brand, last4=saved.last4, exp_month=saved.exp_month,
        exp_year=saved.exp_year, nickname=nickname, is_default=is_default, created_at=at,
    )
    session.add(method)
    session.flush()
    _audit(session, "method_added", at, method, default=is_default)
    return method


# --- managing saved methods -----------------------------------------------------------------


def remove_method(svc: Services, account_id: int, method_id: int) -> None:
    """Remove a method (kept for the history of past payments). Refused while autopay uses
    it; if it was the default, the newest remaining method becomes the default."""
    now = svc.now()
    with svc.uow() as uow:
        session = uow.session
        # Locked, so autopay set up at this moment (which locks it too) waits or sees it gone.
        method = _owned_method(session, account_id, method_id, lock=True)
        in_use = session.scalar(select(AutopayMandate.id).where(
            AutopayMandate.method_id == method.id,
            AutopayMandate.status.in_(_MANDATES_IN_FORCE),
        ).limit(1))
        if in_use is not None:
            noun = "card" if method.kind == "card" else "bank account"
            raise NotAllowed(f"This {noun} pays your autopay. Change autopay to another method "
                             "first, or cancel autopay.",
                             key="card_pays_autopay" if method.kind == "card"
                             else "bank_account_pays_autopay")
        method.removed_at = now
        if method.is_default:
            method.is_default = False
            newest = session.scalar(
                select(PaymentMethod)
                .where(PaymentMethod.account_id == account_id,
                       PaymentMethod.removed_at.is_(None), PaymentMethod.id != method.id)
                .order_by(PaymentMethod.created_at.desc(), PaymentMethod.id.desc())
                .limit(1)
            )
            if newest is not None:
                newest.is_default = True
        _audit(session, "method_removed", now, method)
        uow.commit()


def set_default(svc: Services, account_id: int, method_id: int) -> PaymentMethod:
    """Make a method the one offered first. An expired card cannot be the default."""
    now = svc.now()
    with svc.uow() as uow:
        session = uow.session
        method = _owned_method(session, account_id, method_id)
        if card_expired(method, svc.today()):
            raise MethodUnusable(f"Your {method_label(method)} has expired, so it can't be your "
                                 "default. Please choose another method or add a new one.",
                                 key="expired_method_not_default", brand=method.brand,
                                 last4=method.last4)
        for other in _active_methods(session, account_id):
            other.is_default = other.id == method.id
        _audit(session, "method_default_changed", now, method)
        uow.commit()
        return method


def rename_method(svc: Services, account_id: int, method_id: int,
                  nickname: str | None) -> PaymentMethod:
    """Give a method a nickname ("Work card"), or clear it with None or an empty one."""
    nickname = _clean_nickname(nickname)
    with svc.uow() as uow:
        method = _owned_method(uow.session, account_id, method_id)
        method.nickname = nickname
        _audit(uow.session, "method_renamed", svc.now(), method)
        uow.commit()
        return method


# --- inside ---------------------------------------------------------------------------------

_USED_LINK = "This link has already been used. Ask me in the chat for a new one."


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _usable_setup_token(session: Session, token: str, now: dt.datetime) -> MethodSetupToken:
    setup = session.scalar(select(MethodSetupToken).where(
        MethodSetupToken.token_hash == _hash(token or "")))
    if setup is None:
        raise NotFound("This link isn't valid. Ask me in the chat for a new one.",
                       key="setup_link_unknown")
    if setup.used_at is not None:
        raise NotAllowed(_USED_LINK, key="setup_link_used")
    if setup.expires_at <= now:
        raise NotAllowed("This link has expired. Ask me in the chat for a new one.",
                         key="setup_link_expired")
    return setup


def _active_methods(session: Session, account_id: int) -> list[PaymentMethod]:
    return list(session.scalars(
        select(PaymentMethod)
        .where(PaymentMethod.account_id == account_id, PaymentMethod.removed_at.is_(None))
        .order_by(PaymentMethod.is_default.desc(), PaymentMethod.created_at, PaymentMethod.id)
    ))


def _owned_method(session: Session, account_id: int, method_id: int, *,
                  lock: bool = False) -> PaymentMethod:
    # Another member's method is "not found", exactly like a missing one: ids reveal nothing.
    query = select(PaymentMethod).where(
        PaymentMethod.id == method_id,
        PaymentMethod.account_id == account_id,
        PaymentMethod.removed_at.is_(None),
    )
    method = session.scalar(query.with_for_update() if lock else query)
    if method is None:
        raise NotFound("I couldn't find that payment method. Please choose one from the list.",
                       key="method_not_found")
    return method


def _clean_nickname(nickname: str | None) -> str | None:
    nickname = " ".join((nickname or "").split())
    if len(nickname) > MAX_NICKNAME_LENGTH:
        raise InvalidInput(f"Please keep the nickname to {MAX_NICKNAME_LENGTH} characters.",
                           key="nickname_too_long", most=MAX_NICKNAME_LENGTH)
    return nickname or None


def _check_saved(saved: SavedMethod) -> None:
    # The gateway's answer, not member input: a wrong one is a bug, not a message to show.
    if saved.kind not in ("card", "bank_account") or not (
            len(saved.last4) == 4 and saved.last4.isdigit()) or not saved.token:
        raise ValueError(f"not a method the gateway saved: {saved!r}")


def _audit(session: Session, kind: str, at: dt.datetime, method: PaymentMethod,
           **detail) -> None:
    audit.record(session, kind, at=at, account_id=method.account_id, method_id=method.id,
                 method_kind=method.kind, brand=method.brand, last4=method.last4, **detail)
