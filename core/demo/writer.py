"""Writing seeded rows: the lock that serialises seeders, one bulk INSERT per table in an order
that satisfies the foreign keys, the driver's fastest path for millions of plain tuples
(executemany on SQLite, COPY on PostgreSQL), and PostgreSQL's id sequences moved past the ids
the demo assigned itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from core.platform.models import (
    Account,
    AuditEntry,
    Base,
    Campaign,
    CampaignInfluencer,
    CancellationFlow,
    Experiment,
    FlowStep,
    Influencer,
    InfluencerList,
    Invoice,
    ListMember,
    PlaybookVersion,
    Report,
    RetentionOffer,
    SavedSearch,
    SearchResult,
    Subscription,
    SupportRequest,
    SurveyAnswer,
    User,
)

from .draft import ID_TABLES, Row

ADVISORY_LOCK_KEY = 7302  # core.platform.db.migrate uses 7301

INSERT_ORDER: tuple[type[Base], ...] = (
    Account,
    User,
    Subscription,
    Invoice,
    Influencer,
    SavedSearch,
    SearchResult,
    InfluencerList,
    ListMember,
    Campaign,
    CampaignInfluencer,
    Report,
    PlaybookVersion,
    Experiment,
    CancellationFlow,
    FlowStep,
    SurveyAnswer,
    RetentionOffer,
    SupportRequest,
    AuditEntry,
)


# the columns of the influencers and of the campaigns' members as the seeders write them
INFLUENCER_COLUMNS = (
    "id", "account_id", "handle", "name", "platform", "followers", "engagement_rate",
    "country", "categories", "contact_email", "notes", "unlocked_at",
)  # fmt: skip
PERFORMANCE_COLUMNS = (
    "campaign_id", "influencer_id", "posts", "reach", "impressions", "engagements", "clicks",
    "conversions", "cost_cents",
)  # fmt: skip


def lock_for_seeding(session: Session) -> None:
    """Serialise seeders: whoever holds this lock sees the others' committed work."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    else:  # SQLite: a write statement takes the database's write lock until commit
        session.execute(text("UPDATE plans SET code = code WHERE 1 = 0"))


def write_rows(session: Session, rows: dict[type[Base], list[Row]]) -> None:
    """One bulk INSERT per table, parents first."""
    for model in INSERT_ORDER:
        if rows.get(model):
            session.execute(insert(model), rows[model])
    if session.get_bind().dialect.name == "postgresql":
        sync_sequences(session, (model.__tablename__ for model in ID_TABLES))


def sync_sequences(session: Session, tables: Iterable[str]) -> None:
    """Move PostgreSQL's id sequences of `tables` past the largest id they hold."""
    for table in tables:  # our own table names, not user input
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            )
        )


def stamp(dialect: str) -> Callable[[float], str]:
    """Timestamps (seconds since the epoch, UTC) as text the database stores them as."""
    epoch = dt.datetime(1970, 1, 1)
    suffix = "+00:00" if dialect == "postgresql" else ""

    def as_text(seconds: float) -> str:
        moment = epoch + dt.timedelta(seconds=float(seconds))
        return f"{moment:%Y-%m-%d %H:%M:%S.%f}{suffix}"

    return as_text


def bulk(
    session: Session, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """Insert plain tuples through the driver's fastest path (our own table and column names)."""
    if not rows:
        return
    raw = session.connection().connection.dbapi_connection
    names = ", ".join(columns)
    if session.get_bind().dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" * len(columns))
    cursor = raw.cursor()
    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
    cursor.close()
