"""The running application: settings, the service layer and the dialogue engine, built once."""

from __future__ import annotations

from dataclasses import dataclass

from bot.bootstrap import build_services
from bot.settings import PROJECT_ROOT, Settings
from services.context import Services
from services.ports import Clock, Notifier


@dataclass
class Runtime:
    settings: Settings
    services: Services
    engine: object  # dialogs.engine.Engine; typed loosely so importing bot stays cheap


def build_runtime(settings: Settings | None = None, *, clock: Clock | None = None,
                  notifier: Notifier | None = None, interpreter=None) -> Runtime:
    from dialogs.engine import build_engine

    settings = settings or Settings()
    services = build_services(settings, clock=clock, notifier=notifier)
    engine = build_engine(
        services,
        data_dir=PROJECT_ROOT / "data",
        action_endpoint_url=settings.action_endpoint_url or None,
        interpreter=interpreter,
        nlu_cache_dir=settings.var_dir / "cache" / "nlu",
    )
    return Runtime(settings=settings, services=services, engine=engine)
