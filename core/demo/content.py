"""What a demo account works with: unlocked influencers (long-tailed followers, engagement that
falls as audiences grow), saved searches with their ranked results, lists, campaigns with
figures that hang together, and reports."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

from core.platform.models import (
    Campaign,
    CampaignInfluencer,
    Influencer,
    InfluencerList,
    ListMember,
    Plan,
    Report,
    SavedSearch,
    SearchResult,
)

from .accounts import AccountContext
from .draft import Draft, Row, day_at
from .names import CULTURE_BY_KEY, CULTURE_WEIGHTS, CULTURES, Culture
from .people import People
from .plans import CURRENCY
from .pools import (
    CAMPAIGN_THEMES,
    CATEGORIES,
    COMPETITOR_BRANDS,
    EMAIL_DOMAINS,
    FOLLOWER_TIERS,
    HOME_SHARE,
    INFLUENCER_NOTES,
    LIST_NAMES,
    PLATFORM_ENGAGEMENT,
    PLATFORM_LABELS,
    PLATFORM_WEIGHTS,
    PLATFORMS,
    SEASONS,
)

# How much more an account holds than the average, by its plan.
_PLAN_SIZE = {"starter": 0.6, "growth": 1.0, "pro": 1.4, "enterprise": 1.8}
REPORT_KINDS = ("campaign", "audience", "competitor")


def matches(influencer: Row, query: dict[str, Any]) -> bool:
    return (
        influencer["platform"] == query["platform"]
        and influencer["country"] == query["country"]
        and influencer["followers"] >= query["min_followers"]
        and query["categories"][0] in influencer["categories"].split("; ")
    )


class Content:
    """Fills an account with influencers, searches, lists, campaigns and reports."""

    def __init__(self, draft: Draft, people: People, influencers_per_account: int) -> None:
        self.draft = draft
        self.rng = draft.rng
        self.people = people
        self.influencers_per_account = influencers_per_account

    def generated(self, ctx: AccountContext, plan: Plan) -> None:
        """A generated account's content: more for bigger plans, within the plan's limits."""
        rng = self.rng
        size = _PLAN_SIZE[plan.code]
        count = round(self.influencers_per_account * size * rng.uniform(0.6, 1.4))
        if self.influencers_per_account:
            count = max(count, 5)
        self.influencers(ctx, count)
        if not ctx.influencers:
            return
        in_period = 1 if ctx.period_start is not None else 0
        self.searches(ctx, rng.randint(1, 6), in_period=in_period)
        self.lists(ctx, rng.randint(1, min(5, plan.lists_limit)))
        n_campaigns = rng.randint(0, min(4, plan.campaigns_limit))
        self.campaigns(ctx, tuple(self._campaign_status(ctx) for _ in range(n_campaigns)))
        self.reports(ctx, tuple(rng.choice(REPORT_KINDS) for _ in range(rng.randint(0, 4))))

    def influencers(self, ctx: AccountContext, count: int, every_culture: bool = False) -> None:
        rng = self.rng
        taken: set[str] = set()
        for n in range(count):
            if every_culture and n < len(CULTURES):
                culture = CULTURES[n]
            elif ctx.home and rng.random() < HOME_SHARE:
                culture = CULTURE_BY_KEY[ctx.home]
            else:
                culture = rng.choices(CULTURES, CULTURE_WEIGHTS)[0]
            ctx.influencers.append(self._influencer(ctx, culture, taken))
        self.draft.rows[Influencer].extend(ctx.influencers)

    def _followers(self) -> int:
        """Long-tailed: most have tens of thousands, a few have millions (1k to 5M)."""
        while True:
            followers = int(math.exp(self.rng.gauss(math.log(25_000), 1.6)))
            if 1_000 <= followers <= 5_000_000:
                return followers

    def _influencer(self, ctx: AccountContext, culture: Culture, taken: set[str]) -> Row:
        rng = self.rng
        person = self.people.person(culture)
        platform = rng.choices(PLATFORMS, PLATFORM_WEIGHTS)[0]
        categories = rng.sample(CATEGORIES, rng.choices((1, 2, 3), (40, 40, 20))[0])
        if platform == "twitch" and "gaming" not in categories:
            categories[0] = "gaming"
        followers = self._followers()
        engagement = 7.5 * (followers / 5_000) ** -0.22 * PLATFORM_ENGAGEMENT[platform]
        engagement *= math.exp(rng.gauss(0, 0.35))
        if not 0.5 <= engagement <= 12.0:  # keep inside the range without piling up at its ends
            engagement = rng.uniform(10.0, 12.0) if engagement > 12 else rng.uniform(0.5, 0.9)
        handle = self.people.handle(person, categories[0], taken)
        email = ""
        if rng.random() < 0.8:
            email = f"{handle.replace('_', '.').strip('.')}@{rng.choice(EMAIL_DOMAINS)}"
        if ctx.period_start is not None and rng.random() < 0.2:  # usage this billing cycle
            unlocked_at = self.draft.between(
                max(day_at(ctx.period_start, 0), ctx.created_at), ctx.data_end
            )
        else:
            unlocked_at = self.draft.between(ctx.created_at, ctx.data_end)
        return {
            "id": self.draft.new_id(Influencer),
            "account_id": ctx.id,
            "handle": handle,
            "name": self.people.display_name(person),
            "platform": platform,
            "followers": followers,
            "engagement_rate": round(engagement, 2),
            "country": rng.choice(culture.countries),
            "categories": "; ".join(categories),
            "contact_email": email,
            "notes": rng.choice(INFLUENCER_NOTES) if rng.random() < 0.3 else "",
            "unlocked_at": unlocked_at,
        }

    # -- searches, lists, campaigns, reports

    def searches(self, ctx: AccountContext, count: int, in_period: int) -> None:
        for n in range(count):
            if n < in_period and ctx.period_start is not None:
                start = max(day_at(ctx.period_start, 0), ctx.created_at)
            else:
                start = ctx.created_at
            self._search(ctx, self.draft.between(start, ctx.data_end))

    def _search(self, ctx: AccountContext, created_at: dt.datetime) -> None:
        rng = self.rng
        pivot = rng.choice(ctx.influencers)
        floor, tier = next(t for t in FOLLOWER_TIERS if pivot["followers"] >= t[0])
        query: dict[str, Any] = {
            "platform": pivot["platform"],
            "country": pivot["country"],
            "min_followers": floor,
            "categories": [rng.choice(pivot["categories"].split("; "))],
        }
        if rng.random() < 0.25:
            query["min_engagement_rate"] = rng.choice((1.5, 2.0, 3.0, 4.0))
        search_id = self.draft.new_id(SavedSearch)
        platform = PLATFORM_LABELS[query["platform"]]
        name = f"{query['categories'][0].title()} {tier} · {platform} · {query['country']}"
        self.draft.add(
            SavedSearch,
            {
                "id": search_id,
                "account_id": ctx.id,
                "name": name,
                "query": json.dumps(query, ensure_ascii=False),
                "created_at": created_at,
            },
        )
        matching = [i for i in ctx.influencers if matches(i, query)]
        others = [i for i in ctx.influencers if not matches(i, query)]
        rng.shuffle(matching)
        rng.shuffle(others)
        size = min(len(ctx.influencers), rng.randint(5, 30))
        score = rng.uniform(0.86, 0.99)
        for rank, influencer in enumerate((matching + others)[:size], start=1):
            self.draft.add(
                SearchResult,
                {
                    "search_id": search_id,
                    "influencer_id": influencer["id"],
                    "rank": rank,
                    "score": round(score, 4),
                },
            )
            score = max(0.05, score - rng.uniform(0.004, 0.04))

    def lists(self, ctx: AccountContext, count: int) -> None:
        rng = self.rng
        for name in rng.sample(LIST_NAMES, min(count, len(LIST_NAMES))):
            created_at = self.draft.between(ctx.created_at, ctx.data_end)
            row = {
                "id": self.draft.new_id(InfluencerList),
                "account_id": ctx.id,
                "name": name.format(
                    season=rng.choice(SEASONS), year=created_at.year + rng.randint(0, 1)
                ),
                "created_at": created_at,
            }
            self.draft.add(InfluencerList, row)
            ctx.lists.append(row)
            size = min(len(ctx.influencers), rng.randint(3, 15))
            for influencer in rng.sample(ctx.influencers, size):
                since = max(created_at, influencer["unlocked_at"])
                added = since + dt.timedelta(seconds=rng.randint(60, 7 * 86400))
                self.draft.add(
                    ListMember,
                    {
                        "list_id": row["id"],
                        "influencer_id": influencer["id"],
                        "added_at": min(added, ctx.data_end),
                    },
                )

    def _campaign_status(self, ctx: AccountContext) -> str:
        if ctx.period_start is None:  # ended accounts only have finished campaigns
            return "completed"
        return self.rng.choices(("completed", "active", "planned"), (55, 25, 20))[0]

    def _campaign_dates(self, ctx: AccountContext, status: str) -> tuple[dt.date, dt.date] | None:
        rng = self.rng
        first = ctx.created_at.date() + dt.timedelta(days=7)
        day = dt.timedelta(days=1)
        if status == "completed":
            last_end = min(self.draft.today - day, ctx.data_end.date())
            if (last_end - first).days < 14:
                return None
            end = self.draft.day_between(first + 14 * day, last_end)
            return max(first, end - rng.randint(14, 75) * day), end
        if status == "active":
            start = self.draft.day_between(
                max(first, self.draft.today - 60 * day), self.draft.today
            )
            return start, self.draft.today + rng.randint(7, 60) * day
        start = self.draft.today + rng.randint(5, 60) * day
        return start, start + rng.randint(14, 60) * day

    def campaigns(self, ctx: AccountContext, statuses: tuple[str, ...]) -> None:
        rng = self.rng
        for status in statuses:
            dates = self._campaign_dates(ctx, status)
            if dates is None:
                continue
            campaign_id = self.draft.new_id(Campaign)
            size = min(len(ctx.influencers), rng.randint(2, 8))
            figures = [
                self._performance(campaign_id, influencer, status)
                for influencer in rng.sample(ctx.influencers, size)
            ]
            spend = sum(row["cost_cents"] for row in figures)
            budget = max(50_000, math.ceil(spend * rng.uniform(1.05, 1.5) / 10_000) * 10_000)
            row = {
                "id": campaign_id,
                "account_id": ctx.id,
                "name": self._campaign_name(dates[0]),
                "status": status,
                "start_date": dates[0],
                "end_date": dates[1],
                "budget_cents": budget,
                "currency": CURRENCY,
            }
            self.draft.add(Campaign, row)
            self.draft.rows[CampaignInfluencer].extend(figures)
            ctx.campaigns.append(row)

    def _campaign_name(self, start: dt.date) -> str:
        seasonal = next(names for months, names in CAMPAIGN_THEMES if start.month in months)
        anytime = CAMPAIGN_THEMES[-1][1]
        return f"{self.rng.choice(seasonal + anytime)} {start.year}"

    def _performance(self, campaign_id: int, influencer: Row, status: str) -> Row:
        """Figures that hang together: clicks <= engagements <= impressions, reach <= them."""
        rng = self.rng
        followers = influencer["followers"]
        planned_posts = rng.randint(1, 6)
        fee = max(5_000, round(followers * rng.uniform(0.6, 1.6) / 100) * 100)
        posts = {"planned": 0, "active": rng.randint(0, planned_posts)}.get(status, planned_posts)
        row = {
            "campaign_id": campaign_id,
            "influencer_id": influencer["id"],
            "posts": posts,
            "reach": 0,
            "impressions": 0,
            "engagements": 0,
            "clicks": 0,
            "conversions": 0,
            "cost_cents": fee * planned_posts,
        }
        if posts:
            reach = int(followers * rng.uniform(0.12, 0.4) * (1 + 0.35 * (posts - 1)))
            impressions = int(reach * rng.uniform(1.15, 2.4))
            rate = influencer["engagement_rate"] / 100 * rng.uniform(0.7, 1.3)
            engagements = min(impressions, int(impressions * rate))
            clicks = int(engagements * rng.uniform(0.02, 0.12))
            conversions = int(clicks * rng.uniform(0.01, 0.09))
            row.update(
                reach=reach,
                impressions=impressions,
                engagements=engagements,
                clicks=clicks,
                conversions=conversions,
            )
        return row

    def reports(self, ctx: AccountContext, kinds: tuple[str, ...]) -> None:
        rng = self.rng
        campaigns = [c for c in ctx.campaigns if c["status"] != "planned"]
        for kind in kinds:
            campaign = None
            if kind == "campaign" and campaigns:
                campaign = campaigns.pop(0)
                start = max(day_at(campaign["start_date"]), ctx.created_at)
                title = f"{campaign['name']} — performance report"
            elif kind == "competitor":
                start = ctx.created_at
                title = f"Competitor benchmark: {rng.choice(COMPETITOR_BRANDS)}"
            else:
                kind, start = "audience", ctx.created_at
                topic = rng.choice(ctx.lists)["name"] if ctx.lists else rng.choice(CATEGORIES)
                title = f"Audience analysis: {topic}"
            self.draft.add(
                Report,
                {
                    "account_id": ctx.id,
                    "campaign_id": campaign["id"] if campaign else None,
                    "title": title,
                    "kind": kind,
                    "created_at": self.draft.between(min(start, ctx.data_end), ctx.data_end),
                },
            )
