"""An erased (purged) account at the sign-in: the person who types its right password is told
that the account was closed and its data erased, and when; anyone else (a wrong password, an
address that never had an account) gets the very same "not right" as always, so the page
reveals to nobody that an address had an account. The database keeps no plain address."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import MetaData, select, update
from streamlit.testing.v1 import AppTest

from core.identity import auth
from core.jobs import lifecycle
from core.platform.config import Settings
from core.platform.errors import InvalidCredentials
from core.platform.i18n import t
from core.platform.models import ErasedSignIn, Subscription
from core.platform.outbox_tables import OutboxDelivery, OutboxEvent
from core.rules import billing
from core.rules.vocabulary import DELIVERY_PENDING, EVENT_ACCOUNT_ERASED, STATUS_ENDED
from tests.support import factories
from tests.support.env import NOW, ROOT

ENDED = dt.date(2026, 9, 11)
PURGED_ON = billing.data_deletion_date(ENDED)  # 2026-11-11


def purge_alice(db) -> factories.Made:
    plan_id = factories.plan(db)
    alice = factories.customer(db, "alice@example.com", plan_id, now=NOW)
    factories.customer(db, "bob@example.com", plan_id, now=NOW, company="Bob Ltd")
    with db.transaction() as s:
        s.execute(
            update(Subscription)
            .where(Subscription.account_id == alice.account_id)
            .values(status=STATUS_ENDED, ended_on=ENDED, current_period_end=ENDED)
        )
    report = lifecycle.run(db, PURGED_ON, now=NOW, settings=Settings())
    assert report.purged == [alice.account_id]
    return alice


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_right_password_of_an_erased_account_says_when_it_was_erased(db, lang):
    purge_alice(db)
    with pytest.raises(auth.AccountErased) as exc:
        auth.sign_in(db, "Alice@Example.com", factories.PASSWORD, now=NOW)
    assert exc.value.params == {"date": PURGED_ON}
    message = t(exc.value.key, lang, **exc.value.params)
    if lang == "en":
        assert message.startswith(
            "This account was closed and its data deleted on November 11, 2026"
        )
    else:
        assert message.startswith(
            "Questo account è stato chiuso e i suoi dati sono stati eliminati l'11 novembre 2026"
        )


def test_anyone_without_the_password_learns_nothing(db):
    purge_alice(db)
    with pytest.raises(InvalidCredentials) as erased_wrong:
        auth.sign_in(db, "alice@example.com", "a guess", now=NOW)
    with pytest.raises(InvalidCredentials) as never_existed:
        auth.sign_in(db, "nobody@example.com", "a guess", now=NOW)
    assert (erased_wrong.value.key, erased_wrong.value.params) == (
        never_existed.value.key,
        never_existed.value.params,
    )
    # the failures count towards the lockout like any other
    for _ in range(4):  # the fifth failure locks the address
        with pytest.raises(auth.PortalError):
            auth.sign_in(db, "alice@example.com", "a guess", now=NOW)
    with pytest.raises(auth.AccountLocked):
        auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=NOW)


def test_no_plain_address_is_kept_and_the_notice_is_forgotten_after_a_year(db):
    purge_alice(db)
    meta = MetaData()
    meta.reflect(db.engine)
    with db.engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)):
                if table.name == "outbox_deliveries" and row.status == DELIVERY_PENDING:
                    continue  # the erasure's own e-mail, still to send (below)
                assert not any("alice" in str(v).lower() for v in row), (table.name, row)
        # the one place the address is left: the e-mail that tells alice her data is gone
        waiting = conn.execute(
            select(OutboxDelivery.recipient, OutboxEvent.type, OutboxEvent.data).join(
                OutboxEvent, OutboxEvent.id == OutboxDelivery.event_id
            )
        ).all()
        assert [(w.recipient, w.type) for w in waiting] == [
            ("alice@example.com", EVENT_ACCOUNT_ERASED)
        ]
        assert "alice" not in waiting[0].data.lower()
    with db.transaction() as s:
        row = s.scalars(select(ErasedSignIn)).one()
        assert len(row.email_digest) == 64 and row.erased_on == PURGED_ON
        assert row.forget_after == PURGED_ON + dt.timedelta(days=auth.ERASED_NOTICE_DAYS)
    a_year_on = dt.datetime.combine(
        PURGED_ON + dt.timedelta(days=auth.ERASED_NOTICE_DAYS + 1), dt.time(), dt.UTC
    )
    with pytest.raises(InvalidCredentials):
        auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=a_year_on)


@pytest.mark.parametrize("lang", ["en", "it"])
def test_the_sign_in_page_shows_the_explanation(site, lang):
    db, _made = site
    with db.transaction() as s:
        s.execute(
            update(Subscription)
            .where(Subscription.account_id == _made.account_id)
            .values(status=STATUS_ENDED, ended_on=ENDED, current_period_end=ENDED)
        )
    lifecycle.run(db, PURGED_ON, settings=Settings())
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    at.run()
    at.text_input[0].set_value("alice@example.com")
    at.text_input[1].set_value(factories.PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [t("signin.error.erased", lang, date=PURGED_ON)]
    assert "session_id" not in at.session_state
