"""Forgot password: a link by e-mail (its token only hashed in the database), the same answer
for any address, counted like sign-ins, single use, valid 30 minutes; using it changes the
password, signs out every session of the user and is audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from core.identity import auth, resets
from core.identity.passwords import MIN_NEW_PASSWORD
from core.outbox import mail
from core.platform.config import Settings
from core.platform.errors import AccountLocked, InvalidCredentials, InvalidInput
from core.platform.i18n import t
from core.platform.models import AuditEntry, SignInThrottle
from core.platform.outbox_tables import OutboxDelivery, OutboxEvent, PasswordReset
from core.rules.vocabulary import (
    ACTION_PASSWORD_RESET,
    CHANNEL_EMAIL,
    CHANNEL_WEBHOOK,
    EVENT_PASSWORD_RESET,
    EVENT_SUBSCRIPTION_ENDED,
)
from core.support_desk import audit_trail
from tests.support import factories
from tests.support.env import NOW
from tests.support.hostile import CORPUS

SETTINGS = Settings(public_url="https://portal.example")
NEW = "a brand new passphrase"


@pytest.fixture
def people(db):
    plan_id = factories.plan(db)
    alice = factories.customer(db, "alice@example.com", plan_id, now=NOW)
    boss = factories.admin(db, "boss@example.com", now=NOW)
    return alice, boss


def link_of(db, email: str) -> tuple[str, dict, list[OutboxDelivery]]:
    """The token in the last reset e-mail's link to that address, the event's data, and its
    deliveries (as the worker would read them)."""
    with db.transaction() as s:
        event = s.scalars(
            select(OutboxEvent)
            .join(OutboxDelivery, OutboxDelivery.event_id == OutboxEvent.id)
            .where(OutboxEvent.type == EVENT_PASSWORD_RESET, OutboxDelivery.recipient == email)
            .order_by(OutboxEvent.created_at.desc(), OutboxEvent.id)
        ).first()
        assert event is not None, f"no reset e-mail to {email}"
        data = json.loads(event.data)
        deliveries = list(
            s.scalars(select(OutboxDelivery).where(OutboxDelivery.event_id == event.id))
        )
    url = urlsplit(data["reset_url"])
    return parse_qs(url.query)["reset"][0], data, deliveries


def counts(db) -> dict[str, int]:
    with db.transaction() as s:
        return {
            "events": s.scalar(select(func.count()).select_from(OutboxEvent)),
            "resets": s.scalar(select(func.count()).select_from(PasswordReset)),
        }


def test_a_known_address_gets_a_link_that_only_its_hash_is_stored_for(db, people):
    alice, _ = people
    resets.request_reset(db, " Alice@Example.com ", lang="it-IT", now=NOW, settings=SETTINGS)
    token, data, deliveries = link_of(db, "alice@example.com")
    assert data["reset_url"] == f"https://portal.example/?reset={token}"
    assert len(token) >= 43
    assert data["expires_at"] == "2026-11-26T10:30:00Z"  # 30 minutes
    assert data["account_id"] == alice.account_id
    # the e-mail says how long, in the customer's words
    text = mail.render(EVENT_PASSWORD_RESET, data, "it", SETTINGS).text
    assert "30 minuti" in text and data["reset_url"] in text
    # one e-mail, to the address, in the language asked (alice has none of her own); no webhook
    assert [(d.channel, d.recipient, d.language) for d in deliveries] == [
        (CHANNEL_EMAIL, "alice@example.com", "it")
    ]
    with db.transaction() as s:
        row = s.scalars(select(PasswordReset)).one()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert row.user_id == alice.user_id and row.used_at is None
        assert row.expires_at == NOW + dt.timedelta(minutes=30)
        every_column = [str(v) for v in row.__dict__.values()]
    assert not any(token in value for value in every_column)
    assert resets.reset_valid(db, token, now=NOW + dt.timedelta(minutes=29))
    assert not resets.reset_valid(db, token, now=NOW + dt.timedelta(minutes=30))


def test_the_users_own_language_wins_and_an_admin_may_reset_too(db, people):
    auth.set_language(
        db, auth.sign_in(db, "boss@example.com", factories.PASSWORD, now=NOW).user, "it"
    )
    resets.request_reset(db, "boss@example.com", lang="en", now=NOW, settings=SETTINGS)
    token, data, deliveries = link_of(db, "boss@example.com")
    assert "account_id" not in data  # an admin has no account
    assert [d.language for d in deliveries] == ["it"]
    resets.reset_password(db, token, NEW, repeat=NEW, now=NOW + dt.timedelta(minutes=1))
    assert auth.sign_in(db, "boss@example.com", NEW, now=NOW + dt.timedelta(minutes=2))


def test_an_unknown_address_gets_the_same_answer_and_nothing_is_written_for_it(db, people):
    before = counts(db)
    assert resets.request_reset(db, "nobody@example.com", now=NOW, settings=SETTINGS) is None
    assert resets.request_reset(db, "alice@example.com", now=NOW, settings=SETTINGS) is None
    after = counts(db)
    assert after == {"events": before["events"] + 1, "resets": before["resets"] + 1}


def test_no_webhook_ever_gets_the_link(db, people):
    from core.platform.outbox_tables import WebhookEndpoint

    with db.transaction() as s:
        s.add(
            WebhookEndpoint(
                url="https://hooks.example/in",
                secret="whsec_x",
                event_types=json.dumps([EVENT_PASSWORD_RESET, EVENT_SUBSCRIPTION_ENDED]),
                enabled=True,
                created_at=NOW,
            )
        )
    resets.request_reset(db, "alice@example.com", now=NOW, settings=SETTINGS)
    _, _, deliveries = link_of(db, "alice@example.com")
    assert CHANNEL_WEBHOOK not in {d.channel for d in deliveries}


def test_the_link_sets_the_password_once_and_signs_out_every_session(db, people):
    alice, _ = people
    sessions = [auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=NOW) for _ in "ab"]
    tokens = [auth.exchange_code(db, signed.code, now=NOW) for signed in sessions]
    resets.request_reset(db, "alice@example.com", now=NOW, settings=SETTINGS)
    first, _, _ = link_of(db, "alice@example.com")
    later = NOW + dt.timedelta(minutes=5)
    resets.request_reset(db, "alice@example.com", now=later, settings=SETTINGS)
    second, _, _ = link_of(db, "alice@example.com")
    assert first != second

    when = NOW + dt.timedelta(minutes=10)
    resets.reset_password(db, second, NEW, repeat=NEW, now=when)
    # every session of alice is signed out: the cookie and the open page alike
    assert all(auth.user_for_token(db, tok, now=when) is None for tok in tokens)
    assert all(auth.user_for_session(db, s.user.session_id, now=when) is None for s in sessions)
    # the old password is refused, the new one signs in
    with pytest.raises(InvalidCredentials):
        auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=when)
    assert auth.sign_in(db, "alice@example.com", NEW, now=when).user.id == alice.user_id
    # both links are spent: the one used and the earlier one
    for token in (first, second):
        assert not resets.reset_valid(db, token, now=when)
        with pytest.raises(InvalidInput) as spent:
            resets.reset_password(db, token, "another passphrase", now=when)
        assert spent.value.key == "resets.error.expired"
    assert t("resets.error.expired", "en") == (
        "This link has expired or was already used: ask for a new one."
    )
    # audited, with neither the password nor the token
    with db.transaction() as s:
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.action == ACTION_PASSWORD_RESET)
        ).one()
    assert entry.actor == "alice@example.com" and entry.account_id == alice.account_id
    assert json.loads(entry.after) == {"sessions_signed_out": 2, "links_spent": 2}
    logged = entry.before + entry.after
    assert NEW not in logged and first not in logged and second not in logged
    # the support desk's audit log says it in words
    row = audit_trail.audit_log(
        db, auth.sign_in(db, "boss@example.com", factories.PASSWORD, now=when).user
    ).rows[0]
    assert audit_trail.action_name(row.action, "it") == "Password reimpostata con il link via email"
    assert audit_trail.describe(row, "en") == "Sessions signed out: 2; Reset links used up: 2"


def test_an_expired_or_made_up_link_is_refused_with_one_message_and_changes_nothing(db, people):
    resets.request_reset(db, "alice@example.com", now=NOW, settings=SETTINGS)
    token, _, _ = link_of(db, "alice@example.com")
    late = NOW + dt.timedelta(minutes=30, seconds=1)
    for bad in (token, "made-up-token-made-up-token", "", "x" * 10_000, token + "x", "é" * 43):
        assert not resets.reset_valid(db, bad, now=late if bad == token else NOW)
        with pytest.raises(InvalidInput) as err:
            resets.reset_password(db, bad, NEW, now=late if bad == token else NOW)
        assert err.value.key == "resets.error.expired"
    assert auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=late)


@pytest.mark.parametrize(
    ("password", "repeat", "key"),
    [
        ("short", None, "resets.error.too_short"),
        (" " * 40, None, "resets.error.too_short"),
        ("x" * 1025, None, "resets.error.too_long"),
        ("a good length\x00password", None, "resets.error.characters"),
        ("a good length\ud800password", None, "resets.error.characters"),
        ("Alice@Example.com", None, "resets.error.same_as_email"),
        (NEW, NEW + " ", "resets.error.mismatch"),
    ],
)
def test_a_bad_new_password_is_explained_and_the_link_still_works(
    db, people, password, repeat, key
):
    resets.request_reset(db, "alice@example.com", now=NOW, settings=SETTINGS)
    token, _, _ = link_of(db, "alice@example.com")
    with pytest.raises(InvalidInput) as err:
        resets.reset_password(db, token, password, repeat=repeat, now=NOW)
    assert err.value.key == key
    assert t(key, "it", **err.value.params) and t(key, "en", **err.value.params)
    if key == "resets.error.too_short":
        assert str(MIN_NEW_PASSWORD) in t(key, "en", **err.value.params)
    assert resets.reset_valid(db, token, now=NOW)
    assert auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=NOW)


@pytest.mark.parametrize("email", ["alice@example.com", "ghost@example.com"])
def test_requests_are_limited_like_sign_ins_for_any_address(db, people, email):
    settings = Settings(public_url="https://portal.example")
    for i in range(settings.max_failed_sign_ins):
        resets.request_reset(db, email, now=NOW + dt.timedelta(seconds=i), settings=settings)
    before = counts(db)
    with pytest.raises(InvalidInput) as err:
        resets.request_reset(db, email, now=NOW + dt.timedelta(minutes=1), settings=settings)
    assert err.value.key == "resets.error.too_many"
    assert err.value.params == {"minutes": 15}
    assert "riprova tra 15 minuti" in t(err.value.key, "it", **err.value.params)
    assert counts(db) == before  # no link while paused
    # asking for links never pauses signing in, and other addresses are not affected
    if email == "alice@example.com":
        assert auth.sign_in(db, email, factories.PASSWORD, now=NOW + dt.timedelta(minutes=1))
    resets.request_reset(db, "other@example.com", now=NOW, settings=settings)
    # the pause ends after lockout_minutes
    resets.request_reset(db, email, now=NOW + dt.timedelta(minutes=16), settings=settings)


def test_using_a_link_lifts_the_sign_in_pause_of_the_address(db, people):
    for i in range(5):
        with pytest.raises((InvalidCredentials, AccountLocked)):
            auth.sign_in(db, "alice@example.com", "wrong", now=NOW + dt.timedelta(seconds=i))
    with pytest.raises(AccountLocked):
        auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=NOW + dt.timedelta(minutes=1))
    resets.request_reset(db, "alice@example.com", now=NOW, settings=SETTINGS)
    token, _, _ = link_of(db, "alice@example.com")
    resets.reset_password(db, token, NEW, now=NOW + dt.timedelta(minutes=2))
    assert auth.sign_in(db, "alice@example.com", NEW, now=NOW + dt.timedelta(minutes=2))
    with db.transaction() as s:
        assert s.get(SignInThrottle, "alice@example.com") is None


def test_bad_addresses_get_the_sign_in_pages_messages(db, people):
    for email, key in (
        ("", "resets.error.empty"),
        ("   ", "resets.error.empty"),
        ("not-an-email", "signin.error.email_format"),
        ("a" * 10_000 + "@example.com", "signin.error.email_format"),
    ):
        with pytest.raises(InvalidInput) as err:
            resets.request_reset(db, email, now=NOW, settings=SETTINGS)
        assert err.value.key == key


def test_the_hostile_corpus_as_an_address_or_a_password_never_crashes(sqlite_db):
    db = sqlite_db
    plan_id = factories.plan(db)
    factories.customer(db, "alice@example.com", plan_id, now=NOW)
    broke = []
    roomy = Settings(public_url="https://portal.example", max_failed_sign_ins=10**9)
    for entry in CORPUS:
        try:
            resets.request_reset(db, entry.text, now=NOW, settings=roomy)
        except InvalidInput as exc:
            t(exc.key, "it", **exc.params)
        except Exception as exc:
            broke.append(("address", entry.name, repr(exc)[:200]))
    assert counts(db)["events"] == 0  # no entry of the corpus is alice's address
    resets.request_reset(db, "alice@example.com", now=NOW, settings=roomy)
    token, _, _ = link_of(db, "alice@example.com")
    for entry in CORPUS:
        if len(entry.text) > 2000:
            continue  # argon2 on a megabyte: the length rule refuses it first anyway
        try:
            assert not resets.reset_valid(db, entry.text, now=NOW)
            resets.reset_password(db, token, entry.text, repeat=entry.text + "!", now=NOW)
        except InvalidInput as exc:
            t(exc.key, "en", **exc.params)
        except Exception as exc:
            broke.append(("password", entry.name, repr(exc)[:200]))
        else:
            broke.append(("password", entry.name, "accepted with a different repeat"))
    assert not broke, broke
    assert resets.reset_valid(db, token, now=NOW)


def test_two_uses_of_one_link_at_once_change_the_password_once(db, people):
    resets.request_reset(db, "alice@example.com", now=NOW, settings=SETTINGS)
    token, _, _ = link_of(db, "alice@example.com")
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def use(password: str) -> None:
        barrier.wait()
        try:
            resets.reset_password(db, token, password, now=NOW)
            outcomes.append(password)
        except InvalidInput as exc:
            outcomes.append(exc.key)

    threads = [threading.Thread(target=use, args=(p,)) for p in (NEW, "the other passphrase")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [o for o in outcomes if o != "resets.error.expired"]
    assert len(winners) == 1 and len(outcomes) == 2, outcomes
    assert auth.sign_in(db, "alice@example.com", winners[0], now=NOW)
    with db.transaction() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == ACTION_PASSWORD_RESET)
            )
            == 1
        )
