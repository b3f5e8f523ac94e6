"""Fixtures of the page tests (AppTest on a real SQLite file; the pages read the real clock)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from core.identity import auth
from core.platform.db import open_database
from core.platform.models import Account, CancellationFlow, Subscription, SurveyAnswer
from core.retention import cancellation, custom_plan, way_back
from core.retention.cancellation import ALL_CONSENTS, Survey
from core.rules.pricing import PlanConfig
from tests.support import factories
from tests.support.pages import NOW, TODAY


@pytest.fixture
def shop_site(tmp_path, monkeypatch):
    """alice cancels (too expensive), bob keeps his plan, dave asks for a custom plan,
    carol's subscription ended five days ago and she asks to come back."""
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    monkeypatch.setenv("PORTAL_DATABASE_URL", url)
    monkeypatch.setenv("PORTAL_DEMO_MODE", "0")
    db = open_database(url)
    growth = factories.plan(db, "growth", 24900)
    starter = factories.plan(db, "starter", 9900)
    made = {
        "alice": factories.customer(
            db, "alice@example.com", growth, now=NOW, company="Lumière Srl"
        ),
        "bob": factories.customer(db, "bob@example.com", starter, now=NOW, company="Bob Ltd"),
        "carol": factories.customer(db, "carol@example.com", growth, now=NOW, company="Carol Srl"),
        "dave": factories.customer(db, "dave@example.com", starter, now=NOW, company="Dave SpA"),
    }
    factories.admin(db, "boss@example.com", now=NOW)
    user = {w: auth.sign_in(db, f"{w}@example.com", factories.PASSWORD).user for w in made}

    flow = cancellation.start(db, user["alice"])
    answer = Survey("too_expensive", "", "Troppo caro per il nostro team", 2)
    cancellation.answer_survey(db, user["alice"], flow.flow_id, answer)
    cancellation.go_on(db, user["alice"], flow.flow_id)
    cancellation.confirm(db, user["alice"], flow.flow_id, ALL_CONSENTS)

    flow = cancellation.start(db, user["bob"])
    cancellation.answer_survey(db, user["bob"], flow.flow_id, Survey("missing_features", "TikTok"))
    cancellation.keep(db, user["bob"], flow.flow_id)

    flow = cancellation.start(db, user["dave"])
    cancellation.answer_survey(db, user["dave"], flow.flow_id, None)
    custom_plan.request_plan(db, user["dave"], flow.flow_id, PlanConfig(seats=3))

    ended = TODAY - dt.timedelta(days=5)
    with db.transaction() as s:
        s.execute(
            update(Subscription)
            .where(Subscription.account_id == made["carol"].account_id)
            .values(status="ended", ended_on=ended, current_period_end=ended)
        )
    way_back.contact_support(db, user["carol"], "Please bring us back", kind="reactivation")
    return db, made


@pytest.fixture
def spread(shop_site):
    """The shop's customers apart on every filter: alice (growth, Austria, 6-12 months, started
    ten days ago) against bob (starter, Argentina, under 6 months) and dave (starter, Australia,
    1-2 years); carol (growth, Austria, ended five days ago) has no flow."""
    db, made = shop_site
    facts = {
        "alice": ("AT", "6-12m", 8, NOW - dt.timedelta(days=10)),
        "bob": ("AR", "<6m", 2, None),
        "dave": ("AU", "1-2y", 15, None),
        "carol": ("AT", None, 8, None),
    }
    with db.transaction() as s:
        for who, (country, band, months, started) in facts.items():
            account = made[who].account_id
            created = NOW - dt.timedelta(days=31 * months)
            s.execute(
                update(Account)
                .where(Account.id == account)
                .values(country=country, created_at=created)
            )
            if band is None:
                continue
            flow = {"country": country, "tenure_band": band}
            answer = dict(flow)
            if started:
                flow["started_at"] = started
                answer["flow_started_at"] = started
            s.execute(
                update(CancellationFlow)
                .where(CancellationFlow.account_id == account)
                .values(**flow)
            )
            ids = CancellationFlow.id.in_(
                CancellationFlow.__table__.select()
                .with_only_columns(CancellationFlow.id)
                .where(CancellationFlow.account_id == account)
                .scalar_subquery()
            )
            s.execute(update(SurveyAnswer).where(SurveyAnswer.flow_id == ids).values(**answer))
    return db, made
