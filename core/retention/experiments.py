"""Experiments on the retention playbook (table `experiments`): two to four variants, each a
published playbook version with a share of the accounts (decided per account by
`core.rules.offers.variant_for`), started and stopped by an admin, one running at a time; and
their results, per variant, counted by the database from the flows that recorded the variant.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.identity.auth import CurrentUser, require_admin
from core.platform import audit, clock
from core.platform.db import Database
from core.platform.errors import InvalidInput, NotFound
from core.platform.models import CancellationFlow, Experiment, PlaybookVersion
from core.platform.text import storable
from core.rules import offers
from core.rules.offers import Problem
from core.rules.vocabulary import (
    ACTION_EXPERIMENT_STARTED,
    ACTION_EXPERIMENT_STOPPED,
    OFFER_KIND_CUSTOM_PLAN,
    OFFER_KINDS,
    OUTCOME_SAVED_KEPT,
    SAVED_OUTCOMES,
)

MAX_NAME = 120
KEPT = "kept"  # saves_by_kind: "Keep my subscription"
SAVE_KINDS = (KEPT, *OFFER_KINDS)
SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class Variant:
    name: str
    version: int  # a published playbook version's number
    share: int  # percent of the accounts


@dataclass(frozen=True)
class ExperimentInfo:
    id: int
    name: str
    variants: tuple[Variant, ...]
    created_at: dt.datetime
    started_at: dt.datetime | None
    stopped_at: dt.datetime | None

    @property
    def running(self) -> bool:
        return self.started_at is not None and self.stopped_at is None


@dataclass(frozen=True)
class VariantResult:
    name: str
    version: int
    share: int
    flows: int
    saves: int
    saves_by_kind: dict[str, int]  # KEPT and each offer kind, zeros included
    save_rate: float  # 0..1
    low: float  # Wilson 95%
    high: float
    revenue_saved_cents: int  # the monthly revenue of the saved flows
    p_value: float | None  # against the first variant; None for it, or when it cannot be told
    significant: bool | None  # p < 0.05; None for the first variant
    enough: bool  # core.rules.offers.enough_data


@dataclass(frozen=True)
class ExperimentResults:
    experiment: ExperimentInfo
    variants: tuple[VariantResult, ...]
    enough: bool  # every variant has enough data


class ExperimentInvalid(InvalidInput):
    """The experiment cannot be created: every problem (`problems`); the message is the
    first one's."""

    key = "experiment.error.invalid"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        first = self.problems[0] if self.problems else Problem(self.key)
        super().__init__(first.key, **dict(first.params))


class UnknownExperiment(NotFound):
    key = "experiment.error.not_found"


def _variants(raw: str) -> tuple[Variant, ...]:
    return tuple(
        Variant(name=str(v["name"]), version=int(v["version"]), share=int(v["share"]))
        for v in json.loads(raw)
    )


def _info(row: Experiment) -> ExperimentInfo:
    return ExperimentInfo(
        id=row.id,
        name=row.name,
        variants=_variants(row.variants),
        created_at=row.created_at,
        started_at=row.started_at,
        stopped_at=row.stopped_at,
    )


def _described(variants: Sequence[Variant]) -> str:
    """The variants as the audit log shows them: "A: v1 50%, B: v2 50%"."""
    return ", ".join(f"{v.name}: v{v.version} {v.share}%" for v in variants)


def _problems(s: Session, name: str, variants: Sequence[Variant]) -> list[Problem]:
    out: list[Problem] = []
    if not 1 <= len(name) <= MAX_NAME:
        out.append(Problem("experiment.error.name", {"most": MAX_NAME}))
    out.extend(offers.split_problems([(v.name, v.share) for v in variants]))
    published = set(
        s.scalars(select(PlaybookVersion.number).where(PlaybookVersion.status == "published"))
    )
    for v in variants:
        number = v.version
        if isinstance(number, bool) or not isinstance(number, int) or number not in published:
            out.append(
                Problem("experiment.error.version", {"name": v.name, "version": str(number)})
            )
    return out


