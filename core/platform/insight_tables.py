"""The retention playbook's running totals (migration 0007, whose triggers keep them, as
0004's keep InsightTotal): InsightSave by the day a flow was saved (`finished_at`), per kind
("kept" or the offer's that saved it) and experiment variant ("": none): the saves, those that
paid 1, 2 and 3 cycles since, their monthly revenue; InsightOffer by the flow's start, per offer
kind: flows shown it, flows it saved, their monthly revenue, the sum and count of the monthly
prices they pay from then on. Both are written only by the database; core.insights.retention
reads them. InsightReason (migration 0010) by the flow's start, per survey reason ("": skipped,
none, or no reason named): the completed cancellations and their monthly revenue; read by
core.insights.crosstabs. Kept apart from `models` (its size), on the same Base."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from core.platform.models import Base

# The bit of each offer kind in CancellationFlow.offers_shown (as migration 0007 spells it).
OFFER_BITS = {"custom_plan": 1, "pause": 2, "discount": 4, "downgrade": 8}
SAVE_COUNTS = ("saves", "verified_1", "verified_2", "verified_3", "revenue_saved_cents")
OFFER_COUNTS = tuple(
    f"{what}_{kind}"
    for kind in OFFER_BITS
    for what in ("shown", "accepted", "revenue_kept", "price_sum", "price_count")
)
REASON_LOSS_COUNTS = ("completed", "revenue_lost_cents")


class _Cell:
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    period: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    plan_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenure_band: Mapped[str] = mapped_column(String(10), primary_key=True)


class InsightSave(_Cell, Base):
    __tablename__ = "insight_saves"
    __table_args__ = ({"sqlite_with_rowid": False},)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    variant: Mapped[str] = mapped_column(String(40), primary_key=True)


class InsightOffer(_Cell, Base):
    __tablename__ = "insight_offers"
    __table_args__ = ({"sqlite_with_rowid": False},)


class InsightReason(_Cell, Base):
    __tablename__ = "insight_reasons"
    __table_args__ = ({"sqlite_with_rowid": False},)
    reason: Mapped[str] = mapped_column(String(30), primary_key=True)  # "": no reason


for _table, _names in (
    (InsightSave, SAVE_COUNTS),
    (InsightOffer, OFFER_COUNTS),
    (InsightReason, REASON_LOSS_COUNTS),
):
    for _name in _names:
        setattr(
            _table, _name, mapped_column(BigInteger, default=0, server_default="0", nullable=False)
        )
