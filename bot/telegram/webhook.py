"""POST /telegram/webhook: updates Telegram posts, on the same ASGI app as the REST channel.

Only Telegram knows the secret registered with setWebhook, so a request without the
X-Telegram-Bot-Api-Secret-Token header, or with another value, is refused with 403 before its
body is read.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException, Request, Response

from bot.telegram.channel import WEBHOOK_PATH

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1_000_000

router = APIRouter(tags=["telegram"])


@router.post(WEBHOOK_PATH)
async def telegram_webhook(request: Request) -> Response:
    channel = request.app.state.telegram
    if not channel.accepts_secret(request.headers.get(SECRET_HEADER)):
        raise HTTPException(status_code=403, detail="Forbidden.")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise HTTPException(status_code=413, detail="Too large.")
    try:
        update = json.loads(body)
    except ValueError as error:
        raise HTTPException(status_code=400, detail="Not JSON.") from error
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        raise HTTPException(status_code=400, detail="Not a Telegram update.")
    await channel.receive(update)
    return Response(status_code=200)