def create(
    db: Database,
    actor: CurrentUser | None,
    name: str,
    variants: Sequence[Variant],
    *,
    now: dt.datetime | None = None,
) -> ExperimentInfo:
    """A new experiment, not started: a name (1-120 characters), two to four variants, each
    naming a published version, with shares in percent adding up to 100. ExperimentInvalid,
    with every problem, otherwise (nothing written)."""
    actor = require_admin(actor)
    now = clock.now(now)
    name = storable(name)
    cleaned = tuple(
        Variant(name=storable(v.name), version=v.version, share=v.share) for v in variants
    )
    with db.transaction(write=True) as s:
        problems = _problems(s, name, cleaned)
        if problems:
            raise ExperimentInvalid(problems)
        row = Experiment(
            name=name,
            variants=json.dumps(
                [{"name": v.name, "version": v.version, "share": v.share} for v in cleaned]
            ),
            created_at=now,
        )
        s.add(row)
        s.flush()
        return _info(row)


def _locked(s: Session, experiment_id: int) -> tuple[Experiment, list[Experiment]]:
    """The experiment and all the others, every row locked: two admins starting two
    experiments at once cannot both succeed."""
    rows = list(s.scalars(select(Experiment).order_by(Experiment.id).with_for_update()))
    row = next((r for r in rows if r.id == experiment_id), None)
    if row is None:
        raise UnknownExperiment(id=experiment_id)
    return row, rows


def _audit(s: Session, actor: CurrentUser, action: str, row: Experiment, now: dt.datetime) -> None:
    audit.record(
        s,
        action=action,
        account_id=None,
        before={"experiment": row.name},
        after={"experiment": row.name, "variants": _described(_variants(row.variants))},
        at=now,
        actor_user_id=actor.id,
        actor_name=actor.email,
    )


def start(
    db: Database, actor: CurrentUser | None, experiment_id: int, *, now: dt.datetime | None = None
) -> ExperimentInfo:
    """Start the experiment: from now on each leaving customer sees their variant's version.
    Refused while another experiment runs, and for one already started (a stopped experiment
    is not restarted: create a new one)."""
    actor = require_admin(actor)
    now = clock.now(now)
    with db.transaction(write=True) as s:
        row, rows = _locked(s, experiment_id)
        if row.stopped_at is not None:
            raise InvalidInput("experiment.error.stopped", name=row.name)
        if row.started_at is not None:
            raise InvalidInput("experiment.error.already_running", name=row.name)
        other = next((r for r in rows if r.started_at is not None and r.stopped_at is None), None)
        if other is not None:
            raise InvalidInput("experiment.error.another_running", name=other.name)
        # experiments never overlap in time (a flow's variant name is told apart by its
        # start): a start dated before the last stop begins at that stop
        last_stop = max((r.stopped_at for r in rows if r.stopped_at is not None), default=None)
        row.started_at = max(now, last_stop) if last_stop is not None else now
        _audit(s, actor, ACTION_EXPERIMENT_STARTED, row, now)
        return _info(row)


def stop(
    db: Database, actor: CurrentUser | None, experiment_id: int, *, now: dt.datetime | None = None
) -> ExperimentInfo:
    """Stop a running experiment: customers see the live version again; its results stay."""
    actor = require_admin(actor)
    now = clock.now(now)
    with db.transaction(write=True) as s:
        row, _ = _locked(s, experiment_id)
        if row.started_at is None or row.stopped_at is not None:
            raise InvalidInput("experiment.error.not_running", name=row.name)
        row.stopped_at = max(now, row.started_at)
        _audit(s, actor, ACTION_EXPERIMENT_STOPPED, row, now)
        return _info(row)


