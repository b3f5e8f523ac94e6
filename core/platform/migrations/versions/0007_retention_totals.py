"""running totals of the retention playbook's figures (insight_saves, insight_offers)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 05:10:00.000000

The verified saves and the offers by kind (core.insights.retention) were GROUP BYs over the
flows (1.8 s and 3.1 s on a million); every other figure of Churn insights reads the running
totals of 0004. This revision keeps theirs the same way, with 0004's machinery (`Tally`, its
UPSERTs, the same advisory lock on PostgreSQL), loaded from its file:

- `insight_saves`: per grain (d, w, m) and period of the day a flow was saved (`finished_at`),
  plan, country (and all countries "*"), tenure band, kind ("kept" for saved_kept, else the
  offer's kind; a custom plan from before playbooks names none) and variant ('' without an
  experiment): the saves, those still paying 1, 2 and 3 cycles later (`paid_cycles_after >= k`)
  and their monthly revenue. Whether a save is due k cycles later depends on the day it was
  made only, so the reader adds up the day, week and month rows up to each k's last due day.
- `insight_offers`: per period of the flow's start (as insight_totals), plan, country and band,
  for each offer kind: the flows shown it, the flows it saved, their monthly revenue, and the sum
  and count of the monthly prices they pay (the custom plan: the price requested).

Two facts the flows did not carry are added, kept by a trigger on `retention_offers` (whoever
writes the offers: the flow, the demo, the bulk seed, plain SQL):
- `cancellation_flows.offers_shown`: the kinds shown in the flow, one bit each (OFFER_BITS);
- `cancellation_flows.offer_price_cents` of a flow saved by a pause, a discount or a downgrade:
  the monthly price it pays from the next cycle (pause 0; discount: its monthly revenue with the
  percent off, rounded half up; downgrade: the new plan's monthly price). The custom plan's
  requested price stays where it was; `insight_prices` counts only requested custom plans, so
  0004's figures do not change.

Existing rows are filled in (the facts from the offers, then the totals by one INSERT ...
SELECT per grain and country level); the downgrade drops all of it.
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
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

SAVES = "insight_saves"
OFFERS = "insight_offers"
# as of this revision (spelled out so the migration keeps meaning what it meant)
OFFER_BITS = {"custom_plan": 1, "pause": 2, "discount": 4, "downgrade": 8}
KINDS = tuple(OFFER_BITS)
CYCLES = (1, 2, 3)

SAVE_COUNTS: tuple[tuple[str, str], ...] = (
    ("saves", "1"),
    *(
        (f"verified_{k}", f"CASE WHEN {{r}}.paid_cycles_after >= {k} THEN 1 ELSE 0 END")
        for k in CYCLES
    ),
    ("revenue_saved_cents", "COALESCE({r}.monthly_revenue_cents, 0)"),
)
SAVE_KEYS = (
    (
        "kind",
        "CASE WHEN {r}.outcome = 'saved_kept' THEN 'kept' "
        "ELSE COALESCE({r}.offer_kind, 'custom_plan') END",
    ),
    ("variant", "COALESCE({r}.variant, '')"),
)


def _taken(kind: str) -> str:
    return f"{{r}}.outcome = 'saved_offer' AND COALESCE({{r}}.offer_kind, 'custom_plan') = '{kind}'"


def _offer_counts() -> tuple[tuple[str, str], ...]:
    out = []
    for kind, bit in OFFER_BITS.items():
        # the custom plan's "shown" is the flow's offer fact, as on the custom plan's section
        shown = (
            "{r}.offer <> 'none'" if kind == "custom_plan" else f"({{r}}.offers_shown & {bit}) <> 0"
        )
        taken = _taken(kind)
        priced = f"{taken} AND {{r}}.offer_price_cents IS NOT NULL"
        out += [
            (f"shown_{kind}", f"CASE WHEN {shown} THEN 1 ELSE 0 END"),
            (f"accepted_{kind}", f"CASE WHEN {taken} THEN 1 ELSE 0 END"),
            (
                f"revenue_kept_{kind}",
                f"CASE WHEN {taken} THEN COALESCE({{r}}.monthly_revenue_cents, 0) ELSE 0 END",
            ),
            (f"price_sum_{kind}", f"CASE WHEN {priced} THEN {{r}}.offer_price_cents ELSE 0 END"),
            (f"price_count_{kind}", f"CASE WHEN {priced} THEN 1 ELSE 0 END"),
        ]
    return tuple(out)


OFFER_COUNTS = _offer_counts()

TALLIES = (
    Tally(
        SAVES,
        "cancellation_flows",
        "finished_at",
        SAVE_COUNTS,
        "{r}.outcome IN ('saved_kept', 'saved_offer')",
        SAVE_KEYS,
    ),
    Tally(
        OFFERS,
        "cancellation_flows",
        "started_at",
        OFFER_COUNTS,
        # a flow shown no offer and saved by none adds nothing
        "({r}.offer <> 'none' OR {r}.offers_shown <> 0 OR {r}.outcome = 'saved_offer')",
    ),
)
# what each tally's trigger fires on
TRIGGER_COLUMNS = {
    SAVES: ("finished_at", "plan_code", "country", "tenure_band", "monthly_revenue_cents",
            "outcome", "offer_kind", "variant", "paid_cycles_after"),
    OFFERS: ("started_at", "plan_code", "country", "tenure_band", "monthly_revenue_cents",
             "outcome", "offer_kind", "offer", "offers_shown", "offer_price_cents"),
}  # fmt: skip
OFFER_TRIGGER = "retention_offers_flow_facts"
OFFER_TRIGGER_COLUMNS = ("flow_id", "kind", "params", "accepted_at")


def _bit_of(kind: str) -> str:
    whens = " ".join(f"WHEN '{k}' THEN {b}" for k, b in OFFER_BITS.items())
    return f"(CASE {kind} {whens} ELSE 0 END)"


def _param(dialect: str, row: str, name: str) -> str:
    """A parameter of an offer as shown (its JSON `params`), NULL when it has none."""
    if dialect == "postgresql":
        return (
            f"(CASE WHEN left({row}.params, 1) = '{{' "
            f"THEN CAST({row}.params AS json) ->> '{name}' END)"
        )
    return f"(CASE WHEN json_valid({row}.params) THEN json_extract({row}.params, '$.{name}') END)"


def _price(dialect: str, row: str, revenue: str) -> str:
    """The monthly price a flow pays from the next cycle once it took the offer `row`."""
    percent = f"CAST({_param(dialect, row, 'percent')} AS INTEGER)"
    plan = f"CAST({_param(dialect, row, 'plan_code')} AS VARCHAR(40))"
    return (
        f"(CASE {row}.kind WHEN 'pause' THEN 0 "
        f"WHEN 'discount' THEN ({revenue} * (100 - {percent}) + 50) / 100 "
        "WHEN 'downgrade' THEN "
        f"(SELECT p.monthly_price_cents FROM plans AS p WHERE p.code = {plan}) "
        "END)"
    )


def _distinct(dialect: str) -> str:
    return "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"


def _offer_added(dialect: str, row: str) -> str:
    """The flow of an offer `row` (NEW) records its kind, and its price once taken. Only a change
    writes the flow (a bulk seed that writes the facts itself writes nothing twice)."""
    bit = _bit_of(f"{row}.kind")
    taken = f"({row}.accepted_at IS NOT NULL AND {row}.kind <> 'custom_plan')"
    price = _price(dialect, row, "cancellation_flows.monthly_revenue_cents")
    return (
        f"UPDATE cancellation_flows SET offers_shown = offers_shown | {bit}, "
        f"offer_price_cents = CASE WHEN {taken} THEN {price} ELSE offer_price_cents END "
        f"WHERE id = {row}.flow_id AND ((offers_shown & {bit}) = 0 "
        f"OR ({taken} AND offer_price_cents {_distinct(dialect)} {price}));"
    )


def _shown_of(flow: str) -> str:
    return (
        f"COALESCE((SELECT SUM(DISTINCT {_bit_of('o.kind')}) FROM retention_offers AS o "
        f"WHERE o.flow_id = {flow}), 0)"
    )


def _offer_removed(row: str) -> str:
    """The flow of an offer `row` (OLD) that went: the kinds of the offers left."""
    return (
        f"UPDATE cancellation_flows SET offers_shown = {_shown_of(f'{row}.flow_id')} "
        f"WHERE id = {row}.flow_id AND offers_shown <> {_shown_of(f'{row}.flow_id')};"
    )


def _offer_trigger(dialect: str) -> list[str]:
    columns = ", ".join(OFFER_TRIGGER_COLUMNS)
    if dialect == "postgresql":
        return [
            f"""
            CREATE FUNCTION {OFFER_TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP IN ('UPDATE', 'DELETE') THEN
                    {_offer_removed("OLD")}
                END IF;
                IF TG_OP IN ('INSERT', 'UPDATE') THEN
                    {_offer_added(dialect, "NEW")}
                END IF;
                RETURN NULL;
            END $$
            """,
            f"CREATE TRIGGER {OFFER_TRIGGER} AFTER INSERT OR DELETE OR UPDATE OF {columns} "
            f"ON retention_offers FOR EACH ROW EXECUTE FUNCTION {OFFER_TRIGGER}()",
        ]
    return [
        f"CREATE TRIGGER {OFFER_TRIGGER}_{suffix} AFTER {event} ON retention_offers "
        f"FOR EACH ROW BEGIN {body} END"
        for suffix, event, body in (
            ("insert", "INSERT", _offer_added(dialect, "NEW")),
            (
                "update",
                f"UPDATE OF {columns}",
                _offer_removed("OLD") + "\n" + _offer_added(dialect, "NEW"),
            ),
            ("delete", "DELETE", _offer_removed("OLD")),
        )
    ]


def _tally_triggers(dialect: str) -> list[str]:
    """One trigger per tally on cancellation_flows, on its own columns (0004's builder)."""
    return _m4._triggers(
        dialect,
        [
            (f"cancellation_flows_{t.target}", "cancellation_flows", TRIGGER_COLUMNS[t.target], [t])
            for t in TALLIES
        ],
    )


def _fill(dialect: str) -> list[str]:
    """Add up the rows already there (0004's statements, for this revision's tallies)."""
    return _m4._fill(dialect, TALLIES)


def _facts(dialect: str) -> list[str]:
    """The new facts of the flows on record, from their offers."""
    taken = "o.accepted_at IS NOT NULL AND o.kind <> 'custom_plan'"
    price = _price(dialect, "o", "cancellation_flows.monthly_revenue_cents")
    return [
        f"UPDATE cancellation_flows SET offers_shown = {_shown_of('cancellation_flows.id')} "
        "WHERE id IN (SELECT flow_id FROM retention_offers)",
        f"UPDATE cancellation_flows SET offer_price_cents = (SELECT {price} "
        f"FROM retention_offers AS o WHERE o.flow_id = cancellation_flows.id AND {taken} "
        "ORDER BY o.accepted_at DESC LIMIT 1) "
        f"WHERE id IN (SELECT o.flow_id FROM retention_offers AS o WHERE {taken})",
    ]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.add_column(
        "cancellation_flows",
        sa.Column("offers_shown", sa.Integer(), server_default="0", nullable=False),
    )
    for statement in _facts(dialect):
        op.execute(statement)
    op.create_table(
        SAVES,
        *_m4._key_columns(),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("variant", sa.String(length=40), nullable=False),
        *_m4._count_columns(SAVE_COUNTS),
        sa.PrimaryKeyConstraint(*_m4.KEYS, "kind", "variant", name="pk_insight_saves"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        OFFERS,
        *_m4._key_columns(),
        *_m4._count_columns(OFFER_COUNTS),
        sa.PrimaryKeyConstraint(*_m4.KEYS, name="pk_insight_offers"),
        sqlite_with_rowid=False,
    )
    for statement in _fill(dialect):
        op.execute(statement)
    for statement in _tally_triggers(dialect) + _offer_trigger(dialect):
        op.execute(statement)
    op.execute(f"ANALYZE {SAVES}")
    op.execute(f"ANALYZE {OFFERS}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table, name in (
        *(("cancellation_flows", f"cancellation_flows_{t.target}") for t in TALLIES),
        ("retention_offers", OFFER_TRIGGER),
    ):
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            for suffix in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {name}_{suffix}")
    op.drop_table(OFFERS)
    op.drop_table(SAVES)
    # the accepted offers' prices go too: before, the fact was the requested custom plan's only
    op.execute(
        "UPDATE cancellation_flows SET offer_price_cents = NULL "
        "WHERE outcome = 'saved_offer' AND offer_kind IS NOT NULL AND offer_kind <> 'custom_plan'"
    )
    # in place (SQLite 3.35+ too): a copy of the table would lose 0004's triggers
    op.execute("ALTER TABLE cancellation_flows DROP COLUMN offers_shown")
