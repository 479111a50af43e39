"""GET /metrics: the process's counters in Prometheus's text format (see bot/metrics.py).

It carries no member data, but its figures (payments, declines, errors) are not for everyone:
it needs `Authorization: Bearer` with METRICS_TOKEN, or REST_AUTH_TOKEN when that is not set.
`healthpay serve` listens beyond loopback only with REST_AUTH_TOKEN, so only a server on
loopback answers /metrics without a token."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from bot import metrics
from bot.http.bearer_auth import require_bearer

router = APIRouter(tags=["health"])


def require_metrics_token(request: Request) -> None:
    settings = request.app.state.runtime.settings
    require_bearer(request, settings.metrics_token or settings.rest_auth_token)


@router.get("/metrics", response_class=Response, dependencies=[Depends(require_metrics_token)])
def prometheus_metrics() -> Response:
    body, content_type = metrics.exposition()
    return Response(content=body, media_type=content_type)
