"""The portal's tables, as SQLAlchemy 2 typed ORM classes.

Money is integer cents plus a currency code. Every timestamp is stored as UTC and comes back
timezone-aware (see `UTCDateTime`). Calendar dates (billing periods) are plain dates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# The vocabulary the tables are built on (column sets, defaults) is core.rules'.
from core.rules.pricing import CUSTOM_PLAN_FLOOR_CENTS
from core.rules.vocabulary import (
    FUNNEL,
    OFFER_KIND_CUSTOM_PLAN,
    OFFER_NONE,
    OUTCOME_ABANDONED,
    OUTCOME_COMPLETED,
    OUTCOME_OPEN,
    OUTCOME_SAVED_KEPT,
    OUTCOME_SAVED_OFFER,
    OUTCOME_UNDONE,
    REASONS,
    REQUEST_HANDLED,
    REQUEST_OPEN,
    ROLE_CUSTOMER,
    STATUS_ACTIVE,
    SURVEY_NONE,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always returned timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass a timezone-aware value")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Plan(Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    monthly_price_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    searches_limit: Mapped[int] = mapped_column(Integer)
    unlocks_limit: Mapped[int] = mapped_column(Integer)
    seats_limit: Mapped[int] = mapped_column(Integer)
    campaigns_limit: Mapped[int] = mapped_column(Integer)
    lists_limit: Mapped[int] = mapped_column(Integer)
    is_custom: Mapped[bool] = mapped_column(Boolean, default=False)


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    company: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    users: Mapped[list[User]] = relationship(back_populates="account")
    subscription: Mapped[Subscription | None] = relationship(back_populates="account")


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default=ROLE_CUSTOMER)
    language: Mapped[str | None] = mapped_column(String(5))  # chosen with the switcher
    # the language of the browser they last signed in from (their e-mails' when none is chosen)
    last_language: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    account: Mapped[Account | None] = relationship(back_populates="users")


class SignInThrottle(Base):
    """Failed sign-ins per email address (known or not), for the lockout."""

    __tablename__ = "sign_in_throttle"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ErasedSignIn(Base):
    """What the sign-in page may say about an account whose data was erased (purged): no
    email in clear, only an HMAC-SHA256 of it with the server's secret, the Argon2 hash the
    person signed in with (so the explanation is only given to someone who knows the
    password: the page never tells a stranger that an address had an account), and the day
    of the erasure. Forgotten after `forget_after`."""

    __tablename__ = "erased_sign_ins"

    email_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    erased_on: Mapped[dt.date] = mapped_column(Date)
    forget_after: Mapped[dt.date] = mapped_column(Date, index=True)


class UserSession(Base):
    """A signed-in browser. Only hashes of the one-time code and the cookie token are stored."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    code_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Subscription(Base):
    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), unique=True
    )
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"), index=True)
    billing_interval: Mapped[str] = mapped_column(String(5))  # "month" or "year"
    price_cents: Mapped[int] = mapped_column(Integer)  # per billing interval
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    status: Mapped[str] = mapped_column(String(30), default=STATUS_ACTIVE, index=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    current_period_start: Mapped[dt.date] = mapped_column(Date)
    current_period_end: Mapped[dt.date] = mapped_column(Date, index=True)
    cancel_requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    # Retention offers taken (core.retention.offers), carried out by the lifecycle job:
    # a pause of `pause_cycles` cycles starts at the end of the current cycle (status "paused",
    # the period then runs to `paused_until`, without an invoice) and resumes on `paused_until`;
    # `discount_percent` comes off the next `discount_cycles_left` invoices; `next_plan_code`
    # replaces the plan from the next cycle.
    pause_cycles: Mapped[int | None] = mapped_column(Integer)
    paused_until: Mapped[dt.date | None] = mapped_column(Date)
    discount_percent: Mapped[int | None] = mapped_column(Integer)
    discount_cycles_left: Mapped[int | None] = mapped_column(Integer)
    next_plan_code: Mapped[str | None] = mapped_column(String(40))

    account: Mapped[Account] = relationship(back_populates="subscription")
    plan: Mapped[Plan] = relationship()


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(40), unique=True)
    issued_on: Mapped[dt.date] = mapped_column(Date)
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    status: Mapped[str] = mapped_column(String(10), default="paid")  # paid / open


