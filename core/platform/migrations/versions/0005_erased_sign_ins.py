"""erased_sign_ins: what the sign-in page may say about an erased account

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 22:00:00.000000

When the lifecycle job purges an account, each of its users leaves one row here: an
HMAC-SHA256 of the email address (keyed with the server's secret; never the address itself),
the Argon2 hash of the password, the day of the erasure and the day the row is forgotten. The
sign-in page then tells a person who types the right password of an erased account that it
was closed and its data erased on that day, instead of "not right"; anyone else learns nothing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erased_sign_ins",
        sa.Column("email_digest", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("erased_on", sa.Date(), nullable=False),
        sa.Column("forget_after", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("email_digest", name=op.f("pk_erased_sign_ins")),
    )
    op.create_index(
        op.f("ix_erased_sign_ins_forget_after"), "erased_sign_ins", ["forget_after"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_erased_sign_ins_forget_after"), table_name="erased_sign_ins")
    op.drop_table("erased_sign_ins")
