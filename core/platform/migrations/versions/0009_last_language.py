"""the language of the browser a user last signed in from (users.last_language)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 09:20:00.000000

A customer's e-mails (core.outbox) are written in the language they chose with the switcher
(`users.language`), else in that of the browser they last signed in from, kept here by
`core.identity.auth.sign_in`; before, a customer who never chose one got English e-mails after
using the portal in Italian.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("last_language", sa.String(length=5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("last_language")
