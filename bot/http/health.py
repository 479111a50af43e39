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
    """Ready to serve: the database answers, its schema is at the latest migration, and a turn
    can be answered now (the NLU has answered once, and turns are not being refused). FastAPI
    runs this on a thread: the first call's NLU warm-up keeps the event loop free."""
    runtime = request.app.state.runtime
    services = runtime.services
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
    engine = getattr(runtime, "engine", None)
    if engine is not None:
        if not engine.warmed_up:
            engine.warm_up()
        if not engine.ready:
            return JSONResponse({"status": "unavailable", "turns": "busy"}, status_code=503)
    return JSONResponse({"status": "ready"})
