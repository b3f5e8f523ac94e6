"""One measurement, run in its own process by `python -m bench`; prints one line of JSON.

    python -m bench.child export <database url> <core export arguments...>
    python -m bench.child naive <database url> <email> <out>
    python -m bench.child report <database url> <email> <repeats>
    python -m bench.child insights <database url> <repeats>
    python -m bench.child pages <database url> <repeats>
    python -m bench.child answers <database url> <out> [<sql out>]

Peak memory is the process's peak resident set during the measured work (its high-water mark
is reset once the modules are imported) plus the peak of the child it starts (the SQLite reader
of an export): an upper bound of what was in use at once. Every task calls the same functions
as the page and the command line.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import Any


def _status_kb(pid: int | str, field: str) -> int:
    """A VmRSS/VmHWM figure of /proc/<pid>/status, in KB (0 if the process is gone)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _child_pids() -> set[str]:
    pids: set[str] = set()
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/children") as fh:
                pids.update(fh.read().split())
        except OSError:
            pass
    return pids


class Peaks:
    """The peak resident memory of this process from now on (its high-water mark is reset),
    and of each child process it starts meanwhile (sampled every 20 ms: a child's own VmHWM,
    which getrusage cannot give, since a child's rusage keeps the parent's size at fork)."""

    def __init__(self) -> None:
        try:
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")  # reset VmHWM to the current resident size
        except OSError:
            pass
        self.children: dict[str, int] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while not self.stop.wait(0.02):
            for pid in _child_pids():
                self.children[pid] = max(self.children.get(pid, 0), _status_kb(pid, "VmHWM"))

    def result(self) -> dict[str, int]:
        self.stop.set()
        self.thread.join()
        own = _status_kb("self", "VmHWM")
        children = max(self.children.values(), default=0)
        return {"own_kb": own, "children_kb": children, "peak_kb": own + children}


