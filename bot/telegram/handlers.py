"""What the bot does with each kind of update. Private chats only: a group is told once that the
bot works in private chats (once Telegram took the notice), and nothing else happens there; a
channel is left alone.

- a text message: a turn of the conversation (turns.run_turn);
- a command: /start (with a deep-link token: logs the chat in), /help, /pay, /balance,
  /autopay, /cancel, /logout as shortcuts into the conversation; any other command gets help;
- a button: its key is resolved (callback_keys); a stale, reused, forged or foreign key is
  answered and never acted on; a chosen one is answered, shows the choice in the message, and
  acts whatever became of the answer and the edit: Telegram refusing either (a query answered
  too late, an edit refused with 429 past the retries) must not lose a Confirm tap whose key is
  spent. A tap that has to wait behind the chat's running turn is answered before it waits
  (application.ChatSerialProcessor), so Telegram's spinner stops in time;
- an edited message, and the caption of a photo or document (new or edited), with a card
  number or an SSN in it: deleted like a new text message would be;
- the member blocking or unblocking the bot: pushed messages stop or start again;
- payments: the pre-checkout query and successful_payment (payments.py);
- anything a handler raises: logged, counted as a failed turn, and the member is told
  (on_error).
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import delete
from telegram import BotCommand, CallbackQuery, Update, User
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackContext,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from bot.telegram import callback_keys, payments
from bot.telegram.callback_keys import Outcome, Tap
from bot.telegram.chat_texts import chat_language, chat_text, notice
from bot.telegram.context import ANSWERED_EARLY, CHANNEL, runtime_of
from bot.telegram.formatting import with_choice
from bot.telegram.turns import delete_member_message, deletion_notice, reply, run_turn
from dialogs.engine import BotMessage
from dialogs.engine.nlu.redaction import contains_secret
from services.error_texts import error_text
from services.errors import DomainError
from services.events import emit
from services.link_tokens import redeem_link_token
from services.persistence.bulk import insert_missing
from services.persistence.models import TelegramGroupNotice
from services.sessions import mark_reachable, mark_unreachable

logger = logging.getLogger(__name__)

# Shortcuts into the conversation: each stands for an intent, as a button payload does.
SHORTCUTS = {
    "help": "/help",
    "pay": "/make_payment",
    "balance": "/check_balance",
    "autopay": "/setup_autopay",
    "cancel": "/cancel",
    "logout": "/log_out",
    # The language menu: caught by the engine before understanding (language_turns.py).
    "language": "/language",
    "idioma": "/language",
}
COMMANDS = [
    BotCommand("start", "Start, or see what I can do"),
    BotCommand("help", "What I can help with"),
    BotCommand("pay", "Pay a premium"),
    BotCommand("balance", "What you owe and when it's due"),
    BotCommand("autopay", "Automatic monthly payments"),
    BotCommand("cancel", "Stop what we're doing"),
    BotCommand("logout", "Log out of this chat"),
    BotCommand("language", "Choose your language"),
]
GREET = "/greet"

# The channel's own texts are responses: data/languages/<code>/responses_telegram.yml.
GROUP_NOTICE = "utter_telegram_group_notice"

NEW_PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
EDITED_PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.EDITED_MESSAGE
# Typed text is never taken for a button payload (`/intent{...}`): only our keys carry one.
SLASHED = filters.Regex(r"^\s*/")


def register(application: Application) -> None:
    """The handlers, in the order they are tried: the first that matches an update runs."""
    application.add_handlers([
        MessageHandler(filters.ChatType.GROUPS, on_group_message),
        ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER),
        CommandHandler("start", on_start, filters=NEW_PRIVATE),
        CommandHandler(list(SHORTCUTS), on_shortcut, filters=NEW_PRIVATE),
        MessageHandler(NEW_PRIVATE & (filters.COMMAND | SLASHED), on_unknown_command),
        MessageHandler(NEW_PRIVATE & filters.SUCCESSFUL_PAYMENT, payments.on_successful_payment),
        MessageHandler(NEW_PRIVATE & filters.TEXT, on_text),
        MessageHandler(NEW_PRIVATE & ~filters.StatusUpdate.ALL, on_other_message),
        MessageHandler(EDITED_PRIVATE & (filters.TEXT | filters.CAPTION), on_edited_message),
        CallbackQueryHandler(on_button),
        PreCheckoutQueryHandler(payments.on_pre_checkout),
    ])
    application.add_error_handler(on_error)


async def on_text(update: Update, context: CallbackContext) -> None:
    message = update.effective_message
    await run_turn(context, message.chat_id, message.text, message_id=message.message_id,
                   language_code=_language_code(update))


def _language_code(update: Update) -> str | None:
    """The language the member's Telegram app is set to: the first guess at theirs."""
    return update.effective_user.language_code if update.effective_user else None


