"""insight facts on cancellation_flows (survey, reason, satisfaction, stages, offer, price)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 09:40:00.000000

The churn insights counted each figure by joining survey_answers, retention_offers and
flow_steps to cancellation_flows (3-6 s each on a million flows). The flow now carries the facts
those figures need, written by the same transaction that writes the answer, the offer or the
step (core.retention.cancellation, core.jobs.lifecycle, core.demo), so the page is one pass over the flows.

This revision adds the columns and fills them from the existing rows with one set-based UPDATE
per source table (UPDATE ... FROM, on SQLite 3.33+ and PostgreSQL alike); the indexes for the
page's filters (started_at, plan_code, country, tenure_band) are there since 0001; three
covering indexes let the insights read the flows from an index alone. The survey answers get
a copy of their flow's start (`flow_started_at`, like their plan, country and tenure band), so
the comments and the answers' CSV filter the answers without looking up their flows.

On the benchmark copy (1,000,000 flows, 5.6 million steps; SQLite) the upgrade takes 23-37 s.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.platform.models

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# bit i of `stages` is FUNNEL[i] of core.platform.models (as of this revision; spelled out here so that
# the migration keeps meaning what it meant when the model changes)
STAGE_STEPS = (
    ("started",),
    ("survey_answered", "survey_skipped"),
    ("continued",),
    ("consents_given",),
    ("completed",),
)


def _stages_sql() -> str:
    parts = []
    for bit, steps in enumerate(STAGE_STEPS):
        names = ", ".join(f"'{step}'" for step in steps)
        parts.append(f"MAX(CASE WHEN step IN ({names}) THEN {1 << bit} ELSE 0 END)")
    return " + ".join(parts)


def upgrade() -> None:
    op.add_column(
        "cancellation_flows",
        sa.Column("survey", sa.String(length=10), server_default="none", nullable=False),
    )
    op.add_column("cancellation_flows", sa.Column("reason", sa.String(length=30), nullable=True))
    op.add_column("cancellation_flows", sa.Column("satisfaction", sa.Integer(), nullable=True))
    op.add_column(
        "cancellation_flows",
        sa.Column("stages", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column(
        "cancellation_flows",
        sa.Column("offer", sa.String(length=10), server_default="none", nullable=False),
    )
    op.add_column("cancellation_flows", sa.Column("offer_price_cents", sa.Integer(), nullable=True))
    # the answers get their flow's start, as they have its plan, country and tenure band
    op.add_column(
        "survey_answers",
        sa.Column("flow_started_at", core.platform.models.UTCDateTime(timezone=True), nullable=True),
    )
    # Backfill: one statement per source table, no row goes through Python.
    op.execute(
        """
        UPDATE survey_answers
        SET flow_started_at = f.started_at
        FROM cancellation_flows AS f
        WHERE f.id = survey_answers.flow_id
        """
    )
    op.execute(
        """
        UPDATE cancellation_flows
        SET survey = CASE WHEN a.skipped THEN 'skipped' ELSE 'answered' END,
            reason = a.reason,
            satisfaction = a.satisfaction
        FROM survey_answers AS a
        WHERE a.flow_id = cancellation_flows.id
        """
    )
    op.execute(
        """
        UPDATE cancellation_flows
        SET offer = CASE
                WHEN o.requested_at IS NOT NULL THEN 'requested'
                WHEN o.opened_at IS NOT NULL THEN 'opened'
                ELSE 'shown'
            END,
            offer_price_cents = CASE
                WHEN o.requested_at IS NOT NULL THEN o.monthly_price_cents
            END
        FROM retention_offers AS o
        WHERE o.flow_id = cancellation_flows.id
        """
    )
    op.execute(
        f"""
        UPDATE cancellation_flows
        SET stages = st.stages
        FROM (
            SELECT flow_id, {_stages_sql()} AS stages
            FROM flow_steps
            GROUP BY flow_id
        ) AS st
        WHERE st.flow_id = cancellation_flows.id
        """
    )

    # Covering indexes for the insights: the aggregate, the trend and the requested prices are
    # read from an index alone (the filter columns are in each of them).
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
    op.execute("ANALYZE cancellation_flows")  # so the planners know the new indexes


def downgrade() -> None:
    for name in (
        "ix_cancellation_flows_prices",
        "ix_cancellation_flows_trend",
        "ix_cancellation_flows_insights",
    ):
        op.drop_index(name, table_name="cancellation_flows")
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch rebuild would drop the table,
    # and with foreign keys on, SQLite would delete every answer, offer and step with it.
    op.execute("ALTER TABLE survey_answers DROP COLUMN flow_started_at")
    for column in ("offer_price_cents", "offer", "stages", "satisfaction", "reason", "survey"):
        op.execute(f"ALTER TABLE cancellation_flows DROP COLUMN {column}")
