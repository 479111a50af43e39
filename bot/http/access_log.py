"""Access logs without the secrets in hosted pages' addresses. A setup link, or a sandbox 3-D
Secure page, lets whoever has it act for a member for a while, and logs have more readers."""

from __future__ import annotations

import logging
import re

SECRET_IN_PATH = re.compile(
    r"(/methods/setup/|/sandbox/authenticate/)(?!(?:done|cancelled)(?:[?\s]|$))[^/?\s]+")


class HideLinkSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(SECRET_IN_PATH.sub(r"\1…", arg) if isinstance(arg, str) else arg
                                for arg in record.args)
        return True


_FILTER = HideLinkSecrets()


def hide_link_secrets() -> None:
    """Filter uvicorn's access log (adding the one filter twice is a no-op)."""
    logging.getLogger("uvicorn.access").addFilter(_FILTER)
