"""The running application: settings, the service layer and the dialogue engine, built once."""

from __future__ import annotations

from dataclasses import dataclass

from bot.bootstrap import Pools, build_pools, build_services, check_pool_sizes
from bot.settings import PROJECT_ROOT, Settings
from services.context import Services
from services.ports import Clock, Notifier


@dataclass
class Runtime:
    settings: Settings
    services: Services
    engine: object  # dialogs.engine.Engine; typed loosely so importing bot stays cheap
    pools: Pools | None = None  # watched in /metrics


def build_runtime(settings: Settings | None = None, *, clock: Clock | None = None,
                  notifier: Notifier | None = None, interpreter=None) -> Runtime:
    from dialogs.engine import build_engine
    from dialogs.engine.turn_queue import TurnQueue

    settings = settings or Settings()
    check_pool_sizes(settings)
    pools = build_pools(settings)
    services = build_services(settings, clock=clock, notifier=notifier, pools=pools)
    engine = build_engine(
        services,
        data_dir=PROJECT_ROOT / "data",
        action_endpoint_url=settings.action_endpoint_url or None,
        interpreter=interpreter,
        nlu_cache_dir=settings.var_dir / "cache" / "nlu",
        turn_queue=TurnQueue(settings.turn_threads, max_waiting=settings.turn_queue_limit,
                             max_wait_seconds=settings.turn_wait_limit_seconds,
                             admit_after=settings.effective_turn_admit_after),
        max_session_events=settings.max_session_events,
        tracker_cache_events=settings.tracker_cache_events,
        session_cache_chars=settings.session_cache_chars,
    )
    return Runtime(settings=settings, services=services, engine=engine, pools=pools)
