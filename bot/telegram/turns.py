"""One member message through the conversation: the engine's turn, the member's message deleted
when it carried a secret, the replies sent, and "typing…" shown while a turn is slow.

A reply Telegram would not take after the rate limiter's retries (429, 5xx, a broken
connection) is not lost: what was not sent goes to the outbox for the chat's member and the
delivery job sends it, once, when Telegram takes messages again. Not one that timed out (it may
have arrived), nor one for a chat nobody is logged in to (the outbox is a member's).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Sequence

from telegram import Bot
from telegram.constants import ChatAction
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import CallbackContext

from bot.telegram import payments
from bot.telegram.chat_texts import Notice, chat_language, chat_text
from bot.telegram.context import CHANNEL, runtime_of
from bot.telegram.replies import Progress, open_reply_keyboards, send_replies, unsent
from dialogs.engine import BotMessage, TurnResult
from services.context import Services
from services.outbox import NewNotification, enqueue
from services.sessions import current_account_id, mark_unreachable

logger = logging.getLogger(__name__)

TYPING_AFTER_SECONDS = 0.5
TYPING_REPEAT_SECONDS = 4.5  # Telegram shows "typing…" for five seconds


async def run_turn(context: CallbackContext, chat_id: int, text: str, *,
                   message_id: int | None, notices: Sequence[Notice] = (),
                   language_code: str | None = None) -> None:
    """Hand `text` (what the member typed, or a button's payload) to the engine and answer.
    `message_id` is the member's message, deleted if the engine finds a secret in it;
    `notices` go before the engine's replies, in the language the turn leaves the chat in;
    `language_code` is the member's Telegram language, which sets the conversation's
    language on first contact."""
    runtime = runtime_of(context)
    # The message id goes into the stored event: a later turn may find it held a secret.
    metadata = {"message_id": message_id} if message_id is not None else {}
    if language_code:
        metadata["language_code"] = language_code
    svc = runtime.services

    def prepare_reply(result: TurnResult) -> tuple[list[BotMessage], list[list[str]]] | None:
        """On the turn's own thread, right after it: the reply and its keyboards, opened
        there rather than on a second thread (each thread hop costs CPU in GIL hand-offs:
        bench/README.md note 4). Not when a message is to be deleted: the notice saying so
        depends on Telegram's answer, after the turn."""
        if result.delete_user_message or result.delete_earlier:
            return None
        try:
            language = chat_language(runtime, chat_id)  # as this turn left the chat
            said = [*(BotMessage(notice(language)) for notice in notices),
                    *payments.offer_card_form(result.messages, runtime, language)]
            return said, open_reply_keyboards(svc, chat_id, said)
        except Exception:  # the turn is stored: its reply must not be lost for this
            logger.exception("could not open the reply's keyboards on the turn thread")
            return None

    async with typing_while_slow(context.bot, chat_id):
        result = await runtime.engine.handle_message(CHANNEL, str(chat_id), text,
                                                     metadata=metadata or None,
                                                     then=prepare_reply)
    if result.prepared is not None:
        said, keys = result.prepared
        await reply(context, chat_id, said, keys=keys)
        return
    language = chat_language(runtime, chat_id)
    said = [BotMessage(notice(language)) for notice in notices]
    deleted = [*result.delete_earlier,
               *([message_id] if result.delete_user_message and message_id is not None else [])]
    if deleted:
        outcomes = [await delete_member_message(context.bot, chat_id, deleting)
                    for deleting in deleted]
        # One notice: "couldn't delete" when any could not be.
        said.append(BotMessage(deletion_notice(runtime, language, all(outcomes))))
    said += payments.offer_card_form(result.messages, runtime, language)
    await reply(context, chat_id, said)


async def reply(context: CallbackContext, chat_id: int, messages: Sequence[BotMessage], *,
                keys: Sequence[Sequence[str]] | None = None) -> None:
    """Send messages to a member in the chat (`keys`: their keyboards, if already opened); a
    member who blocked the bot is marked unreachable, so pushed messages stop."""
    svc = runtime_of(context).services
    progress = Progress()
    try:
        await send_replies(context.bot, svc, chat_id, messages, progress, keys=keys)
    except Forbidden:
        logger.info("chat %s blocked the bot; marked unreachable", chat_id)
        mark_unreachable(svc, channel=CHANNEL, chat_id=chat_id)
    except (TimedOut, BadRequest):
        # Timed out: Telegram may have taken it, and sent again the member would see it twice.
        # Refused (400): it would be refused again. Both are the error handler's.
        raise
    except (RetryAfter, NetworkError) as error:
        left = unsent(messages, progress)
        if not send_later(svc, chat_id, left):
            raise
        logger.warning("Telegram would not take a reply in chat %s (%s); %d message(s) queued "
                       "in the outbox", chat_id, error, len(left))


def send_later(svc: Services, chat_id: int, messages: Sequence[BotMessage]) -> bool:
    """Queue `messages` for the chat's member in the outbox; False when nobody is logged in."""
    account_id = current_account_id(svc, channel=CHANNEL, chat_id=chat_id)
    if account_id is None:
        return False
    batch = uuid.uuid4().hex
    with svc.uow() as uow:
        enqueue(uow.session, [
            NewNotification(account_id, "reply", f"reply:{chat_id}:{batch}:{number}",
                            message.text or "", message.buttons or None)
            for number, message in enumerate(messages)], now=svc.now())
        uow.commit()
    return True


async def delete_member_message(bot: Bot, chat_id: int, message_id: int) -> bool:
    """Delete the member's message; whether it is gone."""
    try:
        await bot.delete_message(chat_id, message_id)
    except TelegramError as error:
        logger.warning("could not delete a sensitive message in chat %s: %s", chat_id, error)
        return False
    return True


def deletion_notice(runtime, language: str, deleted: bool) -> str:
    """What to tell the member about a message of theirs with private details in it."""
    return chat_text(runtime, "utter_telegram_message_deleted" if deleted
                     else "utter_telegram_message_not_deleted", language)


@contextlib.asynccontextmanager
async def typing_while_slow(bot: Bot, chat_id: int) -> AsyncIterator[None]:
    """Show "typing…" in the chat if the block takes longer than a moment. Most turns are
    quicker: a timer, cheaper than a task, stands until then."""
    loop = asyncio.get_running_loop()
    typing: list[asyncio.Task] = []
    timer = loop.call_later(TYPING_AFTER_SECONDS,
                            lambda: typing.append(loop.create_task(_keep_typing(bot, chat_id))))
    try:
        yield
    finally:
        timer.cancel()
        if typing:
            typing[0].cancel()
            await asyncio.wait(typing)


async def _keep_typing(bot: Bot, chat_id: int) -> None:
    while True:
        try:
            await bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError:
            return  # only a courtesy: never worth failing or retrying a turn for
        await asyncio.sleep(TYPING_REPEAT_SECONDS)
