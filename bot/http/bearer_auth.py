"""`Authorization: Bearer <token>` checks shared by the REST channel and /metrics."""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request


def bearer_matches(authorization: str, expected: str) -> bool:
    """The `Authorization` header's value carries `expected` as a bearer token."""
    scheme, _, token = authorization.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.encode(), expected.encode())


def require_bearer(request: Request, expected: str) -> None:
    """Refuse with 401 unless the request carries `expected` (no check when it is empty)."""
    if not expected:
        return
    if not bearer_matches(request.headers.get("authorization", ""), expected):
        raise HTTPException(status_code=401, detail="A valid bearer token is required.",
                            headers={"WWW-Authenticate": "Bearer"})
