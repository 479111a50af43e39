"""Rasa's REST channel (`POST /webhooks/rest/webhook`) and NLU endpoint (`POST /model/parse`).

Anyone who can post here can choose any sender id, so whenever REST_AUTH_TOKEN is set both
routes need `Authorization: Bearer <token>`, and `healthpay serve` refuses to listen beyond
loopback without one. Conversations are keyed by channel *and* sender: a REST sender id that
copies a Telegram chat id reaches nothing of that chat.
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

MAX_MESSAGE_CHARS = 4096
CHANNEL = "rest"

router = APIRouter(tags=["rest channel"])


class RestMessage(BaseModel):
    sender: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:@-]+$")
    message: str = Field(max_length=MAX_MESSAGE_CHARS)


class RestButton(BaseModel):
    title: str
    payload: str


class RestReply(BaseModel):
    recipient_id: str
    text: str | None = None
    buttons: list[RestButton] = []
    custom: dict | None = None


class ParseRequest(BaseModel):
    text: str = Field(max_length=MAX_MESSAGE_CHARS)


def require_token(request: Request) -> None:
    expected = request.app.state.runtime.settings.rest_auth_token
    if not expected:
        return
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(status_code=401, detail="A valid bearer token is required.",
                            headers={"WWW-Authenticate": "Bearer"})


@router.post("/webhooks/rest/webhook", response_model=list[RestReply],
             dependencies=[Depends(require_token)])
async def rest_webhook(body: RestMessage, request: Request) -> list[RestReply]:
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


@router.post("/model/parse", dependencies=[Depends(require_token)])
async def model_parse(body: ParseRequest, request: Request) -> dict:
    engine = request.app.state.runtime.engine
    return await run_in_threadpool(engine.parse, body.text)  # the NLU: CPU, off the loop
