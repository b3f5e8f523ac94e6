"""running totals of the churn insights (insight_totals), kept by triggers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 13:00:00.000000

After 0003 the insights page was one pass over the flows (0.5 s on a million). This revision
adds `insight_totals`: per UTC day, Monday-based week and calendar month ("grain" d, w, m) and
per plan, country and tenure band, how many flows started and what they came to (outcomes,
revenue, survey, reasons, satisfaction, funnel stages, offers), plus how many survey answers
have free text. Each period and plan and band also has a row for all countries (country "*"),
which the page reads when no country is chosen. `insight_prices` does the same for the
monthly prices of the custom plans requested, in the page's $25 buckets, per survey reason. The page adds up a few dozen rows per period
instead of reading a million flows: whole months from the m rows, the rest of a partial month
from w and d rows.

The database keeps the totals itself: row triggers on `cancellation_flows` and
`survey_answers` take the old row's counts out and put the new row's in (an UPSERT per grain),
in the same transaction as the write, whichever code writes (the cancellation flow, support,
the lifecycle job's bulk UPDATE, the seed's bulk INSERT, a hand-made fix in psql). The same
counts are spelled out here once for SQLite and PostgreSQL (`TALLIES`); `tests/core/insights/test_insight_facts.py`
works the totals out again from the flows after every writer and compares.

Existing rows are added up by one INSERT ... SELECT per grain and country level. The covering
indexes that 0003 made for the insights go: nothing reads them any more.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "insight_totals"
# The primary key, in the order the page reads it: one grain, all countries (or a few), a run
# of periods. On SQLite the table is WITHOUT ROWID, so rows are stored in this order.
KEYS = ("grain", "country", "period", "plan_code", "tenure_band")
ALL_COUNTRIES = "*"  # the country of the rows that add up every country
PRICES = "insight_prices"  # the same, for the requested prices, per survey reason
TOTALS_LOCK = 7302  # PostgreSQL advisory lock of the writers of the totals (7301: migrations)
# as of this revision (spelled out so the migration keeps meaning what it meant)
REASONS = (
    "too_expensive", "missing_features", "not_using", "switching_tool", "one_campaign",
    "technical_issues", "other",
)  # fmt: skip
FUNNEL_STAGES = 5  # bits of cancellation_flows.stages

# What one flow adds to its rows: (column, SQL expression over the flow, {r} its alias).
FLOW_COUNTS: tuple[tuple[str, str], ...] = (
    ("flows", "1"),
    *(
        (outcome, f"CASE WHEN {{r}}.outcome = '{outcome}' THEN 1 ELSE 0 END")
        for outcome in ("completed", "saved_kept", "saved_offer", "undone", "abandoned")
    ),
    (
        "revenue_lost_cents",
        "CASE WHEN {r}.outcome = 'completed' THEN COALESCE({r}.monthly_revenue_cents, 0) "
        "ELSE 0 END",
    ),
    (
        "revenue_saved_cents",
        "CASE WHEN {r}.outcome IN ('saved_kept', 'saved_offer') "
        "THEN COALESCE({r}.monthly_revenue_cents, 0) ELSE 0 END",
    ),
    (
        "revenue_undone_cents",
        "CASE WHEN {r}.outcome = 'undone' THEN COALESCE({r}.monthly_revenue_cents, 0) ELSE 0 END",
    ),
    ("answered", "CASE WHEN {r}.survey = 'answered' THEN 1 ELSE 0 END"),
    ("skipped", "CASE WHEN {r}.survey = 'skipped' THEN 1 ELSE 0 END"),
    *(
        (
            f"reason_{reason}",
            f"CASE WHEN {{r}}.survey = 'answered' AND {{r}}.reason = '{reason}' THEN 1 ELSE 0 END",
        )
        for reason in REASONS
    ),
    *(
        (f"satisfaction_{n}", f"CASE WHEN {{r}}.satisfaction = {n} THEN 1 ELSE 0 END")
        for n in range(1, 6)
    ),
    *(
        (f"stage_{i}", f"CASE WHEN ({{r}}.stages & {1 << i}) <> 0 THEN 1 ELSE 0 END")
        for i in range(FUNNEL_STAGES)
    ),
    ("offer_shown", "CASE WHEN {r}.offer <> 'none' THEN 1 ELSE 0 END"),
    ("offer_opened", "CASE WHEN {r}.offer IN ('opened', 'requested') THEN 1 ELSE 0 END"),
    ("offer_requested", "CASE WHEN {r}.offer = 'requested' THEN 1 ELSE 0 END"),
)
# What one survey answer adds (to the rows of its flow's start, plan, country and band).
ANSWER_COUNTS: tuple[tuple[str, str], ...] = (
    ("commented", "CASE WHEN {r}.comment <> '' OR {r}.follow_up <> '' THEN 1 ELSE 0 END"),
)
# The requested monthly prices of custom plans, in the page's buckets: from $98 (anything
# below $125), then $25 steps, then $500 and more; one column per bucket, a row per reason.
PRICE_LOWS = (9800, *range(12500, 50000, 2500), 50000)
PRICE_COUNTS: tuple[tuple[str, str], ...] = tuple(
    (
        f"price_from_{low}",
        "CASE WHEN "
        + (
            "{r}.offer_price_cents < 12500"
            if low == 9800
            else "{r}.offer_price_cents >= 50000"
            if low == 50000
            else f"{{r}}.offer_price_cents >= {low} AND {{r}}.offer_price_cents < {low + 2500}"
        )
        + " THEN 1 ELSE 0 END",
    )
    for low in PRICE_LOWS
)
# What the triggers fire on: any other change leaves the totals as they are.
TRIGGER_COLUMNS = {
    "cancellation_flows": (
        "started_at", "plan_code", "country", "tenure_band", "monthly_revenue_cents", "outcome",
        "survey", "reason", "satisfaction", "stages", "offer", "offer_price_cents",
    ),
    "survey_answers": (
        "flow_started_at", "plan_code", "country", "tenure_band", "comment", "follow_up",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Tally:
    """Rows of `source` added up into `target`: per grain, period, plan, band and country
    (and all countries), plus `keys` (column, SQL over the row), by the date column `date`;
    only rows for which `counted` holds ({r}: the row's alias)."""

    target: str
    source: str
    date: str
    counts: tuple[tuple[str, str], ...]
    counted: str = "TRUE"
    keys: tuple[tuple[str, str], ...] = ()


TALLIES = (
    Tally(TABLE, "cancellation_flows", "started_at", FLOW_COUNTS),
    Tally(
        TABLE,
        "survey_answers",
        "flow_started_at",
        ANSWER_COUNTS,
        "({r}.comment <> '' OR {r}.follow_up <> '')",  # an answer without free text adds nothing
    ),
    Tally(
        PRICES,
        "cancellation_flows",
        "started_at",
        PRICE_COUNTS,
        "{r}.offer = 'requested' AND {r}.offer_price_cents IS NOT NULL",
        (("reason", "COALESCE({r}.reason, '')"),),  # '': skipped, or no reason named
    ),
)


def _period(dialect: str, grain: str, column: str) -> str:
    """The UTC day, week (its Monday) or month (its first day) of a timestamp column."""
    if dialect == "postgresql":
        utc = f"({column} AT TIME ZONE 'UTC')"
        return {
            "d": f"CAST({utc} AS DATE)",
            "w": f"CAST(date_trunc('week', {utc}) AS DATE)",
            "m": f"CAST(date_trunc('month', {utc}) AS DATE)",
        }[grain]
    # SQLite keeps UTC timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff' text
    return {
        "d": f"date({column})",
        "w": f"date({column}, '-6 days', 'weekday 1')",
        "m": f"date({column}, 'start of month')",
    }[grain]


def _keys(tally: Tally, row: str, grain: str, country: str, dialect: str) -> dict[str, str]:
    keys = {
        "grain": f"'{grain}'",
        "country": country,
        "period": _period(dialect, grain, f"{row}.{tally.date}"),
        "plan_code": f"{row}.plan_code",
        "tenure_band": f"{row}.tenure_band",
    }
    keys.update((name, expr.format(r=row)) for name, expr in tally.keys)
    return keys


def _upsert(dialect: str, tally: Tally, row: str, sign: str) -> str:
    """One UPSERT adding (sign '') or taking away (sign '-') the counts of `row` (NEW or OLD in
    a trigger) to its six rows: per grain, its own country's and all countries'. One statement,
    not six: each statement of a trigger is compiled into every statement that fires it. A row
    whose date is NULL, or that does not count, changes nothing."""
    names = [name for name, _ in tally.counts]
    values = [f"{sign}({expr.format(r=row)})" for _, expr in tally.counts]
    updates = ", ".join(f"{n} = {tally.target}.{n} + excluded.{n}" for n in names)
    period = " ".join(
        f"WHEN '{grain}' THEN {_period(dialect, grain, f'{row}.{tally.date}')}"
        for grain in ("d", "w", "m")
    )
    keys = {
        "grain": "g.grain",
        "country": f"CASE WHEN k.own = 1 THEN {row}.country ELSE '{ALL_COUNTRIES}' END",
        "period": f"CASE g.grain {period} END",
        "plan_code": f"{row}.plan_code",
        "tenure_band": f"{row}.tenure_band",
    }
    keys.update((name, expr.format(r=row)) for name, expr in tally.keys)
    return (
        f"INSERT INTO {tally.target} ({', '.join(keys)}, {', '.join(names)}) "
        f"SELECT {', '.join([*keys.values(), *values])} "
        "FROM (SELECT 'd' AS grain UNION ALL SELECT 'w' UNION ALL SELECT 'm') AS g "
        "CROSS JOIN (SELECT 1 AS own UNION ALL SELECT 0) AS k "
        f"WHERE {row}.{tally.date} IS NOT NULL AND {tally.counted.format(r=row)} "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates};"
    )


