"""The number of influencers "in lists or campaigns" that the Export data page shows, the rows
the export's plan announces and the rows of the file are the same, on hand-worked data: an
influencer in a list, in two lists, in a campaign, in two campaigns, in a list and a campaign,
in neither, deleted, in a deleted list or campaign only, and another account's beside them (on
SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete

from core.customers import accounts
from core.exports import access, services
from core.exports.request import ExportRequest
from core.platform.db import Database
from core.platform.models import (
    Campaign,
    CampaignInfluencer,
    Influencer,
    InfluencerList,
    ListMember,
)
from tests.support import factories
from tests.support.env import NOW
from tests.support.exports import T0, read_csv

LISTED = ExportRequest("influencers", "csv", columns=("name",), scope="lists-campaigns")
EVERYONE = ExportRequest("influencers", "csv", columns=("name",), scope="all")


def fill(db: Database, account_id: int, members: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """The account's influencers (by name), each in the lists (L...) and campaigns (C...) named;
    returns the ids of the influencers, lists and campaigns by name."""
    ids: dict[str, int] = {}
    with db.transaction() as s:
        for name, places in members.items():
            row = factories.influencer(account_id, name, T0)
            s.add(row)
            s.flush()
            ids[name] = row.id
            for place in places:
                if place not in ids and place.startswith("L"):
                    lst = InfluencerList(account_id=account_id, name=place, created_at=T0)
                    s.add(lst)
                    s.flush()
                    ids[place] = lst.id
                elif place not in ids:
                    camp = Campaign(
                        account_id=account_id,
                        name=place,
                        status="active",
                        start_date=dt.date(2026, 1, 1),
                        end_date=dt.date(2026, 2, 1),
                        budget_cents=1000,
                    )
                    s.add(camp)
                    s.flush()
                    ids[place] = camp.id
                if place.startswith("L"):
                    s.add(ListMember(list_id=ids[place], influencer_id=row.id, added_at=T0))
                else:
                    s.add(CampaignInfluencer(campaign_id=ids[place], influencer_id=row.id))
    return ids


def listed_names(db: Database, email: str) -> list[str]:
    content, _ = services.export_bytes(db, access.actor_for_email(db, email), LISTED, now=NOW)
    _header, rows = read_csv(content)
    return sorted(row[0] for row in rows)


def test_the_count_of_listed_influencers_is_the_rows_exported(db):
    plan_id = factories.plan(db)
    alice = factories.customer(db, "alice@example.com", plan_id, now=NOW)
    bob = factories.customer(db, "bob@example.com", plan_id, now=NOW, company="Bob Ltd")
    ids = fill(
        db,
        alice.account_id,
        {
            "in one list": ("L1",),
            "in two lists": ("L1", "L2"),
            "in one campaign": ("C1",),
            "in two campaigns": ("C1", "C2"),
            "in a list and a campaign": ("L2", "C2"),
            "in every list and campaign": ("L1", "L2", "C1", "C2"),
            "in neither": (),
            "deleted": ("L1", "C1"),
            "only in a deleted list": ("L3",),
            "only in a deleted campaign": ("C3",),
        },
    )
    fill(
        db,
        bob.account_id,
        {"bob's listed": ("L9", "C9"), "bob's in a list": ("L8",), "bob's unlisted": ()},
    )
    with db.transaction() as s:  # the foreign keys take the memberships away with them
        s.execute(delete(Influencer).where(Influencer.id == ids["deleted"]))
        s.execute(delete(InfluencerList).where(InfluencerList.id == ids["L3"]))
        s.execute(delete(Campaign).where(Campaign.id == ids["C3"]))

    expected = [
        "in a list and a campaign",
        "in every list and campaign",
        "in one campaign",
        "in one list",
        "in two campaigns",
        "in two lists",
    ]
    assert listed_names(db, alice.email) == expected
    actor = access.actor_for_email(db, alice.email)
    options = services.export_options(db, actor, now=NOW)
    assert options.influencers_listed == len(expected) == 6
    assert options.influencers == 9  # ten made, one deleted
    assert services.plan_export(db, actor, LISTED, now=NOW).rows == 6
    assert services.plan_export(db, actor, EVERYONE, now=NOW).rows == 9

    assert listed_names(db, bob.email) == ["bob's in a list", "bob's listed"]
    bobs = services.export_options(db, access.actor_for_email(db, bob.email), now=NOW)
    assert (bobs.influencers, bobs.influencers_listed) == (3, 2)


def test_an_account_without_lists_or_campaigns_has_none_listed(db):
    plan_id = factories.plan(db)
    alice = factories.customer(db, "alice@example.com", plan_id, now=NOW)
    fill(db, alice.account_id, {"alone": (), "also alone": ()})
    actor = access.actor_for_email(db, alice.email)
    options = services.export_options(db, actor, now=NOW)
    assert (options.influencers, options.influencers_listed) == (2, 0)
    assert listed_names(db, alice.email) == []


def test_the_pages_data_cards_count_what_the_account_page_counts(db):
    plan_id = factories.plan(db)
    alice = factories.customer(db, "alice@example.com", plan_id, now=NOW)
    fill(db, alice.account_id, {"a": ("L1", "C1"), "b": ("L2",), "c": ()})
    actor = access.actor_for_email(db, alice.email)
    shown = services.export_options(db, actor, now=NOW).counts()
    assert shown == accounts.data_counts(db, actor)
    assert (shown.influencers, shown.lists, shown.campaigns) == (3, 2, 1)
