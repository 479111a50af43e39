"""`Authorization: Bearer <token>` checks shared by the REST channel and /metrics."""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request


def require_bearer(request: Request, expected: str) -> None:
    """Refuse with 401 unless the request carries `expected` (no check when it is empty)."""
    if not expected:
        return
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(status_code=401, detail="A valid bearer token is required.",
                            headers={"WWW-Authenticate": "Bearer"})
