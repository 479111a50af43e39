"""`healthpay`: the command line for members' demo, operators and developers."""

from __future__ import annotations

import argparse
import sys

from bot import demo_commands, nlu_commands


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

    chat = sub.add_parser("chat", help="talk to HealthPay in this terminal")
    chat.set_defaults(handler=_chat)

    args = parser.parse_args(argv)
    return args.handler(args) or 0


def _db_upgrade(_args) -> int:
    from bot.settings import Settings
    from services.persistence.migrate import upgrade

    settings = Settings()
    upgrade(settings.effective_database_url)
    print("Database is up to date.")
    return 0


def _chat(_args) -> int:
    print("The console chat is not available yet: the conversation engine is still being built.",
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
