"""`healthpay chat`: the conversation in a terminal, or scripted through a pipe.

On a terminal, buttons are numbered choices (type the number or the text) and a message that
carried a secret is wiped from the screen. Piped, it reads one member message per line, prints
the replies with buttons as `[1] Title` lines, and exits at the end of input:
`printf 'hi\\nhelp\\n' | healthpay chat`.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

CHANNEL = "console"
SENDER = "terminal"
ERASE_PREVIOUS_LINE = "\x1b[1A\x1b[2K"


class ConsoleChat:
    def __init__(self, engine, *, out: TextIO = sys.stdout, interactive: bool = False,
                 sender: str = SENDER):
        self._engine = engine
        self._out = out
        self._interactive = interactive
        self._sender = sender
        self._buttons: list[dict] = []

    async def say(self, text: str) -> None:
        """One member message (or a button number) in; the replies printed."""
        text = self._choice(text.strip())
        result = await self._engine.handle_message(CHANNEL, self._sender, text)
        if result.delete_user_message:
            if self._interactive:
                self._out.write(ERASE_PREVIOUS_LINE)
            self._out.write("(Your message was hidden because it contained private details.)\n")
        self._buttons = []
        for message in result.messages:
            self.show(message.text, message.buttons)

    def show(self, text: str | None, buttons: list[dict] | None = None) -> None:
        """Print a bot message; its buttons become the numbered choices."""
        if text:
            self._out.write(f"HealthPay: {text}\n")
        for button in buttons or []:
            self._buttons.append(button)
            self._out.write(f"  [{len(self._buttons)}] {button['title']}\n")
        self._out.flush()

    def _choice(self, text: str) -> str:
        """A number picks a button; so does a button's title typed out."""
        if text.isdigit() and 1 <= int(text) <= len(self._buttons):
            return self._buttons[int(text) - 1]["payload"]
        for button in self._buttons:
            if text.casefold() == button["title"].casefold():
                return button["payload"]
        return text


async def run_piped(engine, lines: TextIO, out: TextIO = sys.stdout) -> None:
    chat = ConsoleChat(engine, out=out)
    for line in lines:
        if line.strip():
            await chat.say(line.rstrip("\n"))


async def run_interactive(chat: ConsoleChat, intro: str) -> None:
    print(intro)
    await chat.say("/greet")
    loop = asyncio.get_running_loop()
    while True:
        try:
            line = await loop.run_in_executor(None, input, "You: ")
        except EOFError:
            print()
            return
        if line.strip().lower() in {"quit", "exit"}:
            return
        if line.strip():
            await chat.say(line)
