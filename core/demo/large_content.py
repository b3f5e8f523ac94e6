"""The large agency's data, for the benchmarks: a million influencers drawn with numpy in
chunks, and the searches, lists, campaigns and reports that pick thousands of them each."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

from sqlalchemy.orm import Session

from core.platform.models import Campaign, InfluencerList, Report, SavedSearch

from .names import CULTURES, draw_person, slug
from .plans import CURRENCY
from .pools import (
    CATEGORIES,
    EMAIL_DOMAINS,
    EMOJI,
    EMOJI_SHARE,
    INFLUENCER_NOTES,
    LIST_NAMES,
    PLATFORM_WEIGHTS,
    PLATFORMS,
    SEASONS,
)
from .writer import INFLUENCER_COLUMNS, PERFORMANCE_COLUMNS, bulk, stamp

CHUNK = 50_000  # rows drawn and written at a time, so memory stays flat
# Notes a spreadsheet would take for formulas, or that break naive CSV: the exports must cope.
HOSTILE_NOTES = (
    '=HYPERLINK("http://evil.example","click")',
    "+39 02 555 0100, ask for Marta",
    "-20% if booked before March",
    '@agency: "exclusive"; renew yearly',
    "\tindented note",
    "'quoted' in the brief",
    "line one\nline two",
)


class LargeAgency:
    """Writes one agency's influencers and what picks them, straight into the session."""

    def __init__(self, session: Session, account_id: int, rng: Any, now: dt.datetime) -> None:
        self.session = session
        self.account_id = account_id
        self.rng = rng  # numpy's generator
        self.now = now
        self.stamp = stamp(session.get_bind().dialect.name)
        self.py = random.Random(int(rng.integers(1 << 30)))

    def fill(self, first_id: int, count: int) -> tuple[int, int, int]:
        """`count` influencers from id `first_id`, then searches, lists, campaigns, reports;
        returns the search results, list members and campaign members written."""
        import numpy as np

        self._influencers(first_id, count)
        if not count:
            return 0, 0, 0
        ids = np.arange(first_id, first_id + count)
        results = self._searches(ids, 25, min(count, 4_000))
        members = self._lists(ids, 40, min(count, 2_500))
        performers = self._campaigns(ids, 12, min(count, 800))
        self._reports()
        return results, members, performers

    def _people(self) -> list[tuple[str, str, str]]:
        """A pool of (name, handle stem, country), cultures in proportion to their weight."""
        py = self.py
        people = []
        for culture in CULTURES:
            for _ in range(culture.weight * 40):
                person = draw_person(py, culture)
                name = person.name
                if py.random() < EMOJI_SHARE:
                    name = f"{name} {py.choice(EMOJI)}"
                stem = f"{slug(person.first_roman)}.{person.last_roman}"[:20]
                people.append((name, stem, py.choice(culture.countries)))
        return people

    def _influencers(self, first_id: int, count: int) -> None:
        import numpy as np

        rng, py, stamp_of = self.rng, self.py, self.stamp
        people = self._people()
        categories = ["; ".join(py.sample(CATEGORIES, py.randint(1, 3))) for _ in range(400)]
        notes = list(INFLUENCER_NOTES) + list(HOSTILE_NOTES)
        start = (self.now - dt.timedelta(days=900)).timestamp()
        span = self.now.timestamp() - 3600 - start
        for low in range(0, count, CHUNK):
            n = min(CHUNK, count - low)
            who = rng.integers(len(people), size=n)
            platform = rng.choice(len(PLATFORMS), size=n, p=np.array(PLATFORM_WEIGHTS) / 100)
            followers = np.clip(np.exp(rng.normal(np.log(25_000), 1.6, size=n)), 1_000, 5_000_000)
            rate = 7.5 * (followers / 5_000) ** -0.22 * np.exp(rng.normal(0, 0.35, size=n))
            rate = np.round(np.clip(rate, 0.5, 12.0), 2)
            category = rng.integers(len(categories), size=n)
            email = rng.random(n) < 0.8
            note_pick = rng.integers(len(notes), size=n)
            note_on = rng.random(n) < 0.3
            seconds = np.floor(start + rng.random(n) * span)
            micros = np.where(rng.random(n) < 0.1, rng.integers(1, 1_000_000, size=n), 0)
            rows = []
            for j in range(n):
                i = first_id + low + j
                name, stem, country = people[who[j]]
                handle = f"{stem}{i}"
                rows.append(
                    (
                        i,
                        self.account_id,
                        handle,
                        name,
                        PLATFORMS[platform[j]],
                        int(followers[j]),
                        float(rate[j]),
                        country,
                        categories[category[j]],
                        f"{handle}@{EMAIL_DOMAINS[i % len(EMAIL_DOMAINS)]}" if email[j] else "",
                        notes[note_pick[j]] if note_on[j] else "",
                        stamp_of(seconds[j] + micros[j] / 1e6),
                    )
                )
            bulk(self.session, "influencers", INFLUENCER_COLUMNS, rows)

    def _days_ago(self, most: int) -> dt.datetime:
        return self.now - dt.timedelta(days=self.py.randint(1, most))

    def _searches(self, ids: Any, searches: int, per_search: int) -> int:
        import numpy as np

        py = self.py
        for k in range(searches):
            search = SavedSearch(
                account_id=self.account_id,
                name=f"{py.choice(CATEGORIES).title()} · {py.choice(('IT', 'ES', 'US'))} #{k + 1}",
                query=json.dumps({"categories": [py.choice(CATEGORIES)], "min_followers": 1000}),
                created_at=self._days_ago(700),
            )
            self.session.add(search)
            self.session.flush()
            chosen = self.rng.choice(ids, size=per_search, replace=False)
            score = np.round(np.sort(self.rng.random(per_search))[::-1], 4)
            bulk(
                self.session,
                "search_results",
                ("search_id", "influencer_id", "rank", "score"),
                [(search.id, int(chosen[r]), r + 1, float(score[r])) for r in range(per_search)],
            )
        return searches * per_search

    def _lists(self, ids: Any, lists: int, per_list: int) -> int:
        py = self.py
        added = self.stamp(self.now.timestamp() - 86400 * 30)
        for k in range(lists):
            name = py.choice(LIST_NAMES).format(season=py.choice(SEASONS), year=self.now.year)
            lst = InfluencerList(
                account_id=self.account_id, name=f"{name} #{k + 1}", created_at=self._days_ago(700)
            )
            self.session.add(lst)
            self.session.flush()
            chosen = self.rng.choice(ids, size=per_list, replace=False)
            bulk(
                self.session,
                "list_members",
                ("list_id", "influencer_id", "added_at"),
                [(lst.id, int(i), added) for i in chosen],
            )
        return lists * per_list

    def _campaigns(self, ids: Any, campaigns: int, per_campaign: int) -> int:
        py, now = self.py, self.now
        for k in range(campaigns):
            start_day = now.date() - dt.timedelta(days=30 * (k + 1))
            campaign = Campaign(
                account_id=self.account_id,
                name=f"{py.choice(SEASONS)} push {now.year - k // 4} #{k + 1}",
                status="completed" if k else "active",
                start_date=start_day,
                end_date=start_day + dt.timedelta(days=45),
                budget_cents=py.randint(50, 500) * 100_000,
                currency=CURRENCY,
            )
            self.session.add(campaign)
            self.session.flush()
            chosen = self.rng.choice(ids, size=per_campaign, replace=False)
            reach = self.rng.integers(1_000, 400_000, size=per_campaign)
            rows = [
                (campaign.id, int(i), 2, int(r), int(r * 1.8), int(r * 0.05), int(r * 0.004),
                 int(r * 0.0002), 50_000)
                for i, r in zip(chosen, reach, strict=True)
            ]  # fmt: skip
            bulk(self.session, "campaign_influencers", PERFORMANCE_COLUMNS, rows)
        return campaigns * per_campaign

    def _reports(self) -> None:
        for kind in ("campaign", "audience", "audience", "competitor", "campaign", "audience"):
            self.session.add(
                Report(
                    account_id=self.account_id,
                    title=f"{kind.title()} report {self.py.randint(1, 99)}",
                    kind=kind,
                    created_at=self._days_ago(400),
                )
            )
        self.session.flush()