async def on_start(update: Update, context: CallbackContext) -> None:
    message = update.effective_message
    runtime = runtime_of(context)
    notices = []
    if context.args:  # a deep link: t.me/<bot>?start=<token>
        try:
            redeem_link_token(runtime.services, context.args[0], channel=CHANNEL,
                              chat_id=message.chat_id)
            notices.append(notice(runtime, "utter_telegram_linked"))
        except DomainError as error:
            notices.append(lambda language, error=error: error_text(error, language))
    await run_turn(context, message.chat_id, GREET, message_id=message.message_id,
                   notices=notices, language_code=_language_code(update))


async def on_shortcut(update: Update, context: CallbackContext) -> None:
    message = update.effective_message
    command = message.text.split()[0].lstrip("/").split("@")[0].lower()
    await run_turn(context, message.chat_id, SHORTCUTS[command], message_id=message.message_id)


async def on_unknown_command(update: Update, context: CallbackContext) -> None:
    message = update.effective_message
    command = message.text.split()[0][:40]
    # The help that follows has its heading.
    await run_turn(context, message.chat_id, SHORTCUTS["help"], message_id=message.message_id,
                   notices=[notice(runtime_of(context), "utter_telegram_unknown_command",
                                   command=command)],
                   language_code=_language_code(update))


async def on_edited_message(update: Update, context: CallbackContext) -> None:
    said = await _delete_if_secret(update, context)
    if said:
        await reply(context, update.effective_chat.id, [BotMessage(text) for text in said])


async def on_other_message(update: Update, context: CallbackContext) -> None:
    """A photo, a document, a sticker...: only text is read; a caption with a card number is
    deleted as typed text would be."""
    said = await _delete_if_secret(update, context)
    language = chat_language(runtime_of(context), update.effective_chat.id, update.effective_user)
    said.append(chat_text(runtime_of(context), "utter_telegram_text_only", language))
    await reply(context, update.effective_chat.id, [BotMessage(text) for text in said])


async def _delete_if_secret(update: Update, context: CallbackContext) -> list[str]:
    """What to tell the member when the message's text or caption had a card number or an SSN (the
    detector the conversation uses): it is deleted."""
    message = update.effective_message
    if not contains_secret(message.text or message.caption or ""):
        return []
    deleted = await delete_member_message(context.bot, message.chat_id, message.message_id)
    runtime = runtime_of(context)
    return [deletion_notice(runtime, chat_language(runtime, message.chat_id,
                                                   update.effective_user), deleted)]


async def on_button(update: Update, context: CallbackContext) -> None:
    query = update.callback_query
    message = query.message
    runtime = runtime_of(context)
    language = chat_language(runtime, query.from_user.id, query.from_user)
    if message is None or message.chat.type != ChatType.PRIVATE or \
            message.chat.id != query.from_user.id:
        await _answer(context, query, chat_text(runtime, "utter_telegram_private_only",
                                                language))
        return
    # A database write: off the event loop, as turns are (see replies.send_replies).
    tap = await asyncio.to_thread(callback_keys.choose, runtime.services, query.data or "",
                                  chat_id=message.chat.id)
    if tap.outcome is not Outcome.CHOSEN:
        await _refuse(context, query, tap, language)
        return
    # The key is spent: from here on the choice is acted on, whatever Telegram says.
    await _answer(context, query)
    await _show_choice(query, tap, chat_text(runtime, "utter_telegram_you_chose", language))
    if payments.is_card_form(tap.payload):
        await payments.send_card_form(context.bot, runtime, message.chat.id, tap.payload,
                                      language)
    else:
        await run_turn(context, message.chat.id, tap.payload, message_id=None)


async def on_error(update: object, context: CallbackContext) -> None:
    """A handler raised: logged, counted as a failed turn, and the member told, so a turn never
    just goes silent."""
    logger.error("Telegram update failed: %r", context.error, exc_info=context.error)
    emit("turn_failed", channel=CHANNEL)
    chat = update.effective_chat if isinstance(update, Update) else None
    if chat is None or chat.type != ChatType.PRIVATE:
        return
    runtime = runtime_of(context)
    failed = chat_text(runtime, "utter_telegram_failed",
                       chat_language(runtime, chat.id, update.effective_user))
    try:
        await context.bot.send_message(chat.id, failed)
    except TelegramError as error:
        logger.warning("could not tell chat %s that its turn failed: %s", chat.id, error)