class Influencer(Base):
    """An influencer profile unlocked by (and held for) one account."""

    __tablename__ = "influencers"
    # the plan's unlocks this cycle (the overview, the cancellation) read only the cycle's rows
    __table_args__ = (Index("ix_influencers_unlocked_at_account_id", "unlocked_at", "account_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    handle: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    platform: Mapped[str] = mapped_column(String(20))
    followers: Mapped[int] = mapped_column(Integer)
    engagement_rate: Mapped[float] = mapped_column(Float)  # percent, e.g. 3.42
    country: Mapped[str] = mapped_column(String(2))
    categories: Mapped[str] = mapped_column(String(300), default="")  # "; "-separated
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    unlocked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class SavedSearch(Base):
    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    query: Mapped[str] = mapped_column(Text)  # JSON: the filters the search used
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class SearchResult(Base):
    __tablename__ = "search_results"
    __table_args__ = (UniqueConstraint("search_id", "influencer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    search_id: Mapped[int] = mapped_column(
        ForeignKey("saved_searches.id", ondelete="CASCADE"), index=True
    )
    influencer_id: Mapped[int] = mapped_column(
        ForeignKey("influencers.id", ondelete="CASCADE"), index=True
    )
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)


class InfluencerList(Base):
    __tablename__ = "lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ListMember(Base):
    __tablename__ = "list_members"

    list_id: Mapped[int] = mapped_column(
        ForeignKey("lists.id", ondelete="CASCADE"), primary_key=True
    )
    influencer_id: Mapped[int] = mapped_column(
        ForeignKey("influencers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))  # planned / active / completed
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    budget_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="USD")


class CampaignInfluencer(Base):
    __tablename__ = "campaign_influencers"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    influencer_id: Mapped[int] = mapped_column(
        ForeignKey("influencers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    posts: Mapped[int] = mapped_column(Integer, default=0)
    reach: Mapped[int] = mapped_column(Integer, default=0)
    impressions: Mapped[int] = mapped_column(Integer, default=0)
    engagements: Mapped[int] = mapped_column(Integer, default=0)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    conversions: Mapped[int] = mapped_column(Integer, default=0)
    cost_cents: Mapped[int] = mapped_column(Integer, default=0)


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    campaign_id: Mapped[int | None] = mapped_column(
        ForeignKey("campaigns.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(30))  # campaign / audience / competitor
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


# --- Cancellation, retention and support: filled by the cancellation flow ----------------


class CancellationFlow(Base):
    """One visit to the cancellation flow. Survives a purge anonymised (account_id NULL)."""

    __tablename__ = "cancellation_flows"
    __table_args__ = (
        Index("ix_cancellation_flows_started_at", "started_at"),
        Index("ix_cancellation_flows_outcome_finished_at", "outcome", "finished_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # uuid4
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Set while this flow's cancellation is scheduled: the UNIQUE makes a second open
    # cancellation of the same subscription impossible at the database level.
    open_subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="SET NULL"), unique=True
    )
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # open / completed / saved_kept / saved_offer / abandoned / undone
    outcome: Mapped[str] = mapped_column(String(20), default=OUTCOME_OPEN, index=True)
    confirmation_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    effective_on: Mapped[dt.date | None] = mapped_column(Date)
    # Kept after a purge so the charts stay true.
    plan_code: Mapped[str] = mapped_column(String(40), index=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    tenure_band: Mapped[str] = mapped_column(String(10), index=True)
    monthly_revenue_cents: Mapped[int] = mapped_column(Integer, default=0)
    # Facts the churn insights count (core.insights), copied here from the flow's survey answer,
    # retention offer and steps by the code that writes those, in the same transaction; the
    # database's triggers add them up in InsightTotal (tests/core/insights/test_insight_facts.py
    # checks both).
    survey: Mapped[str] = mapped_column(  # none / answered / skipped
        String(10), default=SURVEY_NONE, server_default=SURVEY_NONE
    )
    reason: Mapped[str | None] = mapped_column(String(30))  # the answer's, as stored
    satisfaction: Mapped[int | None] = mapped_column(Integer)  # the answer's, as stored
    stages: Mapped[int] = mapped_column(  # FUNNEL stages reached: bit i for FUNNEL[i]
        Integer, default=0, server_default="0"
    )
    offer: Mapped[str] = mapped_column(  # none / shown / opened / requested
        String(10), default=OFFER_NONE, server_default=OFFER_NONE
    )
    offer_price_cents: Mapped[int | None] = mapped_column(Integer)  # the requested plan's
    # The retention playbook's version and the experiment's variant this flow saw (None: none
    # published / no experiment running), the kind of offer that saved it (outcome
    # "saved_offer"), and how many invoices its account has paid since it was saved (the
    # lifecycle job adds one per renewal): the verified saves count this.
    playbook_version: Mapped[int | None] = mapped_column(Integer)
    variant: Mapped[str | None] = mapped_column(String(40))
    offer_kind: Mapped[str | None] = mapped_column(String(20))
    paid_cycles_after: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The offer kinds shown (core.platform.insight_tables.OFFER_BITS) and, once saved by a
    # pause, discount or downgrade, offer_price_cents (the monthly price from then on): written
    # by the database (migration 0007's trigger on retention_offers), whoever writes the offers.
    offers_shown: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


# The churn insights' running totals: see migration 0004, whose triggers keep them.
INSIGHT_REASONS = REASONS
INSIGHT_COUNTS = (
    "flows", OUTCOME_COMPLETED, OUTCOME_SAVED_KEPT, OUTCOME_SAVED_OFFER, OUTCOME_UNDONE,
    OUTCOME_ABANDONED,
    "revenue_lost_cents", "revenue_saved_cents", "revenue_undone_cents", "answered", "skipped",
    *(f"reason_{r}" for r in INSIGHT_REASONS),
    *(f"satisfaction_{n}" for n in range(1, 6)),
    *(f"stage_{i}" for i in range(len(FUNNEL))),
    "offer_shown", "offer_opened", "offer_requested", "commented",
)  # fmt: skip


ALL_COUNTRIES = "*"  # InsightTotal.country of the rows that add up every country


class InsightTotal(Base):
    """What the cancellation flows that started in one period (grain "d": a UTC day, "w": a
    week from its Monday, "m": a calendar month; `period` is its first day) with one plan,
    country (or any country: ALL_COUNTRIES) and tenure band came to, and how many of their
    survey answers have free text. Written only by the database's triggers (migration 0004), in
    the transaction that writes the flow or the answer; core.insights.analytics reads it."""

    __tablename__ = "insight_totals"
    __table_args__ = ({"sqlite_with_rowid": False},)  # stored in the order of the key

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    period: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    plan_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenure_band: Mapped[str] = mapped_column(String(10), primary_key=True)


# The requested monthly prices' buckets (cents): from $98 (anything below $125), then $25
# steps, then $500 and more.
PRICE_LOWS = (CUSTOM_PLAN_FLOOR_CENTS, *range(12500, 50000, 2500), 50000)
PRICE_COUNTS = tuple(f"price_from_{low}" for low in PRICE_LOWS)


class InsightPrice(Base):
    """Like InsightTotal, for the custom plans requested: how many flows, per survey reason
    ("" when skipped or none named), asked for a monthly price in each bucket."""

    __tablename__ = "insight_prices"
    __table_args__ = ({"sqlite_with_rowid": False},)

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    period: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    plan_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenure_band: Mapped[str] = mapped_column(String(10), primary_key=True)
    reason: Mapped[str] = mapped_column(String(30), primary_key=True)


for _table, _names in ((InsightTotal, INSIGHT_COUNTS), (InsightPrice, PRICE_COUNTS)):
    for _name in _names:  # one BigInteger column per count
        setattr(_table, _name, mapped_column(BigInteger, default=0, server_default="0"))


class FlowStep(Base):
    __tablename__ = "flow_steps"
    # The insights funnel reads (flow, step) pairs only: this index answers it without the table.
    __table_args__ = (Index("ix_flow_steps_flow_id_step", "flow_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[str] = mapped_column(
        ForeignKey("cancellation_flows.id", ondelete="CASCADE"), index=True
    )
    # started / survey_answered / survey_skipped / offer_shown / configurator_opened /
    # plan_requested / kept / continued / consents_given / completed / abandoned
    step: Mapped[str] = mapped_column(String(30), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    detail: Mapped[str] = mapped_column(Text, default="")  # JSON, never personal data


class SurveyAnswer(Base):
    __tablename__ = "survey_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[str] = mapped_column(
        ForeignKey("cancellation_flows.id", ondelete="CASCADE"), unique=True
    )
    answered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    skipped: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(String(30), index=True)
    follow_up: Mapped[str] = mapped_column(Text, default="")
    comment: Mapped[str] = mapped_column(Text, default="")
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    # Copied from the flow so an anonymised answer still filters and groups (and the comments
    # and the answers' CSV filter on the answers alone).
    flow_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    plan_code: Mapped[str] = mapped_column(String(40), index=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    tenure_band: Mapped[str] = mapped_column(String(10), index=True)


class RetentionOffer(Base):
    __tablename__ = "retention_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[str] = mapped_column(
        ForeignKey("cancellation_flows.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20), default=OFFER_KIND_CUSTOM_PLAN)
    shown_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    configuration: Mapped[str] = mapped_column(Text, default="")  # JSON
    monthly_price_cents: Mapped[int | None] = mapped_column(Integer)
    # The playbook offer it was (its key in the version's offers; "" for the custom plan of a
    # flow from before playbooks), its parameters as shown (JSON), and when it was taken.
    offer_key: Mapped[str] = mapped_column(String(40), default="", server_default="")
    params: Mapped[str] = mapped_column(Text, default="", server_default="")
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class PlaybookVersion(Base):
    """One version of the retention playbook: its offers and rules (`content`, JSON, see
    core.rules.offers.Playbook). A draft can be edited; publishing freezes it for good, and the
    newest published version is the one customers see (outside an experiment)."""

    __tablename__ = "playbook_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)  # 1, 2, 3 ... as shown
    status: Mapped[str] = mapped_column(String(10), default="draft")  # draft / published
    content: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Experiment(Base):
    """Two to four variants of the playbook (`variants`, JSON: name, version number, share in
    percent), each account's variant decided by a hash of the experiment and the account."""

    __tablename__ = "experiments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    variants: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    stopped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SupportRequest(Base):
    __tablename__ = "support_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    flow_id: Mapped[str | None] = mapped_column(
        ForeignKey("cancellation_flows.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(30))  # undo_cancellation / custom_plan / other
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(10), default=REQUEST_OPEN, index=True)
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    def close(self, by_user_id: int, at: dt.datetime) -> None:
        """Handled: by whom and when (the caller writes the audit entry that says why)."""
        self.status = REQUEST_HANDLED
        self.handled_by = by_user_id
        self.handled_at = at


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(254))  # email at the time, or "lifecycle"
    action: Mapped[str] = mapped_column(String(40), index=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL"), index=True
    )
    before: Mapped[str] = mapped_column(Text, default="")  # JSON
    after: Mapped[str] = mapped_column(Text, default="")  # JSON
