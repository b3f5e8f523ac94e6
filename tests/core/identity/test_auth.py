import datetime as dt

import pytest

from core.identity import auth
from core.platform.config import Settings
from core.platform.errors import AccountLocked, InvalidCredentials, InvalidInput, NotAuthorized
from core.platform.i18n import t
from tests.support import factories
from tests.support.env import NOW


@pytest.fixture
def people(db):
    plan_id = factories.plan(db)
    alice = factories.customer(db, "alice@example.com", plan_id, now=NOW)
    bob = factories.customer(db, "bob@example.com", plan_id, now=NOW, company="Bob Ltd")
    boss = factories.admin(db, "boss@example.com", now=NOW)
    return alice, bob, boss


def test_right_password_signs_in_and_the_cookie_token_keeps_the_user_signed_in(db, people):
    alice, _, _ = people
    signed = auth.sign_in(db, "  Alice@Example.com ", factories.PASSWORD, now=NOW)
    assert signed.user.email == "alice@example.com"
    assert signed.user.account_id == alice.account_id

    token = auth.exchange_code(db, signed.code, now=NOW + dt.timedelta(seconds=5))
    assert token
    again = auth.user_for_token(db, token, now=NOW + dt.timedelta(days=3))
    assert again is not None and again.id == alice.user_id
    # a code works once only
    assert auth.exchange_code(db, signed.code, now=NOW + dt.timedelta(seconds=6)) is None


def test_a_late_or_made_up_code_gives_no_cookie(db, people):
    signed = auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=NOW)
    assert auth.exchange_code(db, signed.code, now=NOW + dt.timedelta(minutes=5)) is None
    assert auth.exchange_code(db, "made-up", now=NOW) is None
    assert auth.exchange_code(db, "x" * 10_000, now=NOW) is None
    assert auth.user_for_token(db, "made-up", now=NOW) is None


def test_unknown_email_and_wrong_password_get_the_same_message(db, people):
    with pytest.raises(InvalidCredentials) as wrong:
        auth.sign_in(db, "alice@example.com", "nope", now=NOW)
    with pytest.raises(InvalidCredentials) as unknown:
        auth.sign_in(db, "nobody@example.com", "nope", now=NOW)
    assert t(wrong.value.key, "it") == t(unknown.value.key, "it")
    assert "password" in t(wrong.value.key, "en")


@pytest.mark.parametrize(
    ("email", "password", "key"),
    [
        ("", "", "signin.error.empty"),
        ("   ", "secret", "signin.error.empty"),
        ("alice@example.com", "", "signin.error.empty"),
        ("a" * 10_000 + "@example.com", "secret", "signin.error.email_format"),
        ("not-an-email", "secret", "signin.error.email_format"),
    ],
)
def test_bad_input_gets_a_clear_message_and_counts_no_failure(db, people, email, password, key):
    with pytest.raises(InvalidInput) as err:
        auth.sign_in(db, email, password, now=NOW)
    assert err.value.key == key
    # five more wrong attempts are still needed for a lockout: bad input did not count
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            auth.sign_in(db, "alice@example.com", "wrong", now=NOW)
    assert auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=NOW)


def test_five_failures_lock_the_address_for_fifteen_minutes(db, people):
    settings = Settings()
    for i in range(4):
        with pytest.raises(InvalidCredentials):
            auth.sign_in(db, "alice@example.com", "wrong", now=NOW + dt.timedelta(seconds=i))
    # the fifth failure says at once that sign-in is paused (not "not right" once more)
    with pytest.raises(AccountLocked) as fifth:
        auth.sign_in(db, "alice@example.com", "wrong", now=NOW + dt.timedelta(seconds=5))
    assert fifth.value.params["minutes"] == settings.lockout_minutes == 15
    with pytest.raises(AccountLocked) as locked:
        auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=NOW + dt.timedelta(minutes=1))
    assert locked.value.params["minutes"] == 15
    assert "15" in t(locked.value.key, "it", **locked.value.params)
    # the other customer is not affected
    assert auth.sign_in(db, "bob@example.com", factories.PASSWORD, now=NOW)
    later = NOW + dt.timedelta(minutes=settings.lockout_minutes, seconds=10)
    assert auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=later)


