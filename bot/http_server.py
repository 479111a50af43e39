"""Where `healthpay serve` may listen."""

from __future__ import annotations

import ipaddress


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
