"""The command line: `python -m core --help`."""

from __future__ import annotations

import argparse
import json
import sys
import time

from core import accounts, demo
from core.config import load_settings
from core.db import Database, current_revision, open_database
from core.errors import PortalError
from core.i18n import t


def _db(args: argparse.Namespace) -> Database:
    return open_database(args.database_url or load_settings().database_url)


def cmd_seed(args: argparse.Namespace) -> int:
    db = _db(args)
    if demo.is_seeded(db) and not args.force:
        print("The database already holds data; nothing was added (use --force to add more).")
        return 0
    started = time.perf_counter()
    summary = demo.seed(
        db,
        seed=args.seed,
        accounts=args.accounts,
        influencers_per_account=args.influencers_per_account,
    )
    took = time.perf_counter() - started
    for key, value in vars(summary).items():
        print(f"{key:>16}: {value:,}")
    print(f"Seeded in {took:.1f} s.")
    return 0


def cmd_account_show(args: argparse.Namespace) -> int:
    ov = accounts.overview_by_email(_db(args), args.email)
    if args.json:
        print(json.dumps(ov.as_json(), indent=2, ensure_ascii=False))
    else:
        print(f"{ov.company} ({ov.country}) - plan {ov.plan_name}, {ov.status}")
        print(f"billing cycle {ov.period_start} - {ov.period_end}, renews {ov.next_renewal}")
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    db = _db(args)  # opening migrates to the latest revision
    print(f"Schema at revision {current_revision(db)}.")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m core", description="Account portal operations.")
    p.add_argument(
        "--database-url", help="overrides PORTAL_DATABASE_URL (default: data/portal.db, SQLite)"
    )
    sub = p.add_subparsers(dest="command", required=True)

    seed = sub.add_parser("seed", help="fill the database with deterministic demo data")
    seed.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    seed.add_argument("--accounts", type=int, default=300, help="generated accounts (300)")
    seed.add_argument(
        "--influencers-per-account", type=int, default=20, help="average per account (20)"
    )
    seed.add_argument("--force", action="store_true", help="seed even if data is present")
    seed.set_defaults(func=cmd_seed)

    account = sub.add_parser("account", help="look at an account").add_subparsers(
        dest="account_command", required=True
    )
    show = account.add_parser("show", help="an account's plan, status and billing cycle")
    show.add_argument("--email", required=True, help="the email of one of its users")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=cmd_account_show)

    db = sub.add_parser("db", help="the database schema").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("upgrade", help="create or upgrade the schema").set_defaults(func=cmd_db_upgrade)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except PortalError as exc:
        print(f"error: {t(exc.key, 'en', **exc.params)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
