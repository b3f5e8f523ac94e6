"""The audit log's query as the support page's form fills it (`AuditQuery.chosen`)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.support_desk import AuditQuery

MAY_1, JUNE_2 = dt.date(2026, 5, 1), dt.date(2026, 6, 2)


@pytest.mark.parametrize(
    ("picked", "start", "end"),
    [
        ((), None, None),
        (None, None, None),
        ((MAY_1,), MAY_1, MAY_1),  # one day picked: that day
        (MAY_1, MAY_1, MAY_1),
        ((MAY_1, JUNE_2), MAY_1, JUNE_2),
        ([MAY_1, JUNE_2], MAY_1, JUNE_2),
    ],
)
def test_the_dates_picked_are_the_querys_range(picked, start, end):
    assert AuditQuery.chosen(picked) == AuditQuery(start=start, end=end)


def test_one_action_or_all_and_the_texts_as_typed():
    assert AuditQuery.chosen((), None, " boss ", "#42") == AuditQuery(actor=" boss ", account="#42")
    assert AuditQuery.chosen((), "cancellation_undone").actions == ("cancellation_undone",)
    assert AuditQuery.chosen((), "").actions == ()
