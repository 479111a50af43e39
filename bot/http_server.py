"""Starting the ASGI app with uvicorn: in the foreground (`serve`) or beside the console chat."""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading

import uvicorn

logger = logging.getLogger(__name__)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind_allowed(host: str, rest_auth_token: str) -> None:
    """Anyone who can reach an unauthenticated REST channel can pose as any sender."""
    if not is_loopback(host) and not rest_auth_token:
        raise SystemExit(
            f"Refusing to listen on {host} without REST_AUTH_TOKEN: set a token, or use "
            "127.0.0.1."
        )


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def serve_in_background(app, host: str, port: int) -> uvicorn.Server | None:
    """Serve `app` from a daemon thread (the hosted pages while the console chat runs)."""
    if not port_is_free(host, port):
        logger.warning("port %s:%s is busy; the hosted pages are not served", host, port)
        return None
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="healthpay-http", daemon=True)
    thread.start()
    return server
