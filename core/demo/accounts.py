"""The demo's customer accounts: a company in a country, its plan and billing interval, where its
subscription stands today (active, paused, cancelled to the end of its cycle, ended, or purged),
an invoice for every billing cycle begun so far, and what a retention offer taken did to them
(a pause without invoices, discounted invoices, a cheaper plan), as the lifecycle job does it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from core.platform.models import Account, Invoice, Plan, Subscription
from core.rules import billing
from core.rules.offers import Offer, discounted_cents, pause_until
from core.rules.vocabulary import (
    OFFER_KIND_DISCOUNT,
    OFFER_KIND_DOWNGRADE,
    OFFER_KIND_PAUSE,
    STATUS_ACTIVE,
    STATUS_ENDED,
    STATUS_PAUSED,
    STATUS_PURGED,
    STATUS_SCHEDULED,
)

from .draft import Draft, Row, day_at
from .logins import DEMO_COMPANY
from .names import ACCOUNT_COUNTRIES, HOME_CULTURE, slug
from .plans import CURRENCY, PLAN_CODES, PLAN_WEIGHTS
from .pools import AGENCY_FORMS, BRAND_FORMS, COMPANY_LANGUAGE, COMPANY_ROOTS


@dataclass
class AccountFacts:
    """What is decided about an account before any of its rows is built."""

    company: str
    slug: str
    country: str
    created_at: dt.datetime
    plan: Plan
    interval: str

    @property
    def started_at(self) -> dt.datetime:  # the subscription starts right after sign-up
        return self.created_at + dt.timedelta(minutes=17)

    @property
    def anchor(self) -> dt.date:
        return self.started_at.date()

    @property
    def price_cents(self) -> int:
        return billing.interval_price_cents(self.plan.monthly_price_cents, self.interval)


@dataclass(frozen=True)
class Fate:
    """Where the subscription stands at `now`."""

    status: str
    period: tuple[dt.date, dt.date]
    effective_on: dt.date | None = None  # the end of access, for completed cancellations


@dataclass
class AccountContext:
    """An account being filled with data."""

    id: int
    home: str | None  # the culture most of its people come from
    created_at: dt.datetime
    data_end: dt.datetime  # nothing happens after this (now, or the end of access)
    period_start: dt.date | None  # of the current billing cycle; None once ended
    subscription: Row
    users: int = 0  # the customer users it has
    invoices: list[Row] = field(default_factory=list)
    influencers: list[Row] = field(default_factory=list)
    lists: list[Row] = field(default_factory=list)
    campaigns: list[Row] = field(default_factory=list)


class Accounts:
    """Builds accounts with their subscription and invoices."""

    def __init__(self, draft: Draft) -> None:
        self.draft = draft
        self.rng = draft.rng
        self.companies = draft.existing.companies | {DEMO_COMPANY}
        self.slugs = {slug(company, "-") for company in self.companies}

    def demo_customer_facts(self) -> tuple[AccountFacts, Fate]:
        """The demo customer's agency: about fourteen months old, on Growth, monthly, active,
        its current cycle ending in about twelve days."""
        today = self.draft.today
        anchor = billing.add_months(today + dt.timedelta(days=12), -14)
        facts = AccountFacts(
            DEMO_COMPANY,
            "lumiere-co",
            "IT",
            day_at(anchor, 9, 13),
            self.draft.plans["growth"],
            billing.MONTH,
        )
        return facts, Fate(STATUS_ACTIVE, billing.period_containing(anchor, billing.MONTH, today))

    def facts(self) -> AccountFacts:
        """A generated account: country, company, age (up to three years), plan, interval."""
        rng = self.rng
        countries, weights = zip(*ACCOUNT_COUNTRIES, strict=True)
        country = rng.choices(countries, weights)[0]
        company, company_slug = self._company(country)
        age = dt.timedelta(days=rng.uniform(10, 3 * 365), seconds=rng.randint(0, 86399))
        created_at = (self.draft.now - age).replace(microsecond=0)
        plan_code = rng.choices(PLAN_CODES, PLAN_WEIGHTS)[0]
        interval = billing.YEAR if rng.random() < 0.25 else billing.MONTH
        plan = self.draft.plans[plan_code]
        return AccountFacts(company, company_slug, country, created_at, plan, interval)

    def _company(self, country: str) -> tuple[str, str]:
        rng = self.rng
        language = COMPANY_LANGUAGE.get(country, "en")
        for attempt in range(60):
            if attempt == 20:  # this country's names are used up: borrow English ones
                language = "en"
            forms = AGENCY_FORMS[language] if rng.random() < 0.45 else BRAND_FORMS
            name = rng.choice(forms).format(rng.choice(COMPANY_ROOTS[language]))
            if attempt >= 40:
                name = f"{name} {rng.randint(2, 99)}"
            name_slug = slug(name, "-")
            if name not in self.companies and name_slug not in self.slugs:
                self.companies.add(name)
                self.slugs.add(name_slug)
                return name, name_slug
        raise RuntimeError("ran out of company names")  # pragma: no cover

    def fate(self, facts: AccountFacts, finished_at: dt.datetime | None) -> Fate:
        """Where the subscription stands today; `finished_at`: when its owner completed a
        cancellation, if they did."""
        today = self.draft.today
        current = billing.period_containing(facts.anchor, facts.interval, today)
        if finished_at is None:
            return Fate(STATUS_ACTIVE, current)
        at_flow = billing.period_containing(facts.anchor, facts.interval, finished_at.date())
        effective_on = at_flow[1]
        if effective_on > today:  # still inside the cycle in which they cancelled
            return Fate(STATUS_SCHEDULED, current, effective_on)
        if today < billing.data_deletion_date(effective_on):
            return Fate(STATUS_ENDED, at_flow, effective_on)
        return Fate(STATUS_PURGED, at_flow, effective_on)

    def account(self, facts: AccountFacts, fate: Fate) -> AccountContext:
        """The account, its subscription and its invoices."""
        draft = self.draft
        account_id = draft.new_id(Account)
        draft.add(
            Account,
            {
                "id": account_id,
                "company": facts.company,
                "country": facts.country,
                "created_at": facts.created_at,
            },
        )
        ended = fate.status == STATUS_ENDED
        sub = draft.add(
            Subscription,
            {
                "id": draft.new_id(Subscription),
                "account_id": account_id,
                "plan_id": facts.plan.id,
                "billing_interval": facts.interval,
                "price_cents": facts.price_cents,
                "currency": CURRENCY,
                "status": fate.status,
                "started_at": facts.started_at,
                "current_period_start": fate.period[0],
                "current_period_end": fate.period[1],
                "cancel_requested_at": None,
                "ended_on": fate.effective_on if ended else None,
                # what an offer taken leaves for the lifecycle job (see carry_offer)
                "pause_cycles": None,
                "paused_until": None,
                "discount_percent": None,
                "discount_cycles_left": None,
                "next_plan_code": None,
            },
        )
        invoices = self._invoices(account_id, facts, fate)
        data_end = min(draft.now, day_at(fate.period[1], 0)) if ended else draft.now
        return AccountContext(
            id=account_id,
            home=HOME_CULTURE.get(facts.country),
            created_at=facts.created_at,
            data_end=data_end,
            period_start=None if ended else fate.period[0],
            subscription=sub,
            invoices=invoices,
        )

    def _invoices(self, account_id: int, facts: AccountFacts, fate: Fate) -> list[Row]:
        """One invoice per billing cycle begun so far, numbered as the lifecycle job does."""
        months = billing.period_months(facts.interval)
        today = self.draft.today
        out: list[Row] = []
        n = 0
        while (start := billing.add_months(facts.anchor, n * months)) <= fate.period[0]:
            end = billing.add_months(facts.anchor, (n + 1) * months)
            recent = start == fate.period[0] and (today - start).days < 4
            is_open = recent and fate.status == STATUS_ACTIVE
            invoice = self.draft.add(
                Invoice,
                {
                    "account_id": account_id,
                    "number": billing.invoice_number(account_id, start),
                    "issued_on": start,
                    "period_start": start,
                    "period_end": end,
                    "amount_cents": facts.price_cents,
                    "currency": CURRENCY,
                    "status": "open" if is_open else "paid",
                },
            )
            out.append(invoice)
            n += 1
        return out

    def carry_offer(
        self, ctx: AccountContext, facts: AccountFacts, fate: Fate, offer: Offer, saved_on: dt.date
    ) -> None:
        """What an offer taken on `saved_on` did from the next cycle on, as the lifecycle job
        carries it out: a pause drops the invoices of the paused cycles (and the subscription
        is paused, or waits to be, today); a discount lowers the next invoices; a downgrade
        prices the next invoices at the cheaper plan and moves the subscription to it."""
        draft, sub, today = self.draft, ctx.subscription, self.draft.today
        running = fate.status == STATUS_ACTIVE
        next_cycle = billing.period_containing(facts.anchor, facts.interval, saved_on)[1]
        later = [i for i in ctx.invoices if i["period_start"] >= next_cycle]
        if offer.kind == OFFER_KIND_PAUSE:
            until = pause_until(next_cycle, facts.interval, offer.cycles)
            paused = [i for i in later if i["period_start"] < until]
            for invoice in paused:  # cycles without an invoice
                ctx.invoices.remove(invoice)
                draft.rows[Invoice].remove(invoice)
            if running and today < until:
                sub.update(pause_cycles=offer.cycles, paused_until=until)
                if today >= next_cycle:
                    sub.update(
                        status=STATUS_PAUSED,
                        current_period_start=next_cycle,
                        current_period_end=until,
                    )
        elif offer.kind == OFFER_KIND_DISCOUNT:
            for invoice in later[: offer.cycles]:
                invoice["amount_cents"] = discounted_cents(facts.price_cents, offer.percent)
            left = offer.cycles - len(later[: offer.cycles])
            if running and left > 0:
                sub.update(discount_percent=offer.percent, discount_cycles_left=left)
        elif offer.kind == OFFER_KIND_DOWNGRADE:
            plan = draft.plans[offer.plan_code]
            price = billing.interval_price_cents(plan.monthly_price_cents, facts.interval)
            for invoice in later:
                invoice["amount_cents"] = price
            if today >= next_cycle:
                sub.update(plan_id=plan.id, price_cents=price)
            elif running:
                sub.update(next_plan_code=plan.code)
