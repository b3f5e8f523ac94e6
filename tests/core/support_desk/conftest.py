"""Fixtures of the support desk tests."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from core.identity import auth
from core.platform.models import InfluencerList, Subscription
from core.retention import cancellation, custom_plan, way_back
from core.retention.cancellation import ALL_CONSENTS, Survey
from core.rules.pricing import PlanConfig
from tests.support import factories
from tests.support.env import NOW


@pytest.fixture
def desk(db):
    growth = factories.plan(db, "growth", 24900)
    made = {
        "alice": factories.customer(
            db, "alice@example.com", growth, now=NOW, start=dt.date(2026, 3, 10)
        ),
        "bob": factories.customer(db, "bob@example.com", growth, now=NOW, company="Bob Ltd"),
        "carol": factories.customer(db, "carol@example.com", growth, now=NOW, company="Carol Srl"),
        "dave": factories.customer(db, "dave@example.com", growth, now=NOW, company="Dave SpA"),
        "boss": factories.admin(db, "boss@example.com", now=NOW),
    }
    users = {
        who: auth.sign_in(db, f"{who}@example.com", factories.PASSWORD, now=NOW).user
        for who in made
    }
    # alice cancels and asks to undo it from the done window
    flow = cancellation.start(db, users["alice"], now=NOW)
    cancellation.answer_survey(db, users["alice"], flow.flow_id, Survey("not_using"), now=NOW)
    cancellation.go_on(db, users["alice"], flow.flow_id, now=NOW)
    cancellation.confirm(db, users["alice"], flow.flow_id, ALL_CONSENTS, now=NOW)
    way_back.contact_support(db, users["alice"], "Please undo it, we stay", now=NOW)
    # carol's subscription ended six days ago; she asks to come back
    with db.transaction() as s:
        s.execute(
            update(Subscription)
            .where(Subscription.account_id == made["carol"].account_id)
            .values(
                status="ended",
                ended_on=dt.date(2026, 11, 20),
                current_period_end=dt.date(2026, 11, 20),
            )
        )
        s.add(InfluencerList(account_id=made["carol"].account_id, name="Estate", created_at=NOW))
    carol = auth.sign_in(db, "carol@example.com", factories.PASSWORD, now=NOW).user
    way_back.contact_support(db, carol, "Reactivate us please", kind="reactivation", now=NOW)
    # dave stays on a custom plan
    flow = cancellation.start(db, users["dave"], now=NOW)
    cancellation.answer_survey(db, users["dave"], flow.flow_id, None, now=NOW)
    cancellation.open_configurator(db, users["dave"], flow.flow_id, now=NOW)
    custom_plan.request_plan(db, users["dave"], flow.flow_id, PlanConfig(seats=3), now=NOW)
    return made, users
