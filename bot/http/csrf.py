"""Cross-site request forgery protection for the hosted pages' forms: a signed double submit.

A form carries `nonce.mac` in a hidden field, mac = HMAC(session key, page, nonce), and the
same nonce in an HttpOnly, SameSite=Strict cookie scoped to that page. A post must bring both,
agreeing, with a mac made for that very page (its one-time token is the `page`): another site
can neither read the cookie nor make the mac, and a field copied from one link is useless on
another. When the browser names the post's Origin (or Referer), it must be this site.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response

FIELD = "csrf_token"
COOKIE = "hp_csrf"
_NONCE = re.compile(r"[A-Za-z0-9_-]{22,64}")


def issue(request: Request, key: bytes, page: str) -> tuple[str, str]:
    """(hidden field value, cookie nonce) for a form on `page`. A nonce the browser already
    holds for this page is kept, so the same link open in two tabs works in both."""
    nonce = request.cookies.get(COOKIE, "")
    if not _NONCE.fullmatch(nonce):
        nonce = secrets.token_urlsafe(24)
    return f"{nonce}.{_mac(key, page, nonce)}", nonce


def set_cookie(response: Response, nonce: str, *, path: str, secure: bool) -> None:
    response.set_cookie(COOKIE, nonce, path=path, httponly=True, samesite="strict",
                        secure=secure, max_age=3600)


def verify(request: Request, field: str | None, key: bytes, page: str, *,
           public_base_url: str) -> bool:
    nonce, _, mac = (field or "").partition(".")
    cookie = request.cookies.get(COOKIE, "")
    if not (_NONCE.fullmatch(nonce) and hmac.compare_digest(nonce, cookie)):
        return False
    if not hmac.compare_digest(mac, _mac(key, page, nonce)):
        return False
    return _same_site(request, public_base_url)


def _same_site(request: Request, public_base_url: str) -> bool:
    """The post came from one of our own pages, as far as the browser says."""
    sender = request.headers.get("origin") or request.headers.get("referer")
    if sender is None:
        return True  # nothing said; the cookie and the mac have already vouched
    ours = {urlsplit(public_base_url).netloc, request.headers.get("host", "")}
    return urlsplit(sender).netloc in ours - {""}


def _mac(key: bytes, page: str, nonce: str) -> str:
    message = f"healthpay-form|{page}|{nonce}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
