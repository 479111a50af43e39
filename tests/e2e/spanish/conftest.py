"""A Spanish-speaking member's conversation, the same on both channels, and everything it was
shown kept for the English-leak check (english_leaks.py).

    async def flow(chat):                      # chat: RestConversation or TelegramConversation
        await chat.start()                     # first contact, in Spanish
        await chat.say("quiero pagar")
        await chat.tap('/inform{"payment_plan":"both"')   # a payload's start, or a title's word
        chat.assert_no_english()               # every text and button title shown so far

Buttons are tapped by their payload (or a name both languages share, such as "Visa"), not by
their Spanish title: a flow reaches its goal whatever the wording, and the leak check alone
says whether the wording is Spanish.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.runtime import Runtime
from services.persistence.models import TelegramKeyboard
from services.sessions import current_account_id
from tests.e2e.conftest import DEMO_PASSWORD, RestChat
from tests.e2e.fake_bot_api import buttons_of
from tests.e2e.spanish.english_leaks import assert_no_english
from tests.e2e.telegram.bot_api_rules import shown_text
from tests.e2e.telegram.conftest import (  # noqa: F401 (fixtures for the Telegram flows)
    TelegramBot,
    fake_api,
    telegram,
    telegram_runtime,
)

GREETING = "hola, buenos días, necesito ayuda con mi seguro"


def _matches(button: dict, wanted: str) -> bool:
    return button["payload"].startswith(wanted) or wanted.lower() in button["title"].lower()


class Conversation:
    """What both channels share: starting in Spanish, logging in, the leak check."""

    channel: str
    chat_id: str
    runtime: Runtime

    async def say(self, text: str) -> str: ...

    async def tap(self, wanted: str) -> str: ...

    def shown(self) -> list[str]: ...

    @property
    def services(self):
        return self.runtime.services

    async def log_in(self, username: str, password: str = DEMO_PASSWORD) -> str:
        await self.say("quiero iniciar sesión")
        await self.say(username)
        return await self.say(password)

    def logged_in_account(self) -> int | None:
        return current_account_id(self.services, channel=self.channel, chat_id=self.chat_id)

    def assert_no_english(self) -> None:
        assert_no_english(self.shown())


class RestConversation(Conversation):
    channel = "rest"

    def __init__(self, chat: RestChat, runtime: Runtime):
        self.chat, self.runtime, self.chat_id = chat, runtime, chat.sender
        self._shown: list[str] = []

    async def start(self) -> str:
        """A first message written in Spanish: the language is detected."""
        return await self.say(GREETING)

    async def say(self, text: str) -> str:
        replies = self.chat.say(text)
        for reply in replies:
            self._shown += [reply.get("text") or "",
                            *(button["title"] for button in reply.get("buttons") or ())]
        return self.text

    async def tap(self, wanted: str) -> str:
        for button in self.buttons:
            if _matches(button, wanted):
                return await self.say(button["payload"])
        raise AssertionError(f"no button {wanted!r} in {self.buttons}")

    @property
    def text(self) -> str:
        return self.chat.text

    @property
    def buttons(self) -> list[dict]:
        return self.chat.buttons

    def shown(self) -> list[str]:
        return list(self._shown)


class TelegramConversation(Conversation):
    """The real python-telegram-bot Application against the fake Bot API; a member whose
    Telegram app is set to Spanish."""

    channel = "telegram"

    def __init__(self, bot: TelegramBot, chat_id: int):
        self.bot, self.api, self.runtime = bot, bot.api, bot.runtime
        self.number, self.chat_id = chat_id, str(chat_id)
        self.api.language_codes[chat_id] = "es"
        self._latest: list[dict] = []

    async def start(self) -> str:
        """/start from an app set to Spanish: the language comes from its language_code."""
        return await self.say("/start")

    async def say(self, text: str) -> str:
        self._latest = await self.bot.say(self.number, text)
        return self.text

    async def tap(self, wanted: str) -> str:
        for message in reversed(self.api.bot_messages(self.number)):
            for button in buttons_of(message):
                shown = {"title": button["text"],
                         "payload": self._payload(button["callback_data"])}
                if _matches(shown, wanted):
                    self._latest = await self.bot._turn(
                        self.number, lambda m=message, b=button: self.api.user_taps(
                            self.number, m["message_id"], b["callback_data"]))
                    return self.text
        raise AssertionError(f"no button {wanted!r} in {self.buttons}")

    def _payload(self, callback_data: str) -> str:
        """What a button does: its payload stays on the server (bot/telegram/callback_keys.py)."""
        selector, _, position = callback_data.split(".")
        with self.services.uow() as uow:
            buttons = uow.session.scalar(select(TelegramKeyboard.buttons)
                                         .where(TelegramKeyboard.selector == selector))
        return buttons[int(position)]["payload"] if buttons else ""

    @property
    def text(self) -> str:
        return "\n".join(message.get("text", "") for message in self._latest)

    @property
    def buttons(self) -> list[dict]:
        return [{"title": b["text"], "payload": self._payload(b["callback_data"])}
                for message in self._latest for b in buttons_of(message)]

    def shown(self) -> list[str]:
        """Everything the bot asked Telegram to show in this chat: messages, edits (the choice
        shown under a tapped keyboard), button titles, alerts of a tap, invoices."""
        texts = []
        for call in self.api.calls:
            params = call.params
            if str(params.get("chat_id", self.number)) != self.chat_id:
                continue
            if call.method in ("sendMessage", "editMessageText"):
                texts.append(shown_text(params))
            if call.method == "answerCallbackQuery" and params.get("text"):
                texts.append(params["text"])
            if call.method == "sendInvoice":
                texts += [params["title"], params["description"],
                          *(price["label"] for price in params["prices"])]
            markup = params.get("reply_markup") or {}
            texts += [button["text"] for row in markup.get("inline_keyboard") or ()
                      for button in row]
        return texts
