"""Languages on Telegram: the app's language_code on first contact, /idioma, and a command menu
per language folder (setMyCommands with language_code)."""

from __future__ import annotations

from tests.e2e.telegram.conftest import CHAT, OTHER_CHAT


def texts(messages: list[dict]) -> list[str]:
    return [message["text"] for message in messages]


async def test_a_member_whose_telegram_is_in_spanish_is_greeted_in_spanish(telegram):
    telegram.api.language_codes[CHAT] = "es"
    sent = await telegram.say(CHAT, "/start")
    assert texts(sent)[0].startswith("¡Hola! Soy HealthPay.")
    assert "Esto es lo que puedo hacer:" in "\n".join(texts(sent))


async def test_idioma_offers_the_languages_and_a_tap_chooses_one(telegram):
    await telegram.say(OTHER_CHAT, "/start")
    menu = await telegram.say(OTHER_CHAT, "/idioma")
    assert texts(menu) == ["Which language would you like me to use?"]
    assert texts(await telegram.tap(OTHER_CHAT, "Español")) \
        == ["Muy bien, desde ahora le escribo en español."]
    assert "Esto es lo que puedo hacer:" in "\n".join(texts(await telegram.say(OTHER_CHAT,
                                                                             "/help")))


async def test_the_command_menu_is_registered_in_every_language(telegram):
    await telegram.say(CHAT, "/start")
    menus = {call.get("language_code"): {c["command"]: c["description"]
                                         for c in call["commands"]}
             for call in telegram.api.calls_to("setMyCommands")}
    assert set(menus) == {None, "es"}
    assert menus["es"]["pay"] == "Pagar una prima"
    assert set(menus["es"]) == set(menus[None])
