"""`healthpay demo seed` and `healthpay demo accounts`."""

from __future__ import annotations


def register(subparsers) -> None:
    demo = subparsers.add_parser("demo", help="demo members to try HealthPay with")
    demo_sub = demo.add_subparsers(dest="demo_command", metavar="ACTION", required=True)
    demo_sub.add_parser("seed", help="create the demo members (safe to run again)"
                        ).set_defaults(handler=_seed)
    demo_sub.add_parser("accounts", help="print the demo logins and what each one shows"
                        ).set_defaults(handler=_accounts)


def _seed(_args) -> int:
    from bot.bootstrap import build_services
    from services import demo_seed

    created = demo_seed.seed(build_services())
    if created:
        print("Demo members created: " + ", ".join(created) + ".")
    else:
        print("Demo members already exist; nothing to do.")
    return 0


def _accounts(_args) -> int:
    from bot.bootstrap import build_services
    from services import demo_seed

    svc = build_services()
    demo = demo_seed.load_demo()
    rows = demo_seed.demo_accounts(svc)
    if not rows:
        print("No demo members yet: run `healthpay demo seed` first.")
        return 1
    print(f"Every demo login uses the password {demo['password']}.\n")
    width = max(len(row.username) for row in rows)
    for row in rows:
        extra = f" ({row.detail})" if row.detail else ""
        print(f"  {row.username:<{width}}  owes {row.balance:>10}  {row.situation}{extra}")
    new = demo["new_member"]
    print(f"\nCreate an account in chat as {new['full_name']}, born "
          f"{new['date_of_birth']:%m/%d/%Y}, SSN {new['ssn']}.")
    return 0
