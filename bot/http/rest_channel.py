"""Rasa's REST channel (`POST /webhooks/rest/webhook`) and NLU endpoint (`POST /model/parse`).

Anyone who can post here can choose any sender id, so:
- whenever REST_AUTH_TOKEN is set both routes need `Authorization: Bearer <token>`, and
  `healthpay serve` refuses to listen beyond loopback without one;
- whenever REST_SENDER_SECRET is set, a message needs `X-Sender-Signature`, the hex
  HMAC-SHA256 of its sender id under that secret: a front-end that signs the ids of the
  people it logged in keeps one of its users from posing as another (401 otherwise);
- each sender and each client address may post REST_SENDER_RATE_PER_MINUTE and
  REST_CLIENT_RATE_PER_MINUTE messages a minute (429 with Retry-After beyond);
- REST sessions end even for reading (services.sessions, ReadLimits).
Conversations are keyed by channel *and* sender: a REST sender id that copies a Telegram chat
id reaches nothing of that chat.

A refused request's 422 lists what was wrong, never the input itself: it may be a secret, and
text that is not valid Unicode (a lone surrogate) could not even be written back.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import AfterValidator, BaseModel, Field
from starlette.concurrency import run_in_threadpool

from bot.http.bearer_auth import require_bearer
from bot.http.request_limits import RequestLimits

MAX_MESSAGE_CHARS = 4096
CHANNEL = "rest"
SIGNATURE_HEADER = "X-Sender-Signature"


def _valid_unicode(text: str) -> str:
    """Refuse lone surrogates: JSON can carry them, but no database or reply can hold them."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Text must be valid Unicode.") from None
    return text


UnicodeText = Annotated[str, AfterValidator(_valid_unicode)]


class _InputHidingRoute(APIRoute):
    """Validation errors without the `input` and `ctx` FastAPI would echo."""

    def get_route_handler(self):
        handle = super().get_route_handler()

        async def route(request: Request):
            try:
                return await handle(request)
            except RequestValidationError as error:
                detail = [{"loc": list(item["loc"]), "msg": item["msg"], "type": item["type"]}
                          for item in error.errors()]
                return JSONResponse({"detail": detail}, status_code=422)

        return route


router = APIRouter(tags=["rest channel"], route_class=_InputHidingRoute)


class RestMessage(BaseModel):
    sender: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:@-]+$")
    message: UnicodeText = Field(max_length=MAX_MESSAGE_CHARS)


class RestButton(BaseModel):
    title: str
    payload: str


class RestReply(BaseModel):
    recipient_id: str
    text: str | None = None
    buttons: list[RestButton] = []
    custom: dict | None = None


class ParseRequest(BaseModel):
    text: UnicodeText = Field(max_length=MAX_MESSAGE_CHARS)


def sender_signature(secret: str, sender: str) -> str:
    """What a front-end sends in X-Sender-Signature for `sender`."""
    return hmac.new(secret.encode(), sender.encode(), hashlib.sha256).hexdigest()


def build_limits(settings) -> RequestLimits:
    return RequestLimits({"sender": settings.rest_sender_rate_per_minute,
                          "client": settings.rest_client_rate_per_minute})


def require_token(request: Request) -> None:
    require_bearer(request, request.app.state.runtime.settings.rest_auth_token)


def limit_client(request: Request) -> None:
    """Before the body is read: a client over its rate costs nothing more."""
    client = request.client.host if request.client else "unknown"
    _limits(request).hit("client", client)


def _limits(request: Request) -> RequestLimits:
    state = request.app.state
    if getattr(state, "rest_limits", None) is None:
        state.rest_limits = build_limits(state.runtime.settings)
    return state.rest_limits


def _check_sender(request: Request, sender: str) -> None:
    secret = request.app.state.runtime.settings.rest_sender_secret
    if secret:
        given = request.headers.get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(given.encode(), sender_signature(secret, sender).encode()):
            raise HTTPException(status_code=401,
                                detail=f"A valid {SIGNATURE_HEADER} for the sender is required.")
    _limits(request).hit("sender", sender)


@router.post("/webhooks/rest/webhook", response_model=list[RestReply],
             dependencies=[Depends(require_token), Depends(limit_client)])
async def rest_webhook(body: RestMessage, request: Request) -> list[RestReply]:
    _check_sender(request, body.sender)
    engine = request.app.state.runtime.engine
    result = await engine.handle_message(CHANNEL, body.sender, body.message)
    replies = [
        RestReply(recipient_id=body.sender, text=message.text,
                  buttons=[RestButton(**button) for button in message.buttons],
                  custom=message.custom)
        for message in result.messages
    ]
    if result.delete_user_message and replies:
        # The REST client shows the conversation: tell it to hide what the member sent.
        first = replies[0]
        first.custom = {**(first.custom or {}), "delete_user_message": True}
    return replies


@router.post("/model/parse", dependencies=[Depends(require_token), Depends(limit_client)])
async def model_parse(body: ParseRequest, request: Request) -> dict:
    engine = request.app.state.runtime.engine
    return await run_in_threadpool(engine.parse, body.text)  # the NLU: CPU, off the loop
