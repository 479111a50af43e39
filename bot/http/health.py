"""Liveness and readiness for load balancers and operators."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from services.persistence.migrate import is_current

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict:
    """The process is alive (says nothing about the database)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Ready to serve: the database answers and its schema is at the latest migration."""
    services = request.app.state.runtime.services
    try:
        with services.uow() as uow:
            uow.session.execute(text("select 1"))
            engine = uow.session.get_bind()
        migrations_current = is_current(engine)
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", said plainly
        return JSONResponse({"status": "unavailable", "database": exc.__class__.__name__},
                            status_code=503)
    if not migrations_current:
        return JSONResponse({"status": "unavailable", "database": "migrations pending"},
                            status_code=503)
    return JSONResponse({"status": "ready"})
