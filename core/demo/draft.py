"""The rows of one seeding while they are built: one random generator, one reference time, the
ids handed out so far and the names already taken (in the database or in this draft), shared by
the collaborators that build people, accounts, content and flows."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.platform.models import (
    Account,
    Base,
    Campaign,
    CancellationFlow,
    Experiment,
    Influencer,
    InfluencerList,
    Plan,
    PlaybookVersion,
    SavedSearch,
    Subscription,
    SupportRequest,
    User,
)

from .logins import DEMO_ADMIN_EMAIL

Row = dict[str, Any]

# Tables whose ids other rows refer to: the draft assigns their ids itself.
ID_TABLES: tuple[type[Base], ...] = (
    Account,
    User,
    Subscription,
    Influencer,
    SavedSearch,
    InfluencerList,
    Campaign,
    SupportRequest,
    PlaybookVersion,
    Experiment,
)


def day_at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    """That day at that time, UTC."""
    return dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)


@dataclass
class Existing:
    """What the database already holds, so that seeding more data collides with none of it."""

    next_ids: dict[type[Base], int]
    admin_id: int | None
    emails: set[str]
    companies: set[str]
    flow_ids: set[str]
    confirmations: set[str]
    experiment_id: int | None = None  # the playbook's experiment, once seeded (or made)
    has_playbook: bool = False  # a playbook version exists: seeding more keeps it

    @classmethod
    def load(cls, session: Session) -> Existing:
        next_ids = {
            model: (session.scalar(select(func.coalesce(func.max(model.id), 0))) or 0) + 1
            for model in ID_TABLES
        }
        flows = session.execute(select(CancellationFlow.id, CancellationFlow.confirmation_number))
        flow_ids, confirmations = set(), set()
        for flow_id, confirmation in flows:
            flow_ids.add(flow_id)
            confirmations.add(confirmation)
        return cls(
            next_ids=next_ids,
            admin_id=session.scalar(select(User.id).where(User.email == DEMO_ADMIN_EMAIL)),
            emails=set(session.scalars(select(User.email))),
            companies=set(session.scalars(select(Account.company))),
            flow_ids=flow_ids,
            confirmations=confirmations,
            experiment_id=session.scalar(select(func.min(Experiment.id))),
            has_playbook=session.scalar(select(PlaybookVersion.id).limit(1)) is not None,
        )


@dataclass
class Draft:
    """Rows by table, in the order they were built, with their ids assigned here."""

    rng: random.Random
    now: dt.datetime
    plans: dict[str, Plan]
    existing: Existing
    rows: dict[type[Base], list[Row]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        self.today = self.now.date()
        self.next_ids = dict(self.existing.next_ids)
        self.emails = set(self.existing.emails)
        self.flow_ids = set(self.existing.flow_ids)
        self.confirmations = set(self.existing.confirmations)
        self.admin_id = self.existing.admin_id or 0  # set once the demo admin is built

    def new_id(self, model: type[Base]) -> int:
        value = self.next_ids[model]
        self.next_ids[model] = value + 1
        return value

    def add(self, model: type[Base], row: Row) -> Row:
        self.rows[model].append(row)
        return row

    def count(self, model: type[Base]) -> int:
        return len(self.rows.get(model, ()))

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.datetime:
        """A random moment from `start` to `end` (`start` when the span is empty)."""
        if end <= start:
            return start
        seconds = int((end - start).total_seconds() * self.rng.random())
        return start + dt.timedelta(seconds=seconds)

    def day_between(self, start: dt.date, end: dt.date) -> dt.date:
        if end <= start:
            return start
        return start + dt.timedelta(days=self.rng.randint(0, (end - start).days))