def _timed(fn: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return times, result


def export(url: str, *args: str) -> dict[str, Any]:
    """`python -m core export ...` in this process, timing `write_export` inside it."""
    from core import __main__ as cli
    from core import exports
    from core.exports import services  # its modules imported before the peak is reset

    measured: dict[str, Any] = {}
    write_export = services.write_export

    def timed(*a: Any, **k: Any) -> Any:
        started = time.perf_counter()
        result = write_export(*a, **k)
        measured["export_s"] = time.perf_counter() - started
        measured["rows"] = result.rows
        measured["bytes"] = result.size
        return result

    exports.write_export = services.write_export = timed  # the command line calls either
    peaks = Peaks()
    code = cli.main(["--database-url", url, "export", *args])
    return {"exit": code, **measured, **peaks.result()}


def naive(url: str, email: str, out: str) -> dict[str, Any]:
    """The naive reference: pandas read_sql + to_csv of the same query, no protection."""
    import pandas as pd
    from sqlalchemy import create_engine

    from core.exports import access, services
    from core.exports.request import INFLUENCERS, ExportRequest
    from core.platform.db import open_database

    db = open_database(url)
    actor = access.actor_for_email(db, email)
    sql = services.export_sql(db, actor, ExportRequest(INFLUENCERS, "csv"))
    peaks = Peaks()
    started = time.perf_counter()
    engine = create_engine(db.engine.url)
    with engine.connect() as conn:
        frame = pd.read_sql(sql.replace("%", "%%") if db.dialect != "sqlite" else sql, conn)
    frame.to_csv(out, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return {"export_s": time.perf_counter() - started, "rows": len(frame), **peaks.result()}


def report(url: str, email: str, repeats: str) -> dict[str, Any]:
    """The PDF report, made as the page makes it (export_bytes), `repeats` times."""
    from core.exports import access, services
    from core.exports.request import REPORT, ExportRequest
    from core.platform.db import open_database

    db = open_database(url)
    actor = access.actor_for_email(db, email)
    request = ExportRequest(REPORT, "pdf")
    peaks = Peaks()
    cpu = time.process_time()
    times, (content, result) = _timed(
        lambda: services.export_bytes(db, actor, request, lang="en"), int(repeats)
    )
    cpu_s = (time.process_time() - cpu) / int(repeats)  # CPU time, whatever the machine's load
    return {
        "times": times, "cpu_s": cpu_s, "pages": result.pages, "bytes": len(content),
        **peaks.result(),
    }  # fmt: skip


def insights(url: str, repeats: str) -> dict[str, Any]:
    """Every figure and chart of the insights page, as core.insights.analytics computes them for the
    page with no filter (all answers), against one plain GROUP BY over the answers."""
    from sqlalchemy import text

    from core import demo
    from core.exports import access
    from core.platform.db import open_database

    try:
        from core.insights import analytics
    except ImportError as exc:
        return {"missing": f"core.insights.analytics cannot be imported: {exc}"}
    db = open_database(url)
    admin = access.actor_for_email(db, demo.DEMO_ADMIN_EMAIL)
    calls: dict[str, Callable[[], Any]] = {}
    if hasattr(analytics, "filter_options"):
        calls["filter_options"] = lambda: analytics.filter_options(db, admin)
    if hasattr(analytics, "insights") and hasattr(analytics, "Filters"):
        calls["insights"] = lambda: analytics.insights(db, admin, analytics.Filters())
    if hasattr(analytics, "comments") and hasattr(analytics, "Filters"):
        calls["comments"] = lambda: analytics.comments(db, admin, analytics.Filters(), "", ())
    if not calls:
        return {"missing": "core.insights.analytics has no insights functions to call"}

    def page() -> None:
        for call in calls.values():
            call()

    def group_by() -> Any:
        with db.engine.connect() as conn:
            return conn.execute(
                text("SELECT reason, count(*) FROM survey_answers GROUP BY reason")
            ).all()

    peaks = Peaks()
    page()  # warm the caches of the database, as for the reference below
    group_by()
    ours, ref = [], []
    for _ in range(int(repeats)):
        ours += _timed(page, 1)[0]
        ref += _timed(group_by, 1)[0]
    with db.engine.connect() as conn:
        answers = conn.execute(text("SELECT count(*) FROM survey_answers")).scalar()
    parts = {name: statistics.median(_timed(call, 3)[0]) for name, call in calls.items()}
    result = {"times": ours, "ref_times": ref, "answers": answers, "parts": parts}
    return {
        **result,
        **_retention(db, admin, analytics, int(repeats)),
        **_churn(db, admin, analytics, int(repeats), group_by),
        **peaks.result(),
    }


def _churn(
    db: Any, admin: Any, analytics: Any, repeats: int, group_by: Callable[[], Any]
) -> dict[str, Any]:
    """The churn rates (this period and the one before), the revenue at risk and the insights
    of the period before (the page reads them twice now, for the deltas), over the date range
    the page shows at first, each against the same plain GROUP BY over the answers."""
    from sqlalchemy import text

    if not hasattr(analytics, "churn_rates"):
        return {}
    start, end = analytics.default_range(analytics.filter_options(db, admin).first_day)
    filters = analytics.Filters(start, end)
    previous = filters.previous()
    completed = analytics.Drill(outcomes=("completed",))
    cell = analytics.Drill(reason="too_expensive", plan="growth")
    calls: dict[str, Callable[[], Any]] = {
        "churn_rates": lambda: analytics.churn_rates(db, admin, filters),
        "revenue_at_risk": lambda: analytics.revenue_at_risk(db, admin, filters),
        "crosstabs": lambda: analytics.crosstabs(db, admin, filters),
        "drill_completed": lambda: analytics.flows_behind(db, admin, filters, completed),
        "drill_cell": lambda: analytics.flows_behind(db, admin, filters, cell),
        "comments_completed": lambda: analytics.comments(
            db, admin, filters, outcomes=("completed",)
        ),
    }
    if previous is not None:
        calls["churn_rates_previous"] = lambda: analytics.churn_rates(db, admin, previous)
        calls["insights_previous"] = lambda: analytics.insights(db, admin, previous)
    results = {name: call() for name, call in calls.items()}  # warm the caches
    times: dict[str, list[float]] = {name: [] for name in calls}
    ref: list[float] = []
    for _ in range(repeats):
        for name, call in calls.items():
            times[name] += _timed(call, 1)[0]
        ref += _timed(group_by, 1)[0]
    with db.engine.connect() as conn:
        subscriptions = conn.execute(text("SELECT count(*) FROM subscriptions")).scalar()
    rates, at_risk = results["churn_rates"], results["revenue_at_risk"]
    return {
        "churn": {
            "times": times,
            "ref_times": ref,
            "subscriptions": subscriptions,
            "range": f"{start.isoformat()}..{end.isoformat()}",
            "months": len(rates.trend),
            "base": rates.overall.base,
            "churned": rates.overall.churned,
            "at_risk": at_risk.count,
        }
    }


def _retention(db: Any, admin: Any, analytics: Any, repeats: int) -> dict[str, Any]:
    """The Offers section's figures (verified saves, offers by kind), no filter, against a
    plain count of the saved flows by the same index."""
    from sqlalchemy import text

    if not hasattr(analytics, "verified_saves"):
        return {}
    filters = analytics.Filters()

    def saves() -> Any:
        return analytics.verified_saves(db, admin, filters)

    def kinds() -> Any:
        return analytics.offer_kinds(db, admin, filters)

    def count() -> Any:
        with db.engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT count(*) FROM cancellation_flows "
                    "WHERE outcome IN ('saved_kept', 'saved_offer')"
                )
            ).scalar()

    saved = count()
    rows = saves()  # warm the caches
    kinds()
    ours, ref, offer_times = [], [], []
    for _ in range(repeats):
        ours += _timed(saves, 1)[0]
        ref += _timed(count, 1)[0]
        offer_times += _timed(kinds, 1)[0]
    due = sum(r.due_3 for r in rows)
    share = sum(r.verified_3 for r in rows) / due if due else None
    return {
        "verified": {
            "times": ours,
            "ref_times": ref,
            "saved": saved,
            "groups": len(rows),
            "share_3": share,
            "offer_kinds_times": offer_times,
        }
    }