async def on_group_message(update: Update, context: CallbackContext) -> None:
    await _tell_group_once(context, update.effective_chat.id, update.effective_user)


async def on_my_chat_member(update: Update, context: CallbackContext) -> None:
    change = update.my_chat_member
    chat, status = change.chat, change.new_chat_member.status
    if chat.type == ChatType.PRIVATE:
        svc = runtime_of(context).services
        if status == ChatMemberStatus.BANNED:  # the member blocked the bot
            mark_unreachable(svc, channel=CHANNEL, chat_id=chat.id)
        elif status == ChatMemberStatus.MEMBER:
            mark_reachable(svc, channel=CHANNEL, chat_id=chat.id)
    elif chat.type in (ChatType.GROUP, ChatType.SUPERGROUP) and \
            status in (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR):
        # A channel's subscribers are not told.
        await _tell_group_once(context, chat.id, change.from_user)


async def _refuse(context: CallbackContext, query: CallbackQuery, tap: Tap,
                  language: str) -> None:
    runtime = runtime_of(context)
    if tap.outcome is Outcome.ALREADY_CHOSEN:
        await _answer(context, query, chat_text(runtime, "utter_telegram_already_chosen",
                                                language, title=tap.title))
    elif tap.outcome is Outcome.STALE:
        await _answer(context, query, chat_text(runtime, "utter_telegram_stale_button", language))
        await _remove_keyboard(query)
    else:
        await _answer(context, query, chat_text(runtime, "utter_telegram_foreign_button",
                                                language))


async def _answer(context: CallbackContext, query: CallbackQuery, alert: str | None = None) -> None:
    """Answer the tap (an alert with `alert`). One answered before it waited can take no
    other: the alert goes into the chat. A refused answer (too old) is only logged: the
    spinner stops by itself."""
    early = context.bot_data.get(ANSWERED_EARLY, set())
    if query.id in early:
        early.discard(query.id)
        if alert and query.message is not None and query.message.chat.type == ChatType.PRIVATE:
            await reply(context, query.message.chat.id, [BotMessage(alert)])
        return
    try:
        await query.answer(alert, show_alert=bool(alert))
    except TelegramError as error:
        logger.info("could not answer a tap of %s: %s", query.from_user.id, error)


async def _show_choice(query: CallbackQuery, tap: Tap, heading: str) -> None:
    """Edit the message so the choice shows (under `heading`) and its keyboard is gone."""
    edited = with_choice(tap.text_html, tap.title, heading)
    if edited is None:
        await _remove_keyboard(query)
        return
    try:
        await query.edit_message_text(edited, parse_mode=ParseMode.HTML)
    except TelegramError as error:  # too old to edit, deleted, 429 past the retries, timed out
        logger.info("could not show the choice in chat %s: %s", query.message.chat.id, error)


async def _remove_keyboard(query: CallbackQuery) -> None:
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except TelegramError as error:
        logger.info("could not remove a keyboard in chat %s: %s", query.message.chat.id, error)


async def _tell_group_once(context: CallbackContext, chat_id: int, user: User | None) -> None:
    """The notice is claimed in the database first (one worker tells it), and the claim is
    given up when Telegram refuses it, so the group's next message tries again. It is in the
    language of the member who wrote or added the bot."""
    runtime = runtime_of(context)
    svc = runtime.services
    with svc.uow() as uow:
        first = insert_missing(uow.session, TelegramGroupNotice.__table__,
                               [{"chat_id": str(chat_id), "notified_at": svc.now()}],
                               unique=["chat_id"])
        uow.commit()
    if not first:
        return
    try:
        await context.bot.send_message(chat_id, chat_text(
            runtime, GROUP_NOTICE, chat_language(runtime, chat_id, user)))
    except TelegramError as error:
        logger.info("could not tell group %s to use a private chat (%s); trying again on its "
                    "next message", chat_id, error)
        with svc.uow() as uow:
            uow.session.execute(delete(TelegramGroupNotice)
                                .where(TelegramGroupNotice.chat_id == str(chat_id)))
            uow.commit()
