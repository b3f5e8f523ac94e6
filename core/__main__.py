"""The command line: `python -m core --help`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from typing import TYPE_CHECKING

from core.platform.errors import PortalError

if TYPE_CHECKING:
    from core.platform.db import Database

# Each command imports what it needs when it runs: `python -m core export` of a CSV file never
# loads the demo data's builder, Alembic, the PDF library or XlsxWriter (tests/core/exports/
# test_command_line_imports.py), so a small export takes a fraction of a second.

EMPTY_DATABASE = (
    "The database has no accounts yet: run `python -m core demo seed` "
    "(or start the app in demo mode) to fill it with demo data."
)


def _db(args: argparse.Namespace) -> Database:
    from core.platform.config import load_settings
    from core.platform.db import open_database

    return open_database(args.database_url or load_settings().database_url)


def _is_empty(args: argparse.Namespace) -> bool:
    """True when the database holds no account (False if it cannot even be opened)."""
    from core import demo

    try:
        return not demo.is_seeded(_db(args))
    except PortalError:
        return False


def _seed_defaults(args: argparse.Namespace) -> None:
    """The options left out take the demo data's defaults (read here, not when parsing, so
    that other commands never import the demo data's builder)."""
    from core import demo

    defaults = {
        "seed": demo.DEFAULT_SEED,
        "accounts": demo.DEFAULT_ACCOUNTS,
        "influencers_per_account": demo.DEFAULT_INFLUENCERS_PER_ACCOUNT,
        "influencers": demo.LARGE_INFLUENCERS,
        "answers": demo.LARGE_ANSWERS,
        "email": demo.LARGE_CUSTOMER_EMAIL,
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)


def cmd_seed(args: argparse.Namespace) -> int:
    from core import demo

    _seed_defaults(args)
    db = _db(args)
    if args.scale == "large":
        return _seed_large(db, args)
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


def _seed_large(db: Database, args: argparse.Namespace) -> int:
    """The demo data (if the database is empty), then the large agency for the benchmarks."""
    from core import demo

    started = time.perf_counter()
    if not demo.is_seeded(db):
        demo.seed(db, seed=args.seed)
    try:
        summary = demo.seed_large(
            db,
            influencers=args.influencers,
            answers=args.answers,
            seed=args.seed,
            email=args.email,
        )
    except ValueError as exc:
        print(f"Nothing was added: {exc}.")
        return 0
    for key, value in vars(summary).items():
        print(f"{key:>16}: {value:,}" if isinstance(value, int) else f"{key:>16}: {value}")
    print(f"Seeded in {time.perf_counter() - started:.1f} s.")
    return 0


def cmd_account_show(args: argparse.Namespace) -> int:
    from core.customers import accounts

    ov = accounts.overview_by_email(_db(args), args.email)
    if args.json:
        print(json.dumps(ov.as_json(), indent=2, ensure_ascii=False))
    else:
        print(f"{ov.company} ({ov.country}) - plan {ov.plan_name}, {ov.status}")
        print(f"billing cycle {ov.period_start} - {ov.period_end}, renews {ov.next_renewal}")
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from core.platform.db import current_revision

    db = _db(args)  # opening migrates to the latest revision
    print(f"Schema at revision {current_revision(db)}.")
    return 0


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date: use YYYY-MM-DD, e.g. 2026-12-31"
        ) from None


def cmd_lifecycle_run(args: argparse.Namespace) -> int:
    from core.jobs import lifecycle

    report = lifecycle.run(_db(args), args.as_of)
    print("\n".join(report.lines()))
    return 0


def _start_sqlite_reader(args: argparse.Namespace) -> None:
    """A data file of a SQLite database is read by a child process: start it first, so that
    its start overlaps with this one's imports and checks (`core.exports.sqlite_process`)."""
    if args.what not in ("search-results", "influencers", "archive"):
        return
    from core.platform.config import load_settings

    url = args.database_url or load_settings().database_url
    if url.startswith("sqlite:///"):
        from core.exports import sqlite_process

        sqlite_process.start_early(url.split("///", 1)[1].split("?", 1)[0])


def cmd_export(args: argparse.Namespace) -> int:
    """The same export the page makes, as the customer with this email (same checks)."""
    import os
    from pathlib import Path

    _start_sqlite_reader(args)

    from core import exports
    from core.platform.i18n import normalise_language

    db = _db(args)
    actor = exports.actor_for_email(db, args.email)
    request = exports.ExportRequest(
        args.what,
        args.format or exports.FORMATS.get(args.what, ("",))[0],
        search_ids=tuple(args.search_id) if args.search_id else None,
        columns=tuple(c.strip() for c in args.columns.split(",")) if args.columns else None,
        scope=args.scope,
    )
    lang = normalise_language(args.lang or actor.language)
    started = time.perf_counter()
    if args.out == "-":
        try:
            result = exports.write_export(db, actor, request, sys.stdout.buffer, lang=lang)
            sys.stdout.buffer.flush()
        except BrokenPipeError:  # the reader stopped early (`... --out - | head`)
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
    else:
        path = Path(args.out or exports.plan_export(db, actor, request).file_name)
        part = path.with_name(path.name + ".part")  # a failed export leaves no half file
        try:
            with part.open("wb") as fh:
                result = exports.write_export(db, actor, request, fh, lang=lang)
            part.replace(path)
        finally:
            part.unlink(missing_ok=True)
    took = time.perf_counter() - started
    where = "standard output" if args.out == "-" else str(path)
    print(
        f"{result.rows:,} rows, {result.size:,} bytes written to {where} in {took:.1f} s.",
        file=sys.stderr,
    )
    return 0


