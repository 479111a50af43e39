"""What every request passes before the app reads a byte of its body.

- A body larger than HTTP_MAX_BODY_BYTES is refused with 413: at once when its Content-Length
  says so, else as soon as the bytes received pass the limit (a chunked upload is never read
  whole), so a stranger's 300 MB posts cannot fill a worker's memory.
- The REST routes need the bearer token (when REST_AUTH_TOKEN is set) before their body is
  read or parsed: a stranger's body, however malformed, gets 401, never a parser's reply.
- A 422 says which field is wrong and why, never echoing what was sent (a password or a
  card number typed into the wrong field would come back in the reply, and in logs).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.http.bearer_auth import bearer_matches

# The routes of the REST channel (bot/http/rest_channel.py), guarded by REST_AUTH_TOKEN.
TOKEN_PATHS = frozenset({"/webhooks/rest/webhook", "/model/parse"})


class _TooLarge(Exception):
    pass


class RequestGuard:
    """ASGI middleware: `max_body_bytes` a request, and `rest_token` (empty: none needed)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, rest_token: str = ""):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.rest_token = rest_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit()
                                     or int(declared) > self.max_body_bytes):
            await _refuse(send, 413, "The request is too large.")
            return
        if scope["path"] in TOKEN_PATHS and not self._token_ok(headers):
            await _refuse(send, 401, "A valid bearer token is required.",
                          [(b"www-authenticate", b"Bearer")])
            return
        received = 0
        started = too_large = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    too_large = True
                    raise _TooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if too_large and not started:
                return  # what the app made of the cut-off body: the 413 below replaces it
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except _TooLarge:
            pass
        if too_large and not started:
            await _refuse(send, 413, "The request is too large.")

    def _token_ok(self, headers: dict[bytes, bytes]) -> bool:
        # ASGI headers are bytes; HTTP header values are Latin-1.
        return not self.rest_token or bearer_matches(
            headers.get(b"authorization", b"").decode("latin-1"), self.rest_token)


async def _refuse(send: Send, status: int, detail: str,
                  extra_headers: list[tuple[bytes, bytes]] = ()) -> None:
    body = JSONResponse({"detail": detail}).body
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()), *extra_headers]})
    await send({"type": "http.response.body", "body": body})


async def validation_error(_request: Request, error: RequestValidationError) -> JSONResponse:
    """FastAPI's 422, without the `input` (and `ctx`) it would copy from the request."""
    return JSONResponse(status_code=422, content={"detail": [
        {"loc": list(item.get("loc", ())), "msg": item.get("msg", ""),
         "type": item.get("type", "")} for item in error.errors()]})
