"""Small, explicit rows for tests that need one customer or two, not the whole demo."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import update

from core.identity.passwords import hash_password
from core.platform.db import Database
from core.platform.models import Account, Influencer, Plan, Subscription, User
from core.rules import billing
from core.rules.vocabulary import ROLE_ADMIN, ROLE_CUSTOMER, STATUS_ENDED

PASSWORD = "correct horse battery"
_HASH = hash_password(PASSWORD, fast=True)


@dataclass(frozen=True)
class Made:
    account_id: int | None
    user_id: int
    email: str


def influencer(account_id: int, name: str, unlocked_at: dt.datetime) -> Influencer:
    """An influencer of the account (handle and name `name`), unlocked at `unlocked_at`;
    the caller adds it to its session."""
    return Influencer(
        account_id=account_id,
        handle=name,
        name=name,
        platform="instagram",
        followers=1,
        engagement_rate=1.0,
        country="IT",
        unlocked_at=unlocked_at,
    )


def plan(db: Database, code: str = "growth", cents: int = 24900) -> int:
    with db.transaction() as s:
        p = Plan(
            code=code,
            name=code.title(),
            monthly_price_cents=cents,
            currency="USD",
            searches_limit=500,
            unlocks_limit=300,
            seats_limit=3,
            campaigns_limit=5,
            lists_limit=20,
        )
        s.add(p)
        s.flush()
        return p.id


def customer(
    db: Database,
    email: str,
    plan_id: int,
    *,
    now: dt.datetime,
    start: dt.date | None = None,
    interval: str = "month",
    company: str = "Acme Srl",
) -> Made:
    start = start or (now.date() - dt.timedelta(days=40))
    period_start, period_end = billing.period_containing(start, interval, now.date())
    with db.transaction() as s:
        account = Account(company=company, country="IT", created_at=now - dt.timedelta(days=40))
        s.add(account)
        s.flush()
        p = s.get(Plan, plan_id)
        s.add(
            Subscription(
                account_id=account.id,
                plan_id=plan_id,
                billing_interval=interval,
                price_cents=billing.interval_price_cents(p.monthly_price_cents, interval),
                currency="USD",
                status="active",
                started_at=dt.datetime.combine(start, dt.time(), dt.UTC),
                current_period_start=period_start,
                current_period_end=period_end,
            )
        )
        user = User(
            account_id=account.id,
            email=email,
            full_name="Test User",
            password_hash=_HASH,
            role=ROLE_CUSTOMER,
            created_at=now,
        )
        s.add(user)
        s.flush()
        return Made(account.id, user.id, email)


def end_subscription(db: Database, account_id: int, ended_on: dt.date) -> None:
    """The account's subscription ended on that day (its last cycle ended then too), as the
    lifecycle job leaves it."""
    with db.transaction() as s:
        s.execute(
            update(Subscription)
            .where(Subscription.account_id == account_id)
            .values(status=STATUS_ENDED, ended_on=ended_on, current_period_end=ended_on)
        )


def admin(db: Database, email: str, *, now: dt.datetime) -> Made:
    with db.transaction() as s:
        user = User(
            account_id=None,
            email=email,
            full_name="Admin",
            password_hash=_HASH,
            role=ROLE_ADMIN,
            created_at=now,
        )
        s.add(user)
        s.flush()
        return Made(None, user.id, email)


def shop(
    db: Database, *, now: dt.datetime, start: dt.date | None = None, with_bob: bool = False
) -> tuple[Made, dict]:
    """Alice, a customer on the growth plan, and the admin boss (and Bob of Bob Ltd, another
    customer on the same plan, when asked), each signed in: (alice, {"alice": user, ...})."""
    from core.identity import auth

    plan_id = plan(db, "growth", 24900)
    alice = customer(db, "alice@example.com", plan_id, now=now, start=start)
    if with_bob:
        customer(db, "bob@example.com", plan_id, now=now, company="Bob Ltd")
    admin(db, "boss@example.com", now=now)
    who = ("alice", "bob", "boss") if with_bob else ("alice", "boss")
    users = {w: auth.sign_in(db, f"{w}@example.com", PASSWORD, now=now).user for w in who}
    return alice, users
