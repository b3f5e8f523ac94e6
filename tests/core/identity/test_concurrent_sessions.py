"""Many people at once on one database, through `core`, with real threads: what the load test
in tests/e2e/test_load.py found, kept as a fast test.

On SQLite a transaction that reads and then writes (a deferred BEGIN) fails at once with
"database is locked" when another connection wrote since its read began: the busy timeout
does not help there. Twenty customers signing in at the same moment showed it.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from core.identity import auth
from core.platform.errors import AccountLocked, InvalidCredentials
from core.platform.models import SignInThrottle, UserSession
from tests.support import factories

PEOPLE = 20


@pytest.fixture
def crowd(db):
    plan_id = factories.plan(db)
    emails = [f"user{i}@example.com" for i in range(PEOPLE)]
    for email in emails:
        factories.customer(db, email, plan_id, now=factories_now(), company=f"Company {email}")
    return emails


def factories_now():
    import datetime as dt

    return dt.datetime.now(dt.UTC)


def at_once(n: int, work) -> list[object]:
    """Run `work(i)` in n threads released together; results (or exceptions) in order."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # kept and asserted on by the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_twenty_customers_signing_in_at_once_all_get_in(db, crowd):
    results = at_once(PEOPLE, lambda i: auth.sign_in(db, crowd[i], factories.PASSWORD))
    failures = [r for r in results if isinstance(r, Exception)]
    assert not failures, failures
    assert sorted(r.user.email for r in results) == sorted(crowd)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(UserSession)) == PEOPLE


def test_wrong_passwords_at_once_are_all_counted_and_lock_the_address(db, crowd):
    """Eight wrong passwords for one address at the same moment: every one is refused as
    wrong or locked (never a database error), and the address ends up locked."""
    results = at_once(8, lambda _i: auth.sign_in(db, crowd[0], "wrong"))
    assert all(isinstance(r, InvalidCredentials | AccountLocked) for r in results), results
    with pytest.raises(AccountLocked):
        auth.sign_in(db, crowd[0], factories.PASSWORD)
    with db.transaction() as s:
        throttle = s.get(SignInThrottle, crowd[0])
        assert throttle is not None and throttle.locked_until is not None
