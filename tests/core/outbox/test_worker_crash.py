"""No event is lost when the worker dies in the middle of a send: `python -m core outbox run`
is killed (SIGKILL) while the receiver holds its request; the delivery stays claimed until the
lease runs out, then the next run sends it again with the same event id."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from core.outbox import worker
from core.outbox.worker import RunResult
from core.rules.vocabulary import CHANNEL_WEBHOOK, DELIVERY_PENDING, DELIVERY_SENT
from tests.support.env import NOW, ROOT
from tests.support.outbox_shop import KEPT, cancel, customers, deliveries, endpoint, events
from tests.support.receivers import http_receiver

LEASE = dt.timedelta(seconds=300)  # the command's lease (run_once's default)


def test_a_worker_killed_mid_send_leaves_the_call_to_the_next_run_after_its_lease(db):
    now = dt.datetime.now(dt.UTC)  # the command runs on the real clock
    url = db.engine.url.render_as_string(hide_password=False)
    with http_receiver() as hook:
        [alice] = customers(db, 1, now=now)
        endpoint(db, hook.url, now=now)
        cancel(db, alice, now=now)
        [event] = events(db)
        hook.hold()  # the request arrives and waits for an answer that never comes
        env = {
            **os.environ,
            "PORTAL_SMTP_URL": "",
            "PORTAL_WEBHOOKS_ALLOW_PRIVATE": "1",
            "PORTAL_DEMO_MODE": "0",
        }
        command = [sys.executable, "-m", "core", "--database-url", url, "outbox", "run"]
        proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        try:
            assert hook.arrived.wait(30), proc.stderr.read().decode() if proc.poll() else ""
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(10)
        assert proc.returncode == -signal.SIGKILL
        claimed = deliveries(db, CHANNEL_WEBHOOK)[0]
        assert (claimed.status, claimed.attempts) == (DELIVERY_PENDING, 1)
        assert claimed.locked_until >= now + LEASE
        hook.release()

        # within the lease nobody takes it: the killed worker might still have been sending
        within = claimed.locked_until - dt.timedelta(seconds=1)
        assert worker.run_once(db, now=within, settings=KEPT) == RunResult()
        after = claimed.locked_until + dt.timedelta(seconds=1)
        assert worker.run_once(db, now=after, settings=KEPT) == RunResult(sent=1)
        assert hook.event_ids() == [event.id, event.id]
        assert hook.calls[0].body == hook.calls[1].body
    sent = deliveries(db, CHANNEL_WEBHOOK)[0]
    assert (sent.status, sent.attempts, sent.sent_at) == (DELIVERY_SENT, 2, after)


def test_the_loop_sends_as_events_come_and_stops_cleanly_on_sigterm(sqlite_db):
    """What systemd does: start `outbox run --loop`, stop it with SIGTERM; exit status 0."""
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    [alice] = customers(sqlite_db, 1, now=dt.datetime.now(dt.UTC))
    env = {**os.environ, "PORTAL_SMTP_URL": "", "PORTAL_DEMO_MODE": "0"}
    command = [sys.executable, "-m", "core", "--database-url", url]
    proc = subprocess.Popen(
        [*command, "outbox", "run", "--loop", "--poll", "0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "Outbox worker started" in proc.stdout.readline()
        cancel(sqlite_db, alice, now=dt.datetime.now(dt.UTC))
        assert "0 sent, 1 kept (no SMTP server)" in proc.stdout.readline()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "Outbox worker stopped." in out
    assert deliveries(sqlite_db)[0].status == "kept"


@pytest.mark.parametrize("answer", [200, 500])
def test_a_worker_that_outlived_its_lease_records_nothing_over_the_next_ones(db, answer):
    """A stalls past its lease, B takes the call over: both calls arrive (same id), and only
    B's outcome is written, whichever answer comes back first (a failure A wrote would free
    the row for a third worker while B is still sending)."""
    with http_receiver() as hook:
        [alice] = customers(db, 1, now=NOW)
        endpoint(db, hook.url, now=NOW)
        cancel(db, alice, now=NOW)
        hook.hold()
        results: list[RunResult] = []
        a = threading.Thread(
            target=lambda: results.append(
                worker.run_once(db, now=NOW, settings=KEPT, lease_seconds=60)
            )
        )
        a.start()
        try:
            assert hook.arrived.wait(10)
            b = threading.Thread(
                target=lambda: results.append(
                    worker.run_once(db, now=NOW + LEASE, settings=KEPT, lease_seconds=60)
                )
            )
            b.start()
            deadline = time.monotonic() + 10
            while len(hook.calls) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            hook.answer = answer
            hook.release()
            a.join(15)
        b.join(15)
        assert len(hook.calls) == 2 and len(set(hook.event_ids())) == 1
    call = deliveries(db, CHANNEL_WEBHOOK)[0]
    assert (call.attempts, call.locked_until) == (2, None)
    if answer == 200:
        assert sum(r.sent for r in results) == 1 and call.status == DELIVERY_SENT
    else:
        assert sum(r.retried for r in results) == 1 and call.status == DELIVERY_PENDING
        assert call.next_attempt_at == NOW + LEASE + dt.timedelta(seconds=60)  # B's 2nd try
