"""Issue 14 around the flows: how the language is chosen (Telegram's language_code on first
contact, detection, /idioma, "español", the help menu's button), that it is kept across
sessions and used for reminders pushed later, Telegram's command menu in Spanish, and the
engine's and the channel's own texts (fallback, secret warnings, busy, failed turn, unknown
command, a sticker) in Spanish."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from dialogs.engine.turn_queue import TurnQueue
from services.delivery import deliver_due
from services.pacing import DatabasePacer
from services.persistence.models import Notification
from services.reminders import plan_reminders
from tests.e2e.demo_members import demo_member
from tests.e2e.fake_bot_api import buttons_of
from tests.e2e.spanish.conftest import RestConversation, TelegramConversation
from tests.e2e.spanish.english_leaks import assert_no_english
from tests.e2e.telegram.conftest import (
    CHAT,
    OTHER_CHAT,
    PROVIDER_TOKEN,
    configure,
    last_payment_id,
    payments_after,
    running_bot,
)


@pytest.fixture
def rest(rest_chat, app_runtime) -> RestConversation:
    return RestConversation(rest_chat, app_runtime)


@pytest.fixture
def tg(telegram) -> TelegramConversation:
    return TelegramConversation(telegram, CHAT)


def planned_reminders(svc, username: str) -> list[str]:
    account_id = demo_member(svc, username).account_id
    with svc.uow() as uow:
        return list(uow.session.scalars(select(Notification.text).where(
            Notification.account_id == account_id, Notification.kind == "reminder")))


# --- choosing the language --------------------------------------------------------------------


async def test_telegram_in_spanish_is_answered_in_spanish_from_the_first_message(tg):
    await tg.start()

    assert tg.text.startswith("¡Hola! Soy HealthPay.")
    assert "Iniciar sesión" in [b["title"] for b in tg.buttons]
    tg.assert_no_english()


async def test_the_command_menu_is_in_spanish_for_spanish_apps(tg):
    await tg.start()

    menus = {call.get("language_code"): {c["command"]: c["description"]
                                         for c in call["commands"]}
             for call in tg.api.calls_to("setMyCommands")}
    assert set(menus["es"]) == set(menus[None])
    assert_no_english(menus["es"].values())


async def test_an_english_app_switches_with_idioma_and_a_tap(telegram):
    chat = TelegramConversation(telegram, OTHER_CHAT)
    telegram.api.language_codes[OTHER_CHAT] = "en"
    await chat.say("/start")
    assert "HealthPay" in chat.text and "¡Hola!" not in chat.text

    await chat.say("/idioma")
    await chat.tap("Español")

    assert chat.text == "Muy bien, desde ahora le escribo en español."
    await chat.say("/help")
    assert chat.text.startswith("Esto es lo que puedo hacer:")
    assert_no_english([chat.text, *(b["title"] for b in chat.buttons)])


async def test_the_help_menus_language_button_offers_spanish(telegram):
    chat = TelegramConversation(telegram, OTHER_CHAT)
    telegram.api.language_codes[OTHER_CHAT] = "en"
    await chat.say("/start")

    await chat.tap("language")  # the help menu's "Language / Idioma" button
    await chat.tap("Español")

    assert chat.text == "Muy bien, desde ahora le escribo en español."


async def test_typing_espanol_chooses_spanish(rest_chat, app_runtime):
    chat = RestConversation(rest_chat, app_runtime)
    await chat.say("hi")
    assert "HealthPay" in chat.text and "¡Hola!" not in chat.text

    await chat.say("español")
    await chat.say("ayuda")

    assert chat.text.startswith("Esto es lo que puedo hacer:")


async def test_a_message_in_spanish_is_detected_and_answered_in_spanish(rest):
    await rest.start()

    assert rest.text.startswith("¡Hola! Soy HealthPay.")
    rest.assert_no_english()


# --- kept across sessions, and for what is pushed later -------------------------------------


async def test_the_language_survives_logging_out_and_an_expired_session_on_rest(rest, clock):
    await _survives_a_new_session(rest, clock)


async def test_the_language_survives_logging_out_and_an_expired_session_on_telegram(tg, clock):
    await _survives_a_new_session(tg, clock)


async def _survives_a_new_session(chat, clock) -> None:
    await chat.start()
    await chat.log_in("alex")
    await chat.say("cerrar sesión")
    clock.advance(hours=3)  # the session expired too

    after = [await chat.say("hola"), *(b["title"] for b in chat.buttons)]
    after += [await chat.say("quiero iniciar sesión"), *(b["title"] for b in chat.buttons)]

    assert after[0].startswith("¡Hola! Soy HealthPay."), "\"hola\" is too short to detect"
    assert_no_english(after)
    await chat.say("alex")
    assert "contraseña" in chat.text


async def test_a_reminder_pushed_later_is_in_the_language_the_member_logged_in_with(tg):
    await tg.start()
    await tg.log_in("alex")

    await _remind(tg)

    assert_no_english([tg.api.texts(CHAT)[-1]])


async def test_a_reminder_pushed_later_is_in_the_language_the_member_chose(tg):
    await tg.start()
    await tg.log_in("alex")
    await tg.say("español")  # chosen while logged in: kept on the account

    await _remind(tg)

    reminder = tg.api.bot_messages(CHAT)[-1]
    assert reminder["text"].startswith("Su prima")
    assert_no_english([reminder["text"], *(b["text"] for row in
                                            reminder["reply_markup"]["inline_keyboard"]
                                            for b in row)])


async def test_a_planned_reminder_is_in_the_language_chosen_on_rest(rest):
    await rest.start()
    await rest.log_in("alex")
    await rest.say("español")

    assert plan_reminders(rest.services, rest.services.today()) >= 1

    texts = planned_reminders(rest.services, "alex")
    assert texts
    assert_no_english(texts)


async def _remind(chat: TelegramConversation) -> None:
    svc = chat.services
    assert plan_reminders(svc, svc.today()) >= 1
    pacer = DatabasePacer(svc.uow_factory, "telegram-test", 100)
    stats = await asyncio.to_thread(deliver_due, svc, chat.bot.channel.sender, pacer=pacer)
    assert stats.sent >= 1


# --- the engine's and the channel's own texts ---------------------------------------------


async def test_the_engines_own_texts_are_spanish_on_rest(rest):
    await _engine_texts(rest)


async def test_the_engines_own_texts_are_spanish_on_telegram(tg):
    await _engine_texts(tg)


async def _engine_texts(chat) -> None:
    await chat.start()

    await chat.say("xq zzkrt plomf wubba")  # not understood: the fallback
    await chat.say("mi tarjeta es 4242 4242 4242 4242")  # the card number warning
    await chat.say("mi seguro social es 219-09-9999")  # the SSN warning

    assert "4242 4242" not in "\n".join(chat.shown())
    chat.assert_no_english()


async def test_telegrams_own_texts_are_spanish(tg):
    await tg.start()
    await tg.say("/noexiste")
    tg.api.user_sends(CHAT, sticker={"file_id": "s1", "file_unique_id": "u1", "type": "regular",
                                     "width": 512, "height": 512, "is_animated": False,
                                     "is_video": False})
    await tg.bot.until_handled()
    await tg.tap("/check_balance")  # the help menu's, closed by the newer reply: an alert

    assert "/noexiste" in "\n".join(tg.shown())
    assert tg.api.calls_to("answerCallbackQuery")[-1].get("text"), "the stale tap was told"
    tg.assert_no_english()


async def test_the_busy_reply_is_spanish(rest, app_runtime):
    await rest.start()
    app_runtime.engine.turn_queue = TurnQueue(1, max_waiting=0)

    await rest.say("quiero pagar mi prima")

    assert rest.text and "HealthPay" not in rest.text
    rest.assert_no_english()


async def test_the_apology_for_a_failed_turn_is_spanish(rest, app_runtime, monkeypatch):
    await rest.start()

    def broken(*_args, **_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(app_runtime.engine._store, "conversation", broken)
    await rest.say("quiero pagar mi prima")

    assert rest.text
    rest.assert_no_english()


async def test_telegrams_error_handler_apologizes_in_spanish(tg, monkeypatch):
    await tg.start()

    async def broken_turn(*_args, **_kwargs):
        raise RuntimeError("the engine broke")

    monkeypatch.setattr(tg.runtime.engine, "handle_message", broken_turn)
    await tg.say("quiero pagar mi prima")

    assert tg.text.startswith("Lo siento")
    tg.assert_no_english()


@pytest.fixture
async def card_form_bot(telegram_runtime, fake_api):
    configure(telegram_runtime, telegram_payment_provider_token=PROVIDER_TOKEN)
    async with running_bot(telegram_runtime, fake_api) as bot:
        yield bot


async def test_telegrams_card_form_is_offered_and_thanked_for_in_spanish(card_form_bot):
    chat = TelegramConversation(card_form_bot, CHAT)
    seeded = last_payment_id(chat.runtime)
    await chat.start()
    await chat.log_in("alex")
    await chat.say("quiero pagar mi prima")
    await chat.tap('/inform{"payment_plan":"both"')
    await chat.tap('/inform{"payment_amount":44150')
    await chat.tap("Visa")
    [card_form] = [b["title"] for b in chat.buttons if b["payload"].startswith("telegram:")]

    await chat.tap("telegram:card_form:")
    [invoice] = chat.api.calls_to("sendInvoice")
    chat.api.pre_checkout(CHAT, invoice["payload"], 44150)
    await chat.bot.until_handled()
    chat.api.successful_payment(CHAT, invoice["payload"], 44150, charge_id="tg_ch_1",
                                provider_charge_id="ch_provider_1")
    await chat.bot.until_handled()

    [payment] = payments_after(chat.runtime, seeded)
    assert payment.status == "succeeded" and payment.reference in chat.api.texts(CHAT)[-1]
    thanks = chat.api.bot_messages(CHAT)[-1]
    assert_no_english([card_form, invoice["title"], invoice["description"],
                       *(price["label"] for price in invoice["prices"]), thanks["text"],
                       *(b["text"] for b in buttons_of(thanks))])


async def test_reminder_days_typed_in_spanish_are_understood(rest):
    await rest.start()
    await rest.log_in("alex")
    await rest.say("quiero cambiar mis recordatorios")
    await rest.tap("/affirm")

    await rest.say("5 y 2")

    assert "No pude leer" not in rest.text
