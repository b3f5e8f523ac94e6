import datetime as dt

import pytest
from sqlalchemy import select

from core import support_desk
from core.customers import accounts
from core.identity import auth
from core.insights import analytics
from core.platform.errors import InvalidInput, NotAuthorized
from core.platform.models import Invoice, SupportRequest
from core.retention import way_back
from tests.support import factories
from tests.support.env import NOW


@pytest.fixture
def shop(db):
    plan_id = factories.plan(db, "growth", 24900)
    alice = factories.customer(
        db, "alice@example.com", plan_id, now=NOW, start=dt.date(2026, 3, 10)
    )
    bob = factories.customer(db, "bob@example.com", plan_id, now=NOW, company="Bob Ltd")
    factories.admin(db, "boss@example.com", now=NOW)
    with db.transaction() as s:
        for n, month in enumerate((9, 10, 11), start=1):
            s.add(
                Invoice(
                    account_id=alice.account_id,
                    number=f"INV-{n}",
                    issued_on=dt.date(2026, month, 10),
                    period_start=dt.date(2026, month, 10),
                    period_end=dt.date(2026, month + 1, 10),
                    amount_cents=24900,
                    currency="USD",
                    status="paid",
                )
            )
    signed = {
        who: auth.sign_in(db, f"{who}@example.com", factories.PASSWORD, now=NOW).user
        for who in ("alice", "bob", "boss")
    }
    return alice, bob, signed


def test_the_owner_sees_plan_price_cycle_and_invoices(db, shop):
    _alice, _, signed = shop
    ov = accounts.overview(db, signed["alice"])
    assert ov.company == "Acme Srl"
    assert ov.plan_name == "Growth" and ov.price_cents == 24900
    assert (ov.period_start, ov.period_end) == (dt.date(2026, 11, 10), dt.date(2026, 12, 10))
    assert ov.next_renewal == dt.date(2026, 12, 10)
    assert ov.status == "active" and ov.data_deleted_on is None
    assert [i.number for i in ov.invoices] == ["INV-3", "INV-2", "INV-1"]
    seats = next(u for u in ov.usage if u.key == "seats")
    assert (seats.used, seats.limit) == (1, 3)
    assert ov.custom_plan_from_cents == 9800


def test_another_customer_cannot_read_the_account_but_an_admin_can(db, shop):
    alice, _, signed = shop
    with pytest.raises(NotAuthorized):
        accounts.overview(db, signed["bob"], alice.account_id)
    with pytest.raises(NotAuthorized):
        accounts.overview(db, None, alice.account_id)
    with pytest.raises(NotAuthorized):
        accounts.data_counts(db, signed["bob"], alice.account_id)
    assert accounts.overview(db, signed["boss"], alice.account_id).company == "Acme Srl"


def test_command_line_view_by_email(db, shop):
    data = accounts.overview_by_email(db, "ALICE@example.com").as_json()
    assert data["status"] == "active"
    assert data["period_end"] == "2026-12-10"
    assert data["invoices"][0]["issued_on"] == "2026-11-10"


def test_a_message_to_support_lands_in_the_support_queue(db, shop):
    alice, _, signed = shop
    number = way_back.contact_support(
        db, signed["alice"], "  two seats\x00 please \n", kind="other", now=NOW
    )
    with db.transaction() as s:
        request = s.get(SupportRequest, number)
        assert (request.account_id, request.kind, request.status) == (
            alice.account_id,
            "other",
            "open",
        )
        assert request.message == "two seats please"
    assert support_desk.open_request_counts(db, signed["boss"]) == {
        "undo_cancellation": 0,
        "custom_plan": 0,
        "reactivation": 0,
        "other": 1,
    }


def test_a_too_long_request_is_refused_and_stores_nothing(db, shop):
    _, _, signed = shop
    with pytest.raises(InvalidInput):
        way_back.contact_support(db, signed["alice"], "x" * 1_000_000, kind="other")
    with pytest.raises(NotAuthorized):
        way_back.contact_support(db, signed["boss"], "hi", kind="other")
    with db.transaction() as s:
        assert s.scalars(select(SupportRequest)).all() == []


def test_admin_figures_refuse_customers(db, shop):
    _, _, signed = shop
    everything = analytics.Filters()
    for fn in (
        lambda db, who: analytics.subscriptions_by_status(db, who, everything),
        lambda db, who: analytics.figures(db, who, everything),  # the flows' outcomes
        support_desk.open_request_counts,
    ):
        with pytest.raises(NotAuthorized):
            fn(db, signed["alice"])
        with pytest.raises(NotAuthorized):
            fn(db, None)
    assert analytics.subscriptions_by_status(db, signed["boss"], everything)["active"] == 2