@pytest.mark.parametrize("email", ["alice@example.com", "ghost@example.com"])
def test_from_the_third_failure_the_message_says_how_many_tries_are_left(db, people, email):
    """Known or unknown address, the same words: failures 1-2 "not right", 3 "2 tries left",
    4 "1 try left", 5 "paused for 15 minutes" (the numbers from the throttle's settings)."""
    settings = Settings()
    said = []
    for i in range(settings.max_failed_sign_ins):
        with pytest.raises((InvalidCredentials, AccountLocked)) as err:
            auth.sign_in(db, email, "wrong", now=NOW + dt.timedelta(seconds=i))
        said.append((err.value.key, err.value.params))
    assert said == [
        ("signin.error.invalid", {}),
        ("signin.error.invalid", {}),
        ("signin.error.tries_left", {"tries": 2, "minutes": 15}),
        ("signin.error.tries_left_one", {"tries": 1, "minutes": 15}),
        ("signin.error.locked", {"minutes": 15}),
    ]
    assert t(said[2][0], "en", **said[2][1]) == (
        "The email address or the password is not right. "
        "2 tries left before sign-in for this address is paused for 15 minutes."
    )
    assert t(said[3][0], "it", **said[3][1]).endswith(
        "Ti resta 1 tentativo, poi l'accesso per questo indirizzo sarà sospeso per 15 minuti."
    )
    assert "2 tentativi" in t(said[2][0], "it", **said[2][1])


def test_the_warning_follows_the_configured_limits(db, people):
    settings = Settings(max_failed_sign_ins=4, lockout_minutes=30)
    keys = []
    for _ in range(4):
        with pytest.raises((InvalidCredentials, AccountLocked)) as err:
            auth.sign_in(db, "alice@example.com", "wrong", now=NOW, settings=settings)
        keys.append((err.value.key, err.value.params.get("tries")))
    assert keys == [
        ("signin.error.invalid", None),
        ("signin.error.tries_left", 2),
        ("signin.error.tries_left_one", 1),
        ("signin.error.locked", None),
    ]


def test_unknown_addresses_are_locked_too_so_they_reveal_nothing(db, people):
    for _ in range(4):
        with pytest.raises(InvalidCredentials):
            auth.sign_in(db, "ghost@example.com", "wrong", now=NOW)
    with pytest.raises(AccountLocked):
        auth.sign_in(db, "ghost@example.com", "wrong", now=NOW)
    with pytest.raises(AccountLocked):
        auth.sign_in(db, "ghost@example.com", "wrong", now=NOW)


def test_sign_out_ends_the_session_everywhere(db, people):
    signed = auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=NOW)
    token = auth.exchange_code(db, signed.code, now=NOW)
    auth.sign_out(db, signed.user.session_id, now=NOW)
    assert auth.user_for_session(db, signed.user.session_id, now=NOW) is None
    assert auth.user_for_token(db, token, now=NOW) is None


def test_sessions_expire(db, people):
    signed = auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=NOW)
    later = NOW + dt.timedelta(days=Settings().session_days, seconds=1)
    assert auth.user_for_session(db, signed.user.session_id, now=later) is None


def test_language_choice_sticks(db, people):
    signed = auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=NOW)
    auth.set_language(db, signed.user, "it")
    assert auth.user_for_session(db, signed.user.session_id, now=NOW).language == "it"
    with pytest.raises(InvalidInput):
        auth.set_language(db, signed.user, "xx")


def test_customers_see_customer_pages_and_admins_admin_pages(db, people):
    customer = auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=NOW).user
    boss = auth.sign_in(db, "boss@example.com", factories.PASSWORD, now=NOW).user
    assert auth.pages_for(None) == ("sign_in",)
    assert "overview" in auth.pages_for(customer)
    assert not set(auth.pages_for(customer)) & set(auth.ADMIN_PAGES)
    assert set(auth.pages_for(boss)) == set(auth.ADMIN_PAGES)


def test_a_customer_may_reach_only_their_own_account(db, people):
    alice, bob, _ = people
    a = auth.sign_in(db, "alice@example.com", factories.PASSWORD, now=NOW).user
    boss = auth.sign_in(db, "boss@example.com", factories.PASSWORD, now=NOW).user
    assert auth.require_account(a, alice.account_id) == a
    assert auth.require_account(boss, bob.account_id) == boss
    with pytest.raises(NotAuthorized):
        auth.require_account(a, bob.account_id)
    with pytest.raises(NotAuthorized):
        auth.require_account(None, alice.account_id)
    with pytest.raises(NotAuthorized):
        auth.require_admin(a)
