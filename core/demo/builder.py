"""One seeding's rows, built in memory in a fixed order from one random generator: the demo
logins and the demo customer's agency first, then the generated accounts, each with its people,
its content and maybe a cancellation flow."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from core.identity.passwords import hash_password
from core.platform.models import (
    Account,
    Base,
    Campaign,
    CancellationFlow,
    Influencer,
    InfluencerList,
    Invoice,
    Plan,
    Report,
    SavedSearch,
    SurveyAnswer,
    User,
)
from core.rules.vocabulary import OUTCOME_COMPLETED, STATUS_PURGED

from .accounts import Accounts
from .answers import FLOW_SHARE
from .content import Content
from .draft import Draft, Existing, Row
from .flows import Flows
from .logins import DEMO_CUSTOMER_EMAIL, DEMO_CUSTOMER_NAME, DEMO_CUSTOMER_PASSWORD
from .people import People
from .records import Records


@dataclass(frozen=True)
class SeedSummary:
    """How many rows of each kind one seeding wrote."""

    accounts: int
    users: int
    influencers: int
    searches: int
    lists: int
    campaigns: int
    reports: int
    invoices: int
    flows: int
    survey_answers: int


class Builder:
    """Builds every row of one seeding; `rows` holds them by table once `build` has run."""

    def __init__(
        self,
        rng: random.Random,
        now: dt.datetime,
        plans: dict[str, Plan],
        existing: Existing,
        influencers_per_account: int,
    ) -> None:
        self.draft = Draft(rng, now, plans, existing)
        self.people = People(self.draft)
        self.accounts = Accounts(self.draft)
        self.content = Content(self.draft, self.people, influencers_per_account)
        self.flows = Flows(self.draft, Records(self.draft))

    @property
    def rows(self) -> dict[type[Base], list[Row]]:
        return self.draft.rows

    def build(self, accounts: int) -> None:
        """The demo logins (unless they exist already), then the generated accounts."""
        self.people.admin()
        if DEMO_CUSTOMER_EMAIL not in self.draft.emails:
            self._demo_customer_account()
        for _ in range(accounts):
            self._generated_account()

    def summary(self) -> SeedSummary:
        count = self.draft.count
        return SeedSummary(
            accounts=count(Account),
            users=count(User),
            influencers=count(Influencer),
            searches=count(SavedSearch),
            lists=count(InfluencerList),
            campaigns=count(Campaign),
            reports=count(Report),
            invoices=count(Invoice),
            flows=count(CancellationFlow),
            survey_answers=count(SurveyAnswer),
        )

    def _demo_customer_account(self) -> None:
        """Giulia Rossi's agency in Italy, with a colleague, and data in every category (an
        influencer of every culture among them), never a cancellation."""
        facts, fate = self.accounts.demo_customer_facts()
        ctx = self.accounts.account(facts, fate)
        password_hash = hash_password(DEMO_CUSTOMER_PASSWORD)
        created_at = facts.created_at
        people = self.people
        people.user(
            ctx.id, DEMO_CUSTOMER_NAME, DEMO_CUSTOMER_EMAIL, None, created_at, password_hash
        )
        colleague_since = created_at + dt.timedelta(days=40)
        people.user(ctx.id, "Luca Ferri", "luca.ferri@lumiere-co.example", "it", colleague_since)
        content = self.content
        content.influencers(ctx, 160, every_culture=True)
        content.searches(ctx, 7, in_period=3)
        content.lists(ctx, 5)
        content.campaigns(ctx, ("completed", "completed", "active", "planned"))
        content.reports(ctx, ("campaign", "campaign", "audience", "audience", "competitor"))

    def _generated_account(self) -> None:
        facts = self.accounts.facts()
        flow = self.flows.facts(facts) if self.draft.rng.random() < FLOW_SHARE else None
        cancelled_at = flow.finished_at if flow and flow.outcome == OUTCOME_COMPLETED else None
        fate = self.accounts.fate(facts, cancelled_at)
        if fate.status == STATUS_PURGED:  # only the anonymised flow is left
            if flow is not None:
                self.flows.rows(flow, facts, fate, None, None)
            return
        ctx = self.accounts.account(facts, fate)
        users = self.people.account_users(
            ctx.id,
            ctx.home,
            f"{facts.slug}.example",
            facts.country,
            facts.plan.seats_limit,
            facts.created_at,
            ctx.data_end,
        )
        ctx.users = len(users)
        self.content.generated(ctx, facts.plan)
        if flow is not None:
            self.flows.rows(flow, facts, fate, ctx, users[0])
