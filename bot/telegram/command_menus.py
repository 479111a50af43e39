"""The command menu Telegram shows, one per language (setMyCommands with language_code).

The descriptions come from each language folder's language.yml (`commands:`); the default
language's menu is also the one for every language without a menu of its own. A command a
folder does not describe is left out of that language's menu rather than shown in English."""

from __future__ import annotations

from collections.abc import Mapping

from telegram import Bot, BotCommand

from bot.telegram.handlers import COMMANDS
from dialogs.engine.languages import Language


def command_menus(languages: Mapping[str, Language],
                  default: str) -> dict[str | None, list[BotCommand]]:
    """language_code (None: the default menu) -> its commands, in the order of COMMANDS."""
    order = [command.command for command in COMMANDS]
    menus: dict[str | None, list[BotCommand]] = {}
    for code, language in languages.items():
        described = [BotCommand(name, language.commands[name]) for name in order
                     if name in language.commands]
        if described:
            menus[None if code == default else code] = described
    menus.setdefault(None, list(COMMANDS))
    return menus


async def register_command_menus(bot: Bot, languages: Mapping[str, Language],
                                 default: str) -> None:
    for code, commands in command_menus(languages, default).items():
        if code is None:
            await bot.set_my_commands(commands)
        else:
            await bot.set_my_commands(commands, language_code=code)
