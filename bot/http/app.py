"""The one ASGI app of `healthpay serve`: REST channel, webhooks, hosted pages, health."""

from __future__ import annotations

from fastapi import FastAPI

from bot.http import health


def create_app(runtime) -> FastAPI:
    """`runtime` is the composition root's Runtime (settings, services, dialogue engine)."""
    app = FastAPI(title="HealthPay", version="0.1.0")
    app.state.runtime = runtime
    app.include_router(health.router)
    return app
