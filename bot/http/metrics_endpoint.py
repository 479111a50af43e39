"""GET /metrics: the process's counters in Prometheus's text format (see bot/metrics.py).

Like /healthz, it carries no member data; put it behind the load balancer's own rules if the
figures themselves are not for everyone."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from bot import metrics

router = APIRouter(tags=["health"])


@router.get("/metrics", response_class=Response)
def prometheus_metrics() -> Response:
    body, content_type = metrics.exposition()
    return Response(content=body, media_type=content_type)
