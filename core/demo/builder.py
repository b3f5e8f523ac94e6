"""One seeding's rows, built in memory in a fixed order from one random generator: the demo
logins, the retention playbook (two published versions and a running experiment) and the demo
customer's agency first, then the generated accounts, each with its people, its content and
maybe a cancellation flow (and, for a customer saved then, maybe a later one that cancels)."""

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
from core.rules import billing
from core.rules.vocabulary import (
    OFFER_KIND_CUSTOM_PLAN,
    OFFER_KIND_DOWNGRADE,
    OFFER_KIND_PAUSE,
    OUTCOME_COMPLETED,
    STATUS_PURGED,
)

from .accounts import AccountFacts, Accounts
from .answers import FLOW_SHARE
from .content import Content
from .draft import Draft, Existing, Row, day_at
from .flows import FlowFacts, Flows
from .logins import DEMO_CUSTOMER_EMAIL, DEMO_CUSTOMER_NAME, DEMO_CUSTOMER_PASSWORD
from .people import People
from .playbook import NEVER, add_rows, cycles_kept
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
        self.records = Records(self.draft)
        self.flows: Flows | None = None  # once the playbook is there (build)

    @property
    def rows(self) -> dict[type[Base], list[Row]]:
        return self.draft.rows

    def build(self, accounts: int) -> None:
        """The demo logins (unless they exist already), then the generated accounts."""
        self.people.admin()
        self.flows = Flows(self.draft, self.records, add_rows(self.draft))
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
        assert self.flows is not None
        draft = self.draft
        facts = self.accounts.facts()
        account_id = draft.next_ids[Account]  # the id `accounts.account` will give it
        flow = self.flows.facts(facts, account_id) if draft.rng.random() < FLOW_SHARE else None
        later = self._later(facts, account_id, flow) if flow and flow.kind else None
        last = later or flow
        cancelled_at = last.finished_at if last and last.outcome == OUTCOME_COMPLETED else None
        fate = self.accounts.fate(facts, cancelled_at)
        if fate.status == STATUS_PURGED:  # only the anonymised flow is left
            if flow is not None:
                self.flows.rows(flow, facts, fate, None, None)
            return
        ctx = self.accounts.account(facts, fate)
        seats = facts.plan.seats_limit
        if flow and flow.taken and flow.taken.kind == OFFER_KIND_DOWNGRADE:
            seats = min(seats, draft.plans[flow.taken.plan_code].seats_limit)
        users = self.people.account_users(
            ctx.id,
            ctx.home,
            f"{facts.slug}.example",
            facts.country,
            seats,
            facts.created_at,
            ctx.data_end,
        )
        ctx.users = len(users)
        self.content.generated(ctx, facts.plan)
        if flow is None:
            return
        if flow.taken and flow.taken.kind != OFFER_KIND_CUSTOM_PLAN:
            self.accounts.carry_offer(ctx, facts, fate, flow.taken, flow.finished_at.date())
        self.flows.rows(flow, facts, fate, ctx, users[0])
        if later is not None:
            revenue = billing.monthly_equivalent_cents(
                ctx.subscription["price_cents"], facts.interval
            )
            plan = next(p for p in draft.plans.values() if p.id == ctx.subscription["plan_id"])
            self.flows.rows(
                later, facts, fate, ctx, users[0], revenue_cents=revenue, plan_code=plan.code
            )

    def _later(self, facts: AccountFacts, account_id: int, saved: FlowFacts) -> FlowFacts | None:
        """The cancellation of a saved customer who leaves after all: after the invoices they
        pay once saved (`playbook.cycles_kept`: a pause keeps them best), during the next
        cycle; None if they are still with us (or their data would be purged by now: the
        demo keeps saved customers' accounts)."""
        assert self.flows is not None and saved.kind is not None
        rng, now = self.draft.rng, self.draft.now
        if facts.interval != billing.MONTH:
            return None  # a yearly customer's next cycles lie beyond the demo's year
        paid = cycles_kept(rng, saved.kind)
        if paid == NEVER:
            return None
        saved_on = saved.finished_at.date()
        resumes = billing.period_containing(facts.anchor, facts.interval, saved_on)[1]
        if saved.taken and saved.taken.kind == OFFER_KIND_PAUSE:
            resumes = billing.add_months(resumes, saved.taken.cycles)
            paid = max(paid, 1)  # they leave once the pause is over
        if paid == 0:
            start, end = saved.finished_at + dt.timedelta(days=1), day_at(resumes, 0)
        else:
            cycle = billing.add_months(resumes, paid - 1)
            start, end = day_at(cycle, 8), day_at(billing.add_months(cycle, 1), 0)
        if end - start < dt.timedelta(days=2):
            return None
        started_at = self.draft.between(start, end - dt.timedelta(days=1)).replace(microsecond=0)
        if started_at > now - dt.timedelta(hours=6):
            return None
        if self.accounts.fate(facts, started_at).status == STATUS_PURGED:
            return None
        return self.flows.later(facts, account_id, saved, started_at)