PAGE_TIMEOUT = 120  # seconds AppTest waits for one run of a page
PAGES = (  # (page file, who is signed in, the insights section shown: None for the first)
    ("sign_in", None, None),
    ("overview", "customer", None),
    ("export", "customer", None),
    ("cancel", "customer", None),
    ("insights", "admin", None),
    *(("insights", "admin", s) for s in ("churn", "at_risk", "crosstabs", "comments")),
    ("support", "admin", None),
)


def pages(url: str, repeats: str) -> dict[str, Any]:
    """The time of one run of each page under AppTest, signed in as the large agency or the
    admin (after a first run that imports and warms up)."""
    import os

    os.environ["PORTAL_DATABASE_URL"] = url
    os.environ["PORTAL_DEMO_MODE"] = "0"
    from streamlit.testing.v1 import AppTest

    from core import demo
    from core.identity import auth
    from core.platform.config import ROOT
    from core.platform.db import open_database
    from tests.support.pages import open_page

    db = open_database(url)
    logins = {
        "customer": (demo.LARGE_CUSTOMER_EMAIL, demo.LARGE_CUSTOMER_PASSWORD),
        "admin": (demo.DEMO_ADMIN_EMAIL, demo.DEMO_ADMIN_PASSWORD),
    }
    out: dict[str, Any] = {}
    for name, who, section in PAGES:
        key = f"{name}:{section}" if section else name
        path = ROOT / "pages" / f"{name}.py"
        if not path.exists():
            out[key] = {"missing": True}
            continue
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=PAGE_TIMEOUT)
        at.session_state["lang"] = "en"
        if section:
            at.session_state["insights_section"] = section
        times: list[float] = []
        try:
            if who:
                signed = auth.sign_in(db, *logins[who])
                at.session_state["session_id"] = signed.user.session_id
            at.run()
            if who:
                open_page(at, name).run()
            for _ in range(int(repeats)):
                started = time.perf_counter()
                at.run()
                times.append(time.perf_counter() - started)
        except RuntimeError as exc:  # AppTest's time-out: say so, measure the other pages
            out[key] = {"times": times, "errors": [f"{exc}"[:200]]}
            continue
        errors = [str(e.value)[:200] for e in at.exception]
        out[key] = {"times": times, "errors": errors, "title": [t.value for t in at.title][:1]}
    return {"pages": out}


def answers(url: str, out: str, sql_out: str = "") -> dict[str, Any]:
    """Every survey answer as CSV, as the insights page's `/download/<token>` link streams it
    (`analytics.stream_answers`, chunks written to `out`), no filter, in English; the SQL whose
    rows the file holds goes to `sql_out`, for `sqlite3 -csv` or `COPY` of the same rows."""
    from core import demo
    from core.exports import access
    from core.exports.sql import _sql_text
    from core.insights import analytics
    from core.insights.answer_files import _answers_statement
    from core.platform.db import connect

    db = connect(url)  # read only: no migration, no sign-in
    admin = access.actor_for_email(db, demo.DEMO_ADMIN_EMAIL)
    if sql_out:
        sql = _sql_text(db.engine, _answers_statement(db.dialect, analytics.Filters(), "en"))
        with open(sql_out, "w", encoding="utf-8") as fh:
            fh.write(sql)
    peaks = Peaks()
    started = time.perf_counter()
    first = None
    size = 0
    with open(out, "wb") as fh:
        for chunk in analytics.stream_answers(db, admin, analytics.Filters(), "en"):
            first = first if first is not None else time.perf_counter() - started
            size += len(chunk)
            fh.write(chunk)
    took = time.perf_counter() - started
    return {"export_s": took, "first_s": first, "bytes": size, **peaks.result()}


TASKS = {
    "export": export,
    "naive": naive,
    "report": report,
    "insights": insights,
    "pages": pages,
    "answers": answers,
}


def main() -> None:
    task, *args = sys.argv[1:]
    result = TASKS[task](*args)
    result["at"] = dt.datetime.now(dt.UTC).isoformat()
    print("BENCH " + json.dumps(result), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
