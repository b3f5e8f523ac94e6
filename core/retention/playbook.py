"""The retention playbook's versions (table `playbook_versions`): admins save drafts and
publish them; a published version is frozen for good, and the newest published one is what
leaving customers are offered (outside an experiment). `choose` tells a cancellation flow which
playbook, version and experiment variant it gets. The rules themselves (offers, rules,
matching, what makes a playbook valid) are `core.rules.offers`'.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.identity.auth import CurrentUser, require_admin
from core.platform import audit, clock
from core.platform.db import Database
from core.platform.errors import InvalidInput, NotFound, PortalError
from core.platform.i18n import t
from core.platform.models import PlaybookVersion, User
from core.platform.text import storable
from core.retention.experiments import running
from core.rules import offers
from core.rules.offers import DEFAULT_PLAYBOOK, Playbook, Problem
from core.rules.vocabulary import ACTION_PLAYBOOK_PUBLISHED, ACTION_PLAYBOOK_SAVED

DRAFT = "draft"
PUBLISHED = "published"
MAX_NOTE = 500  # the admin's note on a version ("Pause first for the too expensive")
SAVE_ATTEMPTS = 10  # admins saving new drafts at once: each later one takes the next number


@dataclass(frozen=True)
class VersionInfo:
    number: int
    status: str  # DRAFT / PUBLISHED
    playbook: Playbook
    note: str
    created_at: dt.datetime
    published_at: dt.datetime | None
    author: str | None  # the e-mail of the admin who created it, if known

    @property
    def published(self) -> bool:
        return self.status == PUBLISHED


@dataclass(frozen=True)
class Chosen:
    """The playbook a flow gets: its version (None: none published yet, DEFAULT_PLAYBOOK) and
    the experiment variant it fell into (None: no experiment running)."""

    version: int | None
    variant: str | None
    playbook: Playbook


def message_params(problem: Problem) -> dict[str, Any]:
    """A problem's values as its catalog text names them."""
    return dict(problem.params)


def problem_text(problem: Problem, lang: str) -> str:
    """A problem in the admin's language (the playbook page lists every one)."""
    return t(problem.key, lang, **message_params(problem))


class PlaybookInvalid(InvalidInput):
    """The playbook cannot be saved: every problem (`problems`), in the order of the page; the
    message (key and params) is the first one's."""

    key = "playbook.error.invalid"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        first = self.problems[0] if self.problems else Problem(self.key)
        super().__init__(first.key, **message_params(first))


class VersionFrozen(PortalError):
    """A published version cannot be edited (nor published again): save a new draft."""

    key = "playbook.error.frozen"


class UnknownVersion(NotFound):
    key = "playbook.error.not_found"


def _cleaned(playbook: Playbook) -> Playbook:
    """The offers' copy as it is stored: free text without unstorable characters, trimmed."""
    return replace(
        playbook,
        offers=tuple(
            replace(
                o,
                title={lang: storable(text) for lang, text in o.title.items()},
                body={lang: storable(text) for lang, text in o.body.items()},
            )
            for o in playbook.offers
        ),
    )


def _check(playbook: Playbook) -> None:
    problems = offers.problems(playbook)
    if problems:
        raise PlaybookInvalid(problems)


def _info(row: PlaybookVersion, author: str | None) -> VersionInfo:
    return VersionInfo(
        number=row.number,
        status=row.status,
        playbook=Playbook.from_json(row.content),
        note=row.note or "",
        created_at=row.created_at,
        published_at=row.published_at,
        author=author,
    )


def _author(s: Session, user_id: int | None) -> str | None:
    return s.scalar(select(User.email).where(User.id == user_id)) if user_id else None


def _live_row(s: Session) -> PlaybookVersion | None:
    """The newest published version: the one published last (the highest number on a tie)."""
    return s.scalar(
        select(PlaybookVersion)
        .where(PlaybookVersion.status == PUBLISHED)
        .order_by(PlaybookVersion.published_at.desc(), PlaybookVersion.number.desc())
        .limit(1)
    )


def live_version(db: Database, *, now: dt.datetime | None = None) -> VersionInfo | None:
    """The version customers are offered outside an experiment: the newest published one
    (None while none is). Publishing is a state, not a schedule: `now` only keeps the use
    cases' signature."""
    clock.now(now)
    with db.transaction() as s:
        row = _live_row(s)
        return _info(row, _author(s, row.created_by)) if row else None


def versions(db: Database, actor: CurrentUser | None) -> list[VersionInfo]:
    """Every version, drafts and published, newest (highest number) first. Admins only."""
    require_admin(actor)
    with db.transaction() as s:
        rows = s.execute(
            select(PlaybookVersion, User.email)
            .outerjoin(User, User.id == PlaybookVersion.created_by)
            .order_by(PlaybookVersion.number.desc())
        ).all()
        return [_info(row, email) for row, email in rows]


