"""A database the portal cannot use: the pages say so (DatabaseUnavailable, whose text every
page shows), and the server's log says why, for whoever runs it, never with the password."""

from __future__ import annotations

import logging

import pytest

from core.platform.db import connect
from core.platform.errors import DatabaseUnavailable
from tests.support.ports import free_port


def test_a_refused_connection_is_logged_with_its_reason_and_without_the_password(caplog):
    port = free_port()  # nothing listens there
    with caplog.at_level(logging.WARNING), pytest.raises(DatabaseUnavailable):
        connect(f"postgresql://portal:s3cret-Pa55@127.0.0.1:{port}/portal")
    logged = caplog.text
    assert "the database is unavailable" in logged
    assert f'"127.0.0.1", port {port} failed' in logged and "refused" in logged.lower()
    assert "s3cret-Pa55" not in logged


def test_a_url_that_cannot_be_read_is_logged_without_repeating_it(caplog):
    with caplog.at_level(logging.WARNING), pytest.raises(DatabaseUnavailable):
        connect("nosuchdb://portal:s3cret-Pa55@db.example/portal")
    assert "the database is unavailable: NoSuchModuleError" in caplog.text
    assert "s3cret-Pa55" not in caplog.text and "db.example" not in caplog.text
