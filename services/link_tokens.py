"""One-time link tokens: the exchange's portal, where the member is already logged in, hands out
a token (as a Telegram deep link, `https://t.me/<bot>?start=<token>`), and the chat that brings
it back is logged in to that account without a password.

A token works once, for a short while, and only its keyed hash is stored, so a database copy
cannot be used to log a chat in.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import select, update

from services import audit
from services.context import Services
from services.errors import NotAllowed, NotFound
from services.persistence.models import Account, ChatLinkToken
from services.secrets import keyed_hash
from services.sessions import link_chat

DEFAULT_LIFETIME = dt.timedelta(minutes=30)
# Telegram's /start parameter takes at most 64 characters of A-Z, a-z, 0-9, _ and -.
TOKEN_BYTES = 24  # 32 url-safe characters

UNKNOWN_LINK = "This link isn't valid. Please log in here, or get a new link from the portal."
USED_LINK = "This link was already used. Please get a new one from the portal, or log in here."
EXPIRED_LINK = "This link has expired. Please get a new one from the portal, or log in here."


def create_link_token(svc: Services, account_id: int, *,
                      lifetime: dt.timedelta = DEFAULT_LIFETIME) -> str:
    """A token that logs one chat in to the account, once, within `lifetime`."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = svc.now()
    with svc.uow() as uow:
        if uow.session.get(Account, account_id) is None:
            raise NotFound("I couldn't find that account.", key="that_account_not_found")
        uow.session.add(ChatLinkToken(token_hash=_hash(svc, token), account_id=account_id,
                                      created_at=now, expires_at=now + lifetime))
        uow.commit()
    return token


def redeem_link_token(svc: Services, token: str, *, channel: str, chat_id: str | int) -> int:
    """Use the token up and log the chat in to its account; the account id. A DomainError
    (NotFound, NotAllowed) says why a token cannot be used."""
    now = svc.now()
    with svc.uow() as uow:
        session = uow.session
        link = session.scalar(select(ChatLinkToken).where(
            ChatLinkToken.token_hash == _hash(svc, token)))
        if link is None:
            raise NotFound(UNKNOWN_LINK, key="chat_link_unknown")
        if link.used_at is not None:
            raise NotAllowed(USED_LINK, key="chat_link_used")
        if link.expires_at <= now:
            raise NotAllowed(EXPIRED_LINK, key="chat_link_expired")
        # Conditional: two chats bringing the same token at once, one of them wins.
        claimed = session.execute(
            update(ChatLinkToken)
            .where(ChatLinkToken.id == link.id, ChatLinkToken.used_at.is_(None))
            .values(used_at=now, used_by_channel=channel, used_by_chat_id=str(chat_id))
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            raise NotAllowed(USED_LINK, key="chat_link_used")
        account_id = link.account_id
        audit.record(session, "link_token_redeemed", at=now, account_id=account_id,
                     channel=channel, chat_id=str(chat_id))
        uow.commit()
    link_chat(svc, channel=channel, chat_id=chat_id, account_id=account_id)
    return account_id


def _hash(svc: Services, token: str) -> str:
    return keyed_hash(svc.secrets.session_key, f"chat-link:{token}")