def experiments(db: Database, actor: CurrentUser | None) -> list[ExperimentInfo]:
    """Every experiment, newest first. Admins only."""
    require_admin(actor)
    with db.transaction() as s:
        rows = s.scalars(select(Experiment).order_by(Experiment.id.desc()))
        return [_info(row) for row in rows]


def running(s: Session, now: dt.datetime) -> ExperimentInfo | None:
    """The experiment running, inside the caller's transaction (None: none). Started and not
    stopped is a state, not a schedule: `now` only keeps the signature of the callers."""
    row = s.scalar(
        select(Experiment)
        .where(Experiment.started_at.is_not(None), Experiment.stopped_at.is_(None))
        .order_by(Experiment.started_at.desc())
        .limit(1)
    )
    return _info(row) if row is not None else None


def _counts(
    s: Session, info: ExperimentInfo, end: dt.datetime
) -> dict[str, tuple[int, int, dict[str, int], int]]:
    """Per variant name: flows, saves, saves by kind, revenue saved; one GROUP BY query."""
    names = [v.name for v in info.variants]
    out: dict[str, Any] = {n: [0, 0, dict.fromkeys(SAVE_KINDS, 0), 0] for n in names}
    if info.started_at is None:
        return {n: tuple(v) for n, v in out.items()}
    f = CancellationFlow
    rows = s.execute(
        select(
            f.variant,
            f.outcome,
            f.offer_kind,
            func.count(),
            func.coalesce(func.sum(f.monthly_revenue_cents), 0),
        )
        .where(f.variant.in_(names), f.started_at >= info.started_at, f.started_at < end)
        .group_by(f.variant, f.outcome, f.offer_kind)
    ).all()
    for variant, outcome, kind, count, revenue in rows:
        tally = out[variant]
        tally[0] += int(count)
        if outcome in SAVED_OUTCOMES:
            tally[1] += int(count)
            # a saved_offer flow from before offer kinds were recorded was a custom plan
            key = KEPT if outcome == OUTCOME_SAVED_KEPT else (kind or OFFER_KIND_CUSTOM_PLAN)
            tally[2][key] = tally[2].get(key, 0) + int(count)
            tally[3] += int(revenue)
    return {n: tuple(v) for n, v in out.items()}


def results(
    db: Database,
    actor: CurrentUser | None,
    experiment_id: int,
    *,
    now: dt.datetime | None = None,
) -> ExperimentResults:
    """Per variant: the flows that started while the experiment ran (from its start to its
    stop, or to now) and recorded the variant, the saves (kept, or an offer taken) by kind,
    the save rate with its Wilson 95% interval, the monthly revenue saved, and the p-value of
    the difference from the first variant (significant below 0.05). `enough` says whether
    every variant has the flows for the figures to say anything."""
    require_admin(actor)
    now = clock.now(now)
    with db.transaction() as s:
        row = s.get(Experiment, experiment_id)
        if row is None:
            raise UnknownExperiment(id=experiment_id)
        info = _info(row)
        counts = _counts(s, info, info.stopped_at or now)
    out: list[VariantResult] = []
    first = counts[info.variants[0].name] if info.variants else (0, 0, {}, 0)
    for index, v in enumerate(info.variants):
        flows, saves, by_kind, revenue = counts[v.name]
        low, high = offers.wilson(saves, flows)
        p = None if index == 0 else offers.two_proportion_p(first[1], first[0], saves, flows)
        out.append(
            VariantResult(
                name=v.name,
                version=v.version,
                share=v.share,
                flows=flows,
                saves=saves,
                saves_by_kind=by_kind,
                save_rate=saves / flows if flows else 0.0,
                low=low,
                high=high,
                revenue_saved_cents=revenue,
                p_value=p,
                significant=None if index == 0 else (p is not None and p < SIGNIFICANCE),
                enough=offers.enough_data(saves, flows),
            )
        )
    return ExperimentResults(
        experiment=info, variants=tuple(out), enough=bool(out) and all(r.enough for r in out)
    )
