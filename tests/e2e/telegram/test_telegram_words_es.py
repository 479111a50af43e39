"""Spanish words through the Telegram channel (issue 14): a member whose Telegram is in Spanish
types reminder days and quiet hours in words, and leaves a form with a Spanish escape word.
The checks read what was kept, not the replies' wording."""

from __future__ import annotations

from sqlalchemy import select

from services.persistence.models import Account
from tests.e2e.telegram.conftest import CHAT


def _reminders(telegram) -> tuple[list[int], int, int]:
    with telegram.runtime.services.uow() as uow:
        account = uow.session.scalar(select(Account).where(Account.username == "alex"))
        return account.reminder_offsets, account.quiet_hours_start, account.quiet_hours_end


async def _log_in_in_spanish(telegram) -> None:
    telegram.api.language_codes[CHAT] = "es"
    await telegram.say(CHAT, "/start")
    await telegram.say(CHAT, "quiero iniciar sesión")
    await telegram.say(CHAT, "alex")
    await telegram.say(CHAT, "Premium-Demo-2026")


async def test_reminder_days_and_quiet_hours_in_spanish_words(telegram):
    await _log_in_in_spanish(telegram)
    await telegram.say(CHAT, "quiero recordatorios")
    await telegram.say(CHAT, "sí")

    await telegram.say(CHAT, "tres días antes y el mismo día")
    await telegram.say(CHAT, "de las 11 de la noche a las 6 de la mañana")

    assert _reminders(telegram) == ([3, 0], 23, 6)


async def test_olvidalo_leaves_the_reminder_form(telegram):
    await _log_in_in_spanish(telegram)
    await telegram.say(CHAT, "quiero recordatorios")
    await telegram.say(CHAT, "sí")

    await telegram.say(CHAT, "olvídalo")
    await telegram.say(CHAT, "5 y 2")

    assert _reminders(telegram) == ([7, 3, 1, 0], 21, 8)
