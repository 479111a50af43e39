"""A notice planned for a member whose account says Spanish reaches Telegram in Spanish, its
buttons titled in Spanish, and a tap on one goes on in the chat."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from services.adapters.stripe_events import MethodSetupFailed
from services.delivery import deliver_due
from services.member_language import save_language
from services.pacing import DatabasePacer
from services.persistence.models import Account
from services.setup_failures import tell_setup_failed
from services.webhook_events import ReceivedEvent
from tests.e2e.fake_bot_api import buttons_of
from tests.e2e.telegram.conftest import CHAT
from tests.spanish_text import assert_spanish


async def test_a_spanish_members_notice_is_delivered_in_spanish(telegram):
    await telegram.log_in(CHAT)
    svc = telegram.runtime.services
    with svc.uow() as uow:
        account_id = uow.session.scalar(select(Account.id).where(Account.username == "alex"))
    save_language(svc, account_id, "es")
    assert tell_setup_failed(svc, MethodSetupFailed("seti_e2e", None, account_id,
                                                    "verification_failed"),
                             event=ReceivedEvent("evt_e2e_setup", "setup_intent.setup_failed"))

    pacer = DatabasePacer(svc.uow_factory, "telegram-test", 100)
    stats = await asyncio.to_thread(deliver_due, svc, telegram.channel.sender, pacer=pacer)

    assert stats.sent == 1
    [notice] = telegram.api.bot_messages(CHAT)[-1:]
    assert notice["text"].startswith("No pudimos verificar la cuenta bancaria que agregó")
    assert_spanish(notice["text"])
    assert [b["text"] for b in buttons_of(notice)] == ["Agregar una tarjeta o cuenta bancaria"]
    assert await telegram.tap(CHAT, "Agregar una tarjeta o cuenta bancaria"), \
        "the tap went into the conversation"