def cmd_outbox_run(args: argparse.Namespace) -> int:
    """Send what is due once (for cron), or keep sending until stopped (--loop)."""
    import signal
    import threading

    from core.outbox import worker
    from core.platform.config import load_settings

    db = _db(args)
    settings = load_settings()
    if not args.loop:
        print(f"Outbox: {worker.run_once(db, settings=settings).line()}.")
        return 0
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):  # systemd stops it with SIGTERM
        signal.signal(signum, lambda *_: stop.set())
    where = "kept, not sent (no PORTAL_SMTP_URL)" if not settings.smtp_url else "sent over SMTP"
    print(f"Outbox worker started: a run every {args.poll:g} s; e-mails are {where}.", flush=True)

    def report(result: worker.RunResult) -> None:
        if result.total:
            at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
            print(f"{at} UTC: {result.line()}.", flush=True)

    worker.run_loop(db, settings=settings, poll_seconds=args.poll, stop=stop, on_result=report)
    print("Outbox worker stopped.")
    return 0


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1
    if not 0.1 <= seconds <= 3600:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds from 0.1 to 3600")
    return seconds


def _seed_arguments(seed: argparse.ArgumentParser) -> None:
    """`demo seed` (and its older name `seed`): the demo data, or the benchmarks' agency."""
    # the defaults of the options below are the demo data's, filled in by `_seed_defaults`
    seed.add_argument("--seed", type=int, help="random seed (42)")
    seed.add_argument("--accounts", type=int, help="generated accounts (300)")
    seed.add_argument("--influencers-per-account", type=int, help="average per account (20)")
    seed.add_argument("--force", action="store_true", help="seed even if data is present")
    seed.add_argument(
        "--scale",
        choices=("demo", "large"),
        default="demo",
        help="large: add an agency with a million influencers and a million survey answers "
        "(agency@demo.test / demo-agency), for bench/",
    )
    seed.add_argument("--influencers", type=int, help="--scale large: (1M)")
    seed.add_argument("--answers", type=int, help="--scale large: (1M)")
    seed.add_argument(
        "--email",
        help="--scale large: the agency's sign-in (agency@demo.test; another address adds "
        "another agency)",
    )
    seed.set_defaults(func=cmd_seed)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m core", description="Account portal operations.")
    p.add_argument(
        "--database-url", help="overrides PORTAL_DATABASE_URL (default: data/portal.db, SQLite)"
    )
    sub = p.add_subparsers(dest="command", required=True)

    _seed_arguments(sub.add_parser("seed", help="the same as `demo seed`"))
    demo_commands = sub.add_parser("demo", help="the demo data").add_subparsers(
        dest="demo_command", required=True
    )
    _seed_arguments(
        demo_commands.add_parser("seed", help="fill the database with deterministic demo data")
    )

    account = sub.add_parser("account", help="look at an account").add_subparsers(
        dest="account_command", required=True
    )
    show = account.add_parser("show", help="an account's plan, status and billing cycle")
    show.add_argument("--email", required=True, help="the email of one of its users")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=cmd_account_show)

    life = sub.add_parser("lifecycle", help="end, renew and purge subscriptions").add_subparsers(
        dest="lifecycle_command", required=True
    )
    run = life.add_parser("run", help="apply what is due (idempotent; safe on several machines)")
    run.add_argument("--as-of", type=_date, help="the day to apply, YYYY-MM-DD (default today)")
    run.set_defaults(func=cmd_lifecycle_run)

    export = sub.add_parser(
        "export", help="export a customer's data, exactly as the Export data page does"
    )
    export.add_argument("--email", required=True, help="the email of one of the account's users")
    export.add_argument(
        "--what", required=True, choices=("search-results", "influencers", "report", "archive")
    )
    export.add_argument(
        "--format",
        choices=("csv", "xlsx", "json", "pdf", "zip"),
        help="csv, xlsx or json for data; pdf for the report; zip for the archive",
    )
    export.add_argument(
        "--out", help="the file to write, '-' for standard output (default: the page's file name)"
    )
    export.add_argument("--lang", help="en or it (default: the user's language)")
    export.add_argument(
        "--search-id", type=int, action="append", help="search results: only this search (repeat)"
    )
    export.add_argument("--columns", help="influencers: comma-separated columns (default: all)")
    export.add_argument(
        "--scope",
        default="all",
        choices=("all", "lists-campaigns"),
        help="influencers: all, or only those in lists or campaigns",
    )
    export.set_defaults(func=cmd_export)

    outbox = sub.add_parser("outbox", help="e-mails and webhooks out").add_subparsers(
        dest="outbox_command", required=True
    )
    send = outbox.add_parser(
        "run", help="send the e-mails and webhook calls that are due (safe on several machines)"
    )
    send.add_argument("--loop", action="store_true", help="keep running until stopped")
    send.add_argument(
        "--poll", type=_seconds, default=5.0, help="--loop: seconds between two runs (5)"
    )
    send.set_defaults(func=cmd_outbox_run)

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
        from core.platform.i18n import t

        print(f"error: {t(exc.key, 'en', **exc.params)}", file=sys.stderr)
        if args.func is not cmd_db_upgrade and _is_empty(args):
            print(EMPTY_DATABASE, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
