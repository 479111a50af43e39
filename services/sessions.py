"""Chat sessions: which account a chat is logged in to, and whether it is fresh enough to move
money.

A chat is identified by its channel AND its chat id together, so a chat id on one channel can
never reach a session made on another. A session idle for `session_idle_minutes` still answers
questions, but money actions need the password again; only a fresh login or `reauthenticate`
makes it fresh again — reading a balance does not.

On a channel with read limits (ServiceConfig.read_limits: REST, where the sender id is the
whole credential), a chat is logged out altogether after sitting idle that long, or that long
after logging in, whatever it does: a balance an hour later needs the password too.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from services import audit
from services.accounts import chat_source, get_account, register_password_attempt
from services.context import Services
from services.errors import NotLoggedIn, SessionExpired
from services.persistence.models import Account, ChatLink

NOT_LOGGED_IN = "You're not logged in. Please log in to continue."
SESSION_EXPIRED = "For your security, please enter your password again to continue."

_chat_links = ChatLink.__table__
# Every action that needs the member reads this, so it is built once, reads one column and
# skips the ORM: a statement built and compiled per call cost more than the query itself.
_ACCOUNT_OF_CHAT = select(_chat_links.c.account_id).where(
    _chat_links.c.channel == bindparam("channel"), _chat_links.c.chat_id == bindparam("chat_id"))


def link_chat(svc: Services, *, channel: str, chat_id: str | int, account_id: int) -> None:
    """Log the chat in to the account (after log_in or create_account), replacing whatever
    account it was logged in to before."""
    get_account(svc, account_id)  # NotFound before anything is written
    with svc.uow() as uow:
        session = uow.session
        now = svc.now()
        link = _link(session, channel, chat_id, for_update=True)
        if link is None:
            link = ChatLink(channel=channel, chat_id=str(chat_id))
            session.add(link)
        link.account_id = account_id
        link.linked_at = now
        link.last_active_at = now
        link.last_seen_at = now
        link.unreachable_since = None
        audit.record(session, "chat_linked", at=now, account_id=account_id, channel=channel,
                     chat_id=str(chat_id))
        uow.commit()


def unlink_chat(svc: Services, *, channel: str, chat_id: str | int) -> bool:
    """Log the chat out; False if it was not logged in."""
    with svc.uow() as uow:
        session = uow.session
        link = _link(session, channel, chat_id)
        if link is None:
            return False
        audit.record(session, "chat_unlinked", at=svc.now(), account_id=link.account_id,
                     channel=channel, chat_id=str(chat_id))
        session.delete(link)
        uow.commit()
    return True


def current_account_id(svc: Services, *, channel: str, chat_id: str | int) -> int | None:
    if channel in svc.config.read_limits:
        with svc.uow() as uow:
            link = _live_link(svc, uow.session, channel, chat_id)
            uow.commit()
        return link.account_id if link is not None else None
    # A read only, on a bare connection (no ORM session: nearly every turn asks this);
    # closing the connection ends its transaction, no commit needed.
    with svc.uow().connect() as conn:
        return conn.scalar(_ACCOUNT_OF_CHAT, {"channel": channel, "chat_id": str(chat_id)})


def require_member(svc: Services, *, channel: str, chat_id: str | int,
                   for_money: bool = False) -> int:
    """The account the chat acts for: NotLoggedIn without a session; SessionExpired for a money
    action after the session sat idle too long."""
    with svc.uow() as uow:
        link = _live_link(svc, uow.session, channel, chat_id)
        if link is None:
            uow.commit()  # a session that ran out is logged out
            raise NotLoggedIn(NOT_LOGGED_IN, key="not_logged_in")
        if _is_idle(svc, link):
            if for_money:
                raise SessionExpired(SESSION_EXPIRED, key="session_expired")
        else:
            link.last_active_at = svc.now()
        uow.commit()
    return link.account_id


def reauthenticate(svc: Services, *, channel: str, chat_id: str | int, password: str) -> int:
    """Check the password of the chat's account again and make the session fresh. Counted like
    a log-in, but only the chat's own delay stops it: a stranger guessing at the username
    elsewhere cannot keep the member out of the chat they are logged in to."""
    with svc.uow() as uow:
        session = uow.session
        link = _live_link(svc, session, channel, chat_id)
        if link is None:
            uow.commit()
            raise NotLoggedIn(NOT_LOGGED_IN, key="not_logged_in")
        account = session.get(Account, link.account_id, with_for_update=True)
        failure = register_password_attempt(
            svc, session, account, password, username=account.username,
            source=chat_source(channel, chat_id), own_chat=True, channel=channel)
        if failure is None:
            link.last_active_at = svc.now()
        uow.commit()
    if failure is not None:
        raise failure
    return link.account_id


def touch(svc: Services, *, channel: str, chat_id: str | int) -> None:
    """The member did something: keep a fresh session fresh. An idle one stays idle."""
    with svc.uow() as uow:
        link = _link(uow.session, channel, chat_id, for_update=True)
        if link is not None and not _is_idle(svc, link):
            link.last_active_at = svc.now()
        uow.commit()


def mark_unreachable(svc: Services, *, channel: str, chat_id: str | int) -> None:
    """The channel says the member blocked the bot: stop pushing messages to this chat."""
    with svc.uow() as uow:
        link = _link(uow.session, channel, chat_id, for_update=True)
        if link is not None and link.unreachable_since is None:
            link.unreachable_since = svc.now()
        uow.commit()


def mark_reachable(svc: Services, *, channel: str, chat_id: str | int) -> None:
    with svc.uow() as uow:
        link = _link(uow.session, channel, chat_id, for_update=True)
        if link is not None:
            link.unreachable_since = None
        uow.commit()


# A read writes when the chat was last seen at most this often: activity to the minute is
# plenty for limits counted in minutes, and most reads then write nothing.
_SEEN_PRECISION = dt.timedelta(minutes=1)


def _live_link(svc: Services, session: Session, channel: str,
               chat_id: str | int) -> ChatLink | None:
    """The chat's link (locked), or None; on a channel with read limits a link past them is
    deleted (the chat is logged out) and one still alive is marked as seen now."""
    link = _link(session, channel, chat_id, for_update=True)
    limits = svc.config.read_limits.get(channel)
    if link is None or limits is None:
        return link
    now = svc.now()
    seen = max(link.last_seen_at or link.last_active_at, link.last_active_at)
    idle_over = limits.idle_minutes and now - seen > dt.timedelta(minutes=limits.idle_minutes)
    life_over = limits.max_hours and now - link.linked_at > dt.timedelta(hours=limits.max_hours)
    if idle_over or life_over:
        audit.record(session, "session_ended", at=now, account_id=link.account_id,
                     channel=channel, chat_id=str(chat_id),
                     reason="idle" if idle_over else "lifetime")
        session.delete(link)
        return None
    if link.last_seen_at is None or now - link.last_seen_at >= _SEEN_PRECISION:
        link.last_seen_at = now
    return link


def _is_idle(svc: Services, link: ChatLink) -> bool:
    return svc.now() - link.last_active_at > dt.timedelta(minutes=svc.config.session_idle_minutes)


def _link(session: Session, channel: str, chat_id: str | int, *,
          for_update: bool = False) -> ChatLink | None:
    query = select(ChatLink).where(ChatLink.channel == channel, ChatLink.chat_id == str(chat_id))
    return session.scalar(query.with_for_update() if for_update else query)
