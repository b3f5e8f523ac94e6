"""retention playbook: offers by reason, pauses, discounts, downgrades, experiments

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 04:20:00.000000

The playbook's versions and experiments get their tables; a subscription carries the offers
it took until the lifecycle job carries them out (a pending pause and its resume date, a
discount and the invoices left, the plan it moves to); a retention offer records which offer
of the playbook it was, its parameters and when it was taken; a flow records the version and
variant it saw, the kind of offer that saved it, and the invoices paid since (verified saves).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "playbook_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"],
            name=op.f("fk_playbook_versions_created_by_users"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["published_by"], ["users.id"],
            name=op.f("fk_playbook_versions_published_by_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_versions")),
        sa.UniqueConstraint("number", name=op.f("uq_playbook_versions_number")),
    )  # fmt: skip
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("variants", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
    )
    op.create_index(op.f("ix_experiments_started_at"), "experiments", ["started_at"])
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(sa.Column("pause_cycles", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("paused_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("discount_percent", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("discount_cycles_left", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("next_plan_code", sa.String(length=40), nullable=True))
    op.add_column(
        "retention_offers",
        sa.Column("offer_key", sa.String(length=40), server_default="", nullable=False),
    )
    op.add_column(
        "retention_offers", sa.Column("params", sa.Text(), server_default="", nullable=False)
    )
    op.add_column(
        "retention_offers", sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("cancellation_flows", sa.Column("playbook_version", sa.Integer(), nullable=True))
    op.add_column("cancellation_flows", sa.Column("variant", sa.String(length=40), nullable=True))
    op.add_column(
        "cancellation_flows", sa.Column("offer_kind", sa.String(length=20), nullable=True)
    )
    op.add_column(
        "cancellation_flows",
        sa.Column("paid_cycles_after", sa.Integer(), server_default="0", nullable=False),
    )
    # the flows saved by a custom plan before playbooks existed
    op.execute(
        "UPDATE cancellation_flows SET offer_kind = 'custom_plan' WHERE outcome = 'saved_offer'"
    )
    # verified saves and the experiment's figures read the saved flows by when they ended
    op.create_index(
        "ix_cancellation_flows_outcome_finished_at",
        "cancellation_flows",
        ["outcome", "finished_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_cancellation_flows_outcome_finished_at", table_name="cancellation_flows")
    for column in ("paid_cycles_after", "offer_kind", "variant", "playbook_version"):
        op.drop_column("cancellation_flows", column)
    for column in ("accepted_at", "params", "offer_key"):
        op.drop_column("retention_offers", column)
    with op.batch_alter_table("subscriptions") as batch:
        for column in (
            "next_plan_code", "discount_cycles_left", "discount_percent", "paused_until",
            "pause_cycles",
        ):  # fmt: skip
            batch.drop_column(column)
    op.drop_index(op.f("ix_experiments_started_at"), table_name="experiments")
    op.drop_table("experiments")
    op.drop_table("playbook_versions")
