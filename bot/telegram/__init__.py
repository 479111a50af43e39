"""HealthPay on Telegram, with python-telegram-bot.

    channel = TelegramChannel(runtime, "polling")     # or "webhook"
    app = create_app(runtime, telegram=channel)       # started and stopped with the HTTP app
    ChannelRouter(channel.sender, ...)                # pushed messages go through the same bot

Modules: channel (start, stop, the modes), application (the PTB Application, update order),
handlers (what each update does), turns (a message through the conversation), replies and
formatting (HTML, splitting, inline keyboards), callback_keys (opaque button keys), payments
(Telegram's card form), rate_limits (flood limits, retries), sender (the ChatSender port),
webhook (the FastAPI route), context (what handlers share).
"""
