"""The figures of the account's PDF report, computed by the database (sums, counts, bands), so
the report of a very large account costs a handful of queries whatever the number of
influencers. `collect_in` reads them in its caller's transaction: the caller has checked who is
asking (`core.exports.services.report_figures`); `core.documents.report` draws them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from core.platform import clock
from core.platform.models import (
    Account,
    Campaign,
    CampaignInfluencer,
    Influencer,
    InfluencerList,
    Invoice,
    ListMember,
    Plan,
    Report,
    SavedSearch,
    SearchResult,
    Subscription,
)

TOP_INFLUENCERS = 10
# Engagement-rate bands (percent): [low, high); None is open-ended.
BANDS: tuple[tuple[float | None, float | None], ...] = (
    (None, 1),
    (1, 2),
    (2, 3),
    (3, 5),
    (5, 8),
    (8, None),
)


@dataclass(frozen=True)
class PlatformFigures:
    platform: str
    influencers: int
    followers: int


@dataclass(frozen=True)
class ListFigures:
    name: str
    created_at: dt.datetime
    members: int
    followers: int
    engagement: float | None  # average engagement rate of the members, percent


@dataclass(frozen=True)
class CampaignFigures:
    name: str
    status: str
    start_date: dt.date
    end_date: dt.date
    budget_cents: int
    currency: str
    influencers: int
    posts: int
    reach: int
    impressions: int
    engagements: int
    clicks: int
    conversions: int
    cost_cents: int


@dataclass(frozen=True)
class InfluencerLine:
    name: str
    handle: str
    platform: str
    country: str
    followers: int
    engagement_rate: float


@dataclass(frozen=True)
class SavedReport:
    title: str
    kind: str
    created_at: dt.datetime


@dataclass(frozen=True)
class ReportData:
    company: str
    country: str
    plan_name: str
    status: str
    billing_interval: str
    price_cents: int
    currency: str
    period_start: dt.date
    period_end: dt.date
    generated_at: dt.datetime
    searches: int
    search_results: int
    influencers: int
    invoices: int
    total_followers: int
    average_engagement: float | None
    platforms: tuple[PlatformFigures, ...]
    engagement_bands: tuple[int, ...]  # influencers per band of BANDS
    lists: tuple[ListFigures, ...]
    campaigns: tuple[CampaignFigures, ...]
    top_influencers: tuple[InfluencerLine, ...]
    reports: tuple[SavedReport, ...]


def collect_in(s: Session, account_id: int, *, now: dt.datetime | None = None) -> ReportData:
    """The figures, read in the caller's transaction (the caller has checked access)."""
    now = clock.now(now)
    account = s.get(Account, account_id)
    sub = s.scalar(select(Subscription).where(Subscription.account_id == account_id))
    plan = s.get(Plan, sub.plan_id)
    mine = Influencer.account_id == account_id

    def count(model: object, *where: object) -> int:
        return s.scalar(select(func.count()).select_from(model).where(*where)) or 0

    total_followers, average = s.execute(
        select(
            func.coalesce(func.sum(Influencer.followers), 0), func.avg(Influencer.engagement_rate)
        ).where(mine)
    ).one()
    platforms = tuple(
        PlatformFigures(platform, n, int(followers or 0))
        for platform, n, followers in s.execute(
            select(Influencer.platform, func.count(), func.sum(Influencer.followers))
            .where(mine)
            .group_by(Influencer.platform)
            .order_by(func.sum(Influencer.followers).desc(), Influencer.platform)
        )
    )
    band = case(
        *(
            (Influencer.engagement_rate < high, i)
            for i, (_low, high) in enumerate(BANDS)
            if high is not None
        ),
        else_=len(BANDS) - 1,
    )
    per_band = dict(s.execute(select(band, func.count()).where(mine).group_by(band)).all())
    lists = tuple(
        ListFigures(name, created_at, members, int(followers or 0), engagement)
        for name, created_at, members, followers, engagement in s.execute(
            select(
                InfluencerList.name,
                InfluencerList.created_at,
                func.count(Influencer.id),
                func.sum(Influencer.followers),
                func.avg(Influencer.engagement_rate),
            )
            .outerjoin(ListMember, ListMember.list_id == InfluencerList.id)
            .outerjoin(Influencer, Influencer.id == ListMember.influencer_id)
            .where(InfluencerList.account_id == account_id)
            .group_by(InfluencerList.id, InfluencerList.name, InfluencerList.created_at)
            .order_by(InfluencerList.created_at, InfluencerList.id)
        )
    )
    ci = CampaignInfluencer

    def total(column: object) -> object:
        return func.coalesce(func.sum(column), 0)

    campaigns = tuple(
        CampaignFigures(*row[:6], *(int(v) for v in row[6:]))
        for row in s.execute(
            select(
                Campaign.name,
                Campaign.status,
                Campaign.start_date,
                Campaign.end_date,
                Campaign.budget_cents,
                Campaign.currency,
                func.count(ci.influencer_id),
                total(ci.posts),
                total(ci.reach),
                total(ci.impressions),
                total(ci.engagements),
                total(ci.clicks),
                total(ci.conversions),
                total(ci.cost_cents),
            )
            .outerjoin(ci, ci.campaign_id == Campaign.id)
            .where(Campaign.account_id == account_id)
            .group_by(Campaign.id)
            .order_by(Campaign.start_date, Campaign.id)
        )
    )
    top = tuple(
        InfluencerLine(*row)
        for row in s.execute(
            select(
                Influencer.name,
                Influencer.handle,
                Influencer.platform,
                Influencer.country,
                Influencer.followers,
                Influencer.engagement_rate,
            )
            .where(mine)
            .order_by(Influencer.followers.desc(), Influencer.id)
            .limit(TOP_INFLUENCERS)
        )
    )
    reports = tuple(
        SavedReport(*row)
        for row in s.execute(
            select(Report.title, Report.kind, Report.created_at)
            .where(Report.account_id == account_id)
            .order_by(Report.created_at.desc(), Report.id.desc())
        )
    )
    return ReportData(
        company=account.company,
        country=account.country,
        plan_name=plan.name,
        status=sub.status,
        billing_interval=sub.billing_interval,
        price_cents=sub.price_cents,
        currency=sub.currency,
        period_start=sub.current_period_start,
        period_end=sub.current_period_end,
        generated_at=now,
        searches=count(SavedSearch, SavedSearch.account_id == account_id),
        search_results=count(
            SearchResult.__table__.join(SavedSearch.__table__), SavedSearch.account_id == account_id
        ),
        influencers=count(Influencer, mine),
        invoices=count(Invoice, Invoice.account_id == account_id),
        total_followers=int(total_followers or 0),
        average_engagement=float(average) if average is not None else None,
        platforms=platforms,
        engagement_bands=tuple(per_band.get(i, 0) for i in range(len(BANDS))),
        lists=lists,
        campaigns=campaigns,
        top_influencers=top,
        reports=reports,
    )