def version(db: Database, actor: CurrentUser | None, number: int) -> VersionInfo:
    """One version by its number; NotFound if there is none. Admins only."""
    require_admin(actor)
    with db.transaction() as s:
        row = s.scalar(select(PlaybookVersion).where(PlaybookVersion.number == number))
        if row is None:
            raise UnknownVersion(number=number)
        return _info(row, _author(s, row.created_by))


def _summary(playbook: Playbook, number: int, note: str) -> dict[str, object]:
    return {
        "version": number,
        "offers": len(playbook.offers),
        "rules": len(playbook.rules),
        "note": note,
    }


def _save_in(
    s: Session,
    actor: CurrentUser,
    playbook: Playbook,
    number: int | None,
    note: str,
    now: dt.datetime,
) -> VersionInfo:
    if number is None:
        highest = s.scalar(select(func.max(PlaybookVersion.number))) or 0
        row = PlaybookVersion(
            number=highest + 1,
            status=DRAFT,
            content=playbook.to_json(),
            note=note,
            created_at=now,
            created_by=actor.id,
        )
        s.add(row)
        s.flush()  # a number taken meanwhile fails here: IntegrityError, tried again
        before: dict[str, object] = {}
    else:
        row = s.scalar(
            select(PlaybookVersion).where(PlaybookVersion.number == number).with_for_update()
        )
        if row is None:
            raise UnknownVersion(number=number)
        if row.status != DRAFT:
            raise VersionFrozen(number=number)
        before = _summary(Playbook.from_json(row.content), row.number, row.note or "")
        row.content = playbook.to_json()
        row.note = note
    audit.record(
        s,
        action=ACTION_PLAYBOOK_SAVED,
        account_id=None,
        before=before,
        after=_summary(playbook, row.number, note),
        at=now,
        actor_user_id=actor.id,
        actor_name=actor.email,
    )
    return _info(row, _author(s, row.created_by))


def save_draft(
    db: Database,
    actor: CurrentUser | None,
    playbook: Playbook,
    *,
    number: int | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> VersionInfo:
    """Save the playbook as a draft: a new one numbered after the highest (number None), or
    in place of draft `number` (VersionFrozen if that one is published). PlaybookInvalid,
    with every problem, if the playbook cannot be saved; nothing is written then."""
    actor = require_admin(actor)
    now = clock.now(now)
    note = storable(note)
    if len(note) > MAX_NOTE:
        raise InvalidInput("playbook.error.note", most=MAX_NOTE)
    playbook = _cleaned(playbook)
    _check(playbook)
    for attempt in range(1, SAVE_ATTEMPTS + 1):
        try:
            with db.transaction(write=True) as s:
                return _save_in(s, actor, playbook, number, note, now)
        except IntegrityError:
            if number is not None or attempt == SAVE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def publish(
    db: Database, actor: CurrentUser | None, number: int, *, now: dt.datetime | None = None
) -> VersionInfo:
    """Publish draft `number`: checked again, then frozen; from now on it is the version
    customers are offered (outside an experiment). VersionFrozen if it is already published."""
    actor = require_admin(actor)
    now = clock.now(now)
    with db.transaction(write=True) as s:
        row = s.scalar(
            select(PlaybookVersion).where(PlaybookVersion.number == number).with_for_update()
        )
        if row is None:
            raise UnknownVersion(number=number)
        if row.status != DRAFT:
            raise VersionFrozen(number=number)
        try:
            playbook = Playbook.from_json(row.content)
        except ValueError as exc:
            raise PlaybookInvalid([Problem("playbook.error.unreadable")]) from exc
        _check(playbook)
        row.status = PUBLISHED
        row.published_at = now
        row.published_by = actor.id
        audit.record(
            s,
            action=ACTION_PLAYBOOK_PUBLISHED,
            account_id=None,
            before={"version": number},
            after={"version": number, "note": row.note or ""},
            at=now,
            actor_user_id=actor.id,
            actor_name=actor.email,
        )
        return _info(row, _author(s, row.created_by))


def _published(s: Session, number: int) -> Playbook | None:
    content = s.scalar(
        select(PlaybookVersion.content).where(
            PlaybookVersion.number == number, PlaybookVersion.status == PUBLISHED
        )
    )
    return Playbook.from_json(content) if content is not None else None


def choose(s: Session, account_id: int, now: dt.datetime) -> Chosen:
    """The playbook a flow of this account gets, inside the caller's transaction: while an
    experiment runs, the published version of the account's variant; otherwise the newest
    published version; while none is published, DEFAULT_PLAYBOOK (the custom plan for all)."""
    experiment = running(s, now)
    if experiment is not None:
        name = offers.variant_for(
            experiment.id, account_id, [(v.name, v.share) for v in experiment.variants]
        )
        chosen = next(v for v in experiment.variants if v.name == name)
        playbook = _published(s, chosen.version)
        if playbook is not None:
            return Chosen(version=chosen.version, variant=name, playbook=playbook)
    row = _live_row(s)
    if row is not None:
        return Chosen(version=row.number, variant=None, playbook=Playbook.from_json(row.content))
    return Chosen(version=None, variant=None, playbook=DEFAULT_PLAYBOOK)
