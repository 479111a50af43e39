"""`healthpay`: the command line for members' demo, operators and developers."""

from __future__ import annotations

import argparse
import asyncio
import sys

from pydantic import ValidationError

from bot import demo_commands, jobs_commands, nlu_commands


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="healthpay",
        description="HealthPay: pay health-insurance premiums by chatting.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_sub.add_parser("upgrade", help="create or migrate the database to the latest schema"
                      ).set_defaults(handler=_db_upgrade)

    demo_commands.register(sub)
    nlu_commands.register(sub)
    jobs_commands.register(sub)

    sub.add_parser("chat", help="talk to HealthPay in this terminal (or pipe messages in)"
                   ).set_defaults(handler=_chat)

    serve = sub.add_parser("serve", help="run the HTTP app: REST channel, webhooks, pages")
    serve.add_argument("--host", help="address to listen on (default HTTP_HOST, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default HTTP_PORT, 8000)")
    serve.add_argument("--telegram", choices=("polling", "webhook"),
                       help="also run the Telegram bot (TELEGRAM_BOT_TOKEN): long polling for "
                            "development, or the webhook at /telegram/webhook")
    serve.add_argument("--replace-webhook", action="store_true",
                       help="with --telegram polling while TELEGRAM_WEBHOOK_URL is set: poll "
                            "anyway, deleting the bot's webhook at Telegram")
    serve.add_argument("--workers", type=int, default=1,
                       help="worker processes sharing the port (default 1); the scheduled "
                            "jobs and Telegram polling run in the first one only")
    serve.set_defaults(handler=_serve)

    actions = sub.add_parser("actions", help="run a rasa-sdk action server for dialogs.actions")
    actions.add_argument("--port", type=int, default=5055)
    actions.set_defaults(handler=_actions)

    args = parser.parse_args(argv)
    try:
        configure_logging_for(args.command)
    except ValidationError as error:
        print(settings_errors(error), file=sys.stderr)
        return 2
    return args.handler(args) or 0


def settings_errors(error: ValidationError) -> str:
    """The settings refused, one a line, without pydantic's wording around them."""
    lines = [f"- {problem['msg'].removeprefix('Value error, ')}" for problem in error.errors()]
    return "\n".join(["HealthPay's settings need fixing (environment or .env):", *lines])


def serve_settings(settings, host: str | None, port: int | None):
    """The settings `serve` runs with: --host and --port win over HTTP_HOST and HTTP_PORT, so
    members' links (PUBLIC_BASE_URL when not set) point where the server really listens."""
    changed = {name: value for name, value in (("http_host", host), ("http_port", port))
               if value}
    return settings.model_copy(update=changed) if changed else settings


LONG_RUNNING = {"serve", "chat", "actions"}


def configure_logging_for(command: str) -> None:
    from bot.logging_setup import configure_logging
    from bot.settings import Settings

    settings = Settings()
    # The console chat keeps the terminal for the conversation: its log goes to a file.
    path = settings.var_dir / "log" / "chat.log" if command == "chat" else None
    # One-shot commands print what they did; their INFO records would only bury it.
    level = settings.log_level if command in LONG_RUNNING else "WARNING"
    configure_logging(level, settings.log_format, path=path)


def _db_upgrade(_args) -> int:
    from bot.settings import Settings
    from services.persistence.migrate import upgrade

    upgrade(Settings().effective_database_url)
    print("Database is up to date.")
    return 0


def _chat(_args) -> int:
    from bot.chat_senders import ConsoleSender
    from bot.console_chat import ConsoleChat, run_interactive, run_piped
    from bot.http.app import create_app
    from bot.http.background_server import BackgroundServer
    from bot.runtime import build_runtime
    from bot.scheduler import start_scheduler

    runtime = build_runtime()
    settings = runtime.settings
    if runtime.services.gateway.name == "sandbox":
        # Links to the hosted "add a card or bank account" page must open on this machine.
        try:
            server = BackgroundServer(settings.http_host, settings.http_port)
        except OSError:
            print(f"Port {settings.http_port} is busy: the page for adding a card or bank "
                  "account is not served (set HTTP_PORT to another port).", file=sys.stderr)
        else:
            server.start(create_app(runtime))
    if not sys.stdin.isatty():
        # Scripted: replies only, in order; no pushed messages in between.
        asyncio.run(run_piped(runtime.engine, sys.stdin))
        return 0
    chat = ConsoleChat(runtime.engine, interactive=True)
    # Reminders and payment results pushed by the scheduler appear in the conversation.
    scheduler = (start_scheduler(runtime, ConsoleSender(show=chat.show))
                 if settings.scheduler_enabled else None)
    try:
        asyncio.run(run_interactive(chat, _chat_intro()))
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
    return 0


def _chat_intro() -> str:
    from services.demo_seed import load_demo

    demo = load_demo()
    names = ", ".join(member["username"] for member in demo["members"])
    return (
        "HealthPay console chat. Type a message, or a number to pick a button; 'quit' ends.\n"
        f"Demo logins: {names} — password {demo['password']} "
        "(`healthpay demo accounts` says what each one shows).\n"
    )


def _serve(args) -> int:
    from bot.http_server import serve
    from bot.settings import Settings

    settings = serve_settings(Settings(), args.host, args.port)
    serve(settings.http_host, settings.http_port, workers=args.workers, telegram=args.telegram,
          replace_webhook=args.replace_webhook)
    return 0


def _actions(args) -> int:
    from bot.bootstrap import build_services
    from dialogs.engine.action_server import run_action_server

    run_action_server(args.port, host="127.0.0.1", services=build_services())
    return 0


if __name__ == "__main__":
    sys.exit(main())
