"""The one ASGI app of `healthpay serve`: REST channel, webhooks, hosted pages, health,
metrics."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from bot import metrics
from bot.http import (
    access_log,
    health,
    method_setup_page,
    metrics_endpoint,
    payment_return_page,
    request_guard,
    rest_channel,
    sandbox_authentication_page,
    stripe_authentication_page,
    stripe_webhook,
)


def create_app(runtime, *, telegram=None) -> FastAPI:
    """`runtime` is the composition root's Runtime (settings, services, dialogue engine);
    `telegram`, a bot.telegram.TelegramChannel, runs with the app (and takes its webhook)."""
    # The API's own description is for developers: off unless API_DOCS_ENABLED says so.
    docs = bool(runtime.settings.api_docs_enabled)
    app = FastAPI(title="HealthPay", version="0.1.0",
                  lifespan=telegram.lifespan if telegram is not None else None,
                  openapi_url="/openapi.json" if docs else None,
                  docs_url="/docs" if docs else None, redoc_url="/redoc" if docs else None)
    app.state.runtime = runtime
    app.state.telegram = telegram
    settings = runtime.settings
    # Sizes and tokens are checked before any route reads a body (webhooks included).
    app.add_middleware(request_guard.RequestGuard, max_body_bytes=settings.http_max_body_bytes,
                       rest_token=settings.rest_auth_token)
    app.add_exception_handler(RequestValidationError, request_guard.validation_error)
    access_log.hide_link_secrets()
    app.include_router(health.router)
    metrics.install()
    metrics.watch_load(runtime)
    app.include_router(metrics_endpoint.router)
    if getattr(runtime, "engine", None) is not None:
        app.include_router(rest_channel.router)
    gateway = runtime.services.gateway.name
    if gateway == "stripe" or runtime.settings.stripe_webhook_secret:
        app.include_router(stripe_webhook.router)
    if gateway == "stripe":
        app.include_router(payment_return_page.router)
        app.include_router(stripe_authentication_page.router)
    # Before the sandbox's /methods/setup/{token}, which would take "done" for a token.
    app.include_router(method_setup_page.return_router)
    if gateway == "sandbox":
        app.include_router(method_setup_page.router)
        app.include_router(sandbox_authentication_page.router)
    if telegram is not None and telegram.mode == "webhook":
        from bot.telegram import webhook  # python-telegram-bot loads only when Telegram runs

        app.include_router(webhook.router)
    return app
