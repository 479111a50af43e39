"""POST /telegram/webhook: updates Telegram posts, on the same ASGI app as the REST channel.

Only Telegram knows the secret registered with setWebhook, so a request without the
X-Telegram-Bot-Api-Secret-Token header, or with another value, is refused with 403 before its
body is read. Telegram resends an update whose answer was slow or lost: one whose update_id was
already received is acknowledged and not handled again (services.update_dedupe).
"""

from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from bot.telegram.channel import WEBHOOK_PATH
from services import update_dedupe

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
    services = request.app.state.runtime.services
    # A database call: off the event loop, so a slow database stalls only this request.
    if await run_in_threadpool(update_dedupe.first_arrival, services, update["update_id"]):
        await channel.receive(update)
    return Response(status_code=200)
