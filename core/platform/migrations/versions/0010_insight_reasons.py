"""running totals of the revenue lost by survey reason (insight_reasons), kept by triggers

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 12:00:00.000000

Churn insights shows the revenue lost by survey reason (core.insights.crosstabs): the completed
cancellations and their monthly revenue, per reason. `insight_totals` has both figures, but not
per reason, and its reason columns count answered surveys of every outcome. This revision keeps
them the way 0007 keeps the retention playbook's, with 0004's machinery (`Tally`, its UPSERTs,
the same advisory lock on PostgreSQL), loaded from its file:

- `insight_reasons`: per grain (d, w, m) and period of the flow's start (as insight_totals),
  plan, country (and all countries "*"), tenure band and survey reason ('' when the survey was
  skipped, never reached, or named no reason): the completed cancellations (outcome
  `completed`) and their monthly revenue. Only completed flows have rows: a flow undone later
  takes its counts out again.

Existing rows are added up by one INSERT ... SELECT per grain and country level; the downgrade
drops the trigger and the table.
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _load_0004():
    """0004's module (its file never changes): its Tally, UPSERTs and periods are reused."""
    path = Path(__file__).with_name("0004_insight_totals.py")
    spec = importlib.util.spec_from_file_location("_portal_migration_0004", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_m4 = _load_0004()
Tally = _m4.Tally

REASONS_TABLE = "insight_reasons"
COMPLETED = "{r}.outcome = 'completed'"
REASON_COUNTS: tuple[tuple[str, str], ...] = (
    ("completed", "1"),
    ("revenue_lost_cents", "COALESCE({r}.monthly_revenue_cents, 0)"),
)
# the reason of an answered survey; '' for a skipped one, none at all, or no reason named
REASON_KEYS = (
    (
        "reason",
        "CASE WHEN {r}.survey = 'answered' AND {r}.reason IS NOT NULL THEN {r}.reason ELSE '' END",
    ),
)
TALLIES = (
    Tally(REASONS_TABLE, "cancellation_flows", "started_at", REASON_COUNTS, COMPLETED, REASON_KEYS),
)
# what the tally's trigger fires on
TRIGGER_COLUMNS = {
    REASONS_TABLE: ("started_at", "plan_code", "country", "tenure_band", "monthly_revenue_cents",
                    "outcome", "survey", "reason"),
}  # fmt: skip


def _tally_triggers(dialect: str) -> list[str]:
    """One trigger on cancellation_flows, on its own columns (0004's builder)."""
    return _m4._triggers(
        dialect,
        [
            (f"cancellation_flows_{t.target}", "cancellation_flows", TRIGGER_COLUMNS[t.target], [t])
            for t in TALLIES
        ],
    )


def _fill(dialect: str) -> list[str]:
    """Add up the rows already there (0004's statements, for this revision's tally)."""
    return _m4._fill(dialect, TALLIES)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        REASONS_TABLE,
        *_m4._key_columns(),
        sa.Column("reason", sa.String(length=30), nullable=False),
        *_m4._count_columns(REASON_COUNTS),
        sa.PrimaryKeyConstraint(*_m4.KEYS, "reason", name="pk_insight_reasons"),
        sqlite_with_rowid=False,
    )
    for statement in _fill(dialect):
        op.execute(statement)
    for statement in _tally_triggers(dialect):
        op.execute(statement)
    op.execute(f"ANALYZE {REASONS_TABLE}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for t in TALLIES:
        name = f"cancellation_flows_{t.target}"
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON cancellation_flows")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            for suffix in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {name}_{suffix}")
    op.drop_table(REASONS_TABLE)
