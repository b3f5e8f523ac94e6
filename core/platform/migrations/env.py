"""Alembic environment: runs against the engine (or connection) the portal hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import core.platform.insight_tables
import core.platform.outbox_tables  # noqa: F401  (the outbox and its deliveries, same Base)
from core.platform.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = config.attributes.get("engine") or create_engine(
        config.get_main_option("sqlalchemy.url")
    )
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