def _triggers(
    dialect: str, groups: Sequence[tuple[str, str, Sequence[str], Sequence[Tally]]] = ()
) -> list[str]:
    """The triggers that keep the totals: one per (name, table, the columns it fires on, the
    tallies it keeps); by default this revision's, one per table of TRIGGER_COLUMNS (migration
    0007 passes its own)."""
    groups = groups or [
        (f"{table}_insight_totals", table, columns, [t for t in TALLIES if t.source == table])
        for table, columns in TRIGGER_COLUMNS.items()
    ]
    ddl = []
    for name, table, columns, tallies in groups:
        take_old = "\n".join(_upsert(dialect, tally, "OLD", "-") for tally in tallies)
        add_new = "\n".join(_upsert(dialect, tally, "NEW", "") for tally in tallies)
        if dialect == "postgresql":
            # Each tally only for the rows it counts (PL/pgSQL skips the rest), after taking
            # the totals' lock: a transaction that writes flows or answers holds it until it
            # ends, so two of them never update the shared rows (all countries, a month) in
            # opposite orders and deadlock, whatever else they write (a sweep of many flows, a
            # flow abandoned and another started). SQLite has one writer at a time anyway.
            def only(row: str, sign: str) -> str:
                return "\n".join(
                    f"IF {row}.{tally.date} IS NOT NULL AND {tally.counted.format(r=row)} THEN\n"
                    f"{_upsert(dialect, tally, row, sign)}\nEND IF;"
                    for tally in tallies
                )

            ddl.append(
                f"""
                CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_advisory_xact_lock({TOTALS_LOCK});
                    IF TG_OP IN ('UPDATE', 'DELETE') THEN
                        {only("OLD", "-")}
                    END IF;
                    IF TG_OP IN ('INSERT', 'UPDATE') THEN
                        {only("NEW", "")}
                    END IF;
                    RETURN NULL;
                END $$
                """
            )
            ddl.append(
                f"CREATE TRIGGER {name} AFTER INSERT OR DELETE OR UPDATE OF {', '.join(columns)} "
                f"ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
            continue
        # SQLite: one trigger per event
        for suffix, event, body in (
            ("insert", "INSERT", add_new),
            ("update", f"UPDATE OF {', '.join(columns)}", take_old + "\n" + add_new),
            ("delete", "DELETE", take_old),
        ):
            ddl.append(
                f"CREATE TRIGGER {name}_{suffix} AFTER {event} ON {table} FOR EACH ROW "
                f"BEGIN {body} END"
            )
    return ddl


def _fill(dialect: str, tallies: Sequence[Tally] = TALLIES) -> list[str]:
    """Add up the rows already there: per tally, grain and country level, one statement."""
    out = []
    for tally in tallies:
        names = [name for name, _ in tally.counts]
        sums = [f"SUM({expr.format(r='x')})" for _, expr in tally.counts]
        updates = ", ".join(f"{n} = {tally.target}.{n} + excluded.{n}" for n in names)
        for grain in ("d", "w", "m"):
            for country in ("x.country", f"'{ALL_COUNTRIES}'"):
                keys = _keys(tally, "x", grain, country, dialect)
                groups = [expr for name, expr in keys.items() if name not in ("grain", "country")]
                if country == "x.country":
                    groups.append(country)
                out.append(
                    f"INSERT INTO {tally.target} ({', '.join(keys)}, {', '.join(names)}) "
                    f"SELECT {', '.join(keys.values())}, {', '.join(sums)} "
                    f"FROM {tally.source} AS x "
                    f"WHERE x.{tally.date} IS NOT NULL AND {tally.counted.format(r='x')} "
                    f"GROUP BY {', '.join(groups)} "
                    f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
                )
    return out


def _key_columns() -> list[sa.Column]:
    return [
        sa.Column("grain", sa.String(length=1), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("plan_code", sa.String(length=40), nullable=False),
        sa.Column("tenure_band", sa.String(length=10), nullable=False),
    ]


def _count_columns(counts: Sequence[tuple[str, str]]) -> list[sa.Column]:
    return [
        sa.Column(name, sa.BigInteger(), server_default="0", nullable=False) for name, _ in counts
    ]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        TABLE,
        *_key_columns(),
        *_count_columns(FLOW_COUNTS + ANSWER_COUNTS),
        sa.PrimaryKeyConstraint(*KEYS, name="pk_insight_totals"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        PRICES,
        *_key_columns(),
        sa.Column("reason", sa.String(length=30), nullable=False),
        *_count_columns(PRICE_COUNTS),
        sa.PrimaryKeyConstraint(*KEYS, "reason", name="pk_insight_prices"),
        sqlite_with_rowid=False,
    )
    for statement in _fill(dialect):
        op.execute(statement)
    for statement in _triggers(dialect):
        op.execute(statement)
    # The insights read the totals now: the covering indexes of 0003 go.
    for name in (
        "ix_cancellation_flows_insights",
        "ix_cancellation_flows_trend",
        "ix_cancellation_flows_prices",
    ):
        op.drop_index(name, table_name="cancellation_flows")
    op.execute(f"ANALYZE {TABLE}")
    op.execute(f"ANALYZE {PRICES}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_index(
        "ix_cancellation_flows_insights",
        "cancellation_flows",
        ["plan_code", "tenure_band", "reason", "outcome", "survey", "satisfaction", "stages",
         "offer", "monthly_revenue_cents", "country", "started_at"],
    )  # fmt: skip
    op.create_index(
        "ix_cancellation_flows_trend",
        "cancellation_flows",
        ["survey", "reason", "started_at", "plan_code", "country", "tenure_band"],
    )
    op.create_index(
        "ix_cancellation_flows_prices",
        "cancellation_flows",
        ["offer", "offer_price_cents", "reason", "started_at", "plan_code", "country",
         "tenure_band"],
    )  # fmt: skip
    for table in TRIGGER_COLUMNS:
        name = f"{table}_insight_totals"
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            for suffix in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {name}_{suffix}")
    op.drop_table(PRICES)
    op.drop_table(TABLE)
