"""The subscription lifecycle, applied as of a date: end, renew, purge, sweep stale flows and
delete expired sign-in sessions; and the retention offers customers took: a pause starts when
its cycle ends and resumes on its day, a discount comes off its invoices and then ends, a
downgrade moves the subscription to the cheaper plan from the next cycle. Every invoice it adds
counts as one more paid cycle for the account's saved cancellation flows (the verified saves).

`run()` is idempotent and safe to run at the same time on several machines: every transition is
one conditional UPDATE inside its own transaction ("... WHERE status = 'x' AND period_end = d"),
so of two runners exactly one changes a row and the other finds nothing left to do; invoice
numbers are derived from the period, and UNIQUE, so a renewal can never be billed twice.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from core.customers import renewals
from core.identity.auth import (
    CurrentUser,
    export_last_day,
    purge_expired_sessions,
    remember_erased,
    require_admin,
)
from core.jobs import pauses
from core.platform import audit, clock, outbox
from core.platform.config import Settings, load_settings
from core.platform.db import Database
from core.platform.errors import InvalidInput, NotAuthorized
from core.platform.models import (
    Account,
    AuditEntry,
    Campaign,
    CancellationFlow,
    FlowStep,
    Influencer,
    InfluencerList,
    Invoice,
    Report,
    SavedSearch,
    SignInThrottle,
    Subscription,
    SupportRequest,
    SurveyAnswer,
    User,
)
from core.platform.outbox_tables import OutboxDelivery, OutboxEvent
from core.rules import billing
from core.rules.vocabulary import (
    ACTION_ACCOUNT_PURGED,
    ACTION_SUBSCRIPTION_ENDED,
    DELIVERY_PENDING,
    EVENT_ACCOUNT_ERASED,
    EVENT_SUBSCRIPTION_ENDED,
    OUTCOME_ABANDONED,
    OUTCOME_OPEN,
    STATUS_ACTIVE,
    STATUS_ENDED,
    STATUS_PAUSED,
    STATUS_PURGED,
    STATUS_SCHEDULED,
    stage_bit,
)

STALE_FLOW_HOURS = 24
EMAIL_LIKE = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
REDACTED = "[removed]"


@dataclass
class LifecycleRun:
    """What one run of the job did, as of a day (printed by the command line, shown by the
    demo clock)."""

    as_of: dt.date
    ended: list[int] = field(default_factory=list)  # account ids
    renewed: list[int] = field(default_factory=list)
    invoices: int = 0
    purged: list[int] = field(default_factory=list)
    abandoned_flows: int = 0
    expired_sessions: int = 0  # sign-in sessions past their expiry, deleted
    paused: list[int] = field(default_factory=list)  # a pause started (its cycle ended)
    unpaused: list[int] = field(default_factory=list)  # a pause ended on its day: billing resumed
    discounts_ended: list[int] = field(default_factory=list)  # the last discounted invoice made
    downgraded: list[int] = field(default_factory=list)  # moved to the cheaper plan taken

    def lines(self) -> list[str]:
        ended, renewed, purged = len(self.ended), len(self.renewed), len(self.purged)
        paused, unpaused = len(self.paused), len(self.unpaused)
        discounts, downgraded = len(self.discounts_ended), len(self.downgraded)
        return [
            f"lifecycle as of {self.as_of.isoformat()}:",
            f"  ended:     {_count(ended, 'subscription')} {self.ended or ''}".rstrip(),
            f"  renewed:   {_count(renewed, 'subscription')}, {_count(self.invoices, 'invoice')}",
            f"  paused:    {_count(paused, 'subscription')} {self.paused or ''}".rstrip(),
            f"  resumed:   {_count(unpaused, 'subscription')} {self.unpaused or ''}".rstrip(),
            f"  discounts: {_count(discounts, 'discount')} ended "
            f"{self.discounts_ended or ''}".rstrip(),
            f"  downgrade: {_count(downgraded, 'subscription')} moved to a cheaper plan "
            f"{self.downgraded or ''}".rstrip(),
            f"  purged:    {_count(purged, 'account')} {self.purged or ''}".rstrip(),
            f"  abandoned: {_count(self.abandoned_flows, 'cancellation flow')} left unfinished",
            f"  sessions:  {_count(self.expired_sessions, 'expired sign-in session')} deleted",
        ]


def _count(n: int, noun: str) -> str:
    """ "1 subscription", "2 subscriptions" (the command line speaks English)."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _end(
    db: Database, sub_id: int, as_of: dt.date, now: dt.datetime, settings: Settings
) -> int | None:
    """A scheduled cancellation whose cycle is over: the subscription ends, data kept."""
    with db.transaction(write=True) as s:
        sub = s.get(Subscription, sub_id)
        if sub is None:
            return None
        period_end = sub.current_period_end
        changed = s.execute(
            update(Subscription)
            .where(
                Subscription.id == sub_id,
                Subscription.status == STATUS_SCHEDULED,
                Subscription.current_period_end <= as_of,
            )
            .values(status=STATUS_ENDED, ended_on=period_end, paused_until=None)
        ).rowcount
        if changed != 1:
            return None
        # the cancellation is carried out: it no longer blocks a future one after reactivation
        s.execute(
            update(CancellationFlow)
            .where(CancellationFlow.open_subscription_id == sub_id)
            .values(open_subscription_id=None)
        )
        audit.record(
            s,
            action=ACTION_SUBSCRIPTION_ENDED,
            account_id=sub.account_id,
            before={"status": STATUS_SCHEDULED},
            after={"status": STATUS_ENDED, "ended_on": period_end},
            at=now,
        )
        outbox.emit(
            s,
            EVENT_SUBSCRIPTION_ENDED,
            account_id=sub.account_id,
            at=now,
            data={
                **outbox.account_facts(s, sub.account_id),
                "ended_on": period_end,
                "export_until": export_last_day(period_end, settings),
                "reactivate_until": billing.last_reactivation_day(
                    period_end, settings.reactivation_months
                ),
                "data_deleted_on": billing.data_deletion_date(
                    period_end, settings.reactivation_months
                ),
            },
        )
        return sub.account_id


def _renew(db: Database, sub_id: int, as_of: dt.date, now: dt.datetime) -> renewals.Renewal | None:
    """An active subscription whose cycle is over rolls on, one invoice per new cycle
    (`core.customers.renewals`: a pending downgrade applies from the first new cycle, a
    discount to as many invoices as it has cycles left, then it ends)."""
    with db.transaction(write=True) as s:
        sub = s.get(Subscription, sub_id)
        if (
            sub is None
            or sub.status != STATUS_ACTIVE
            or sub.pause_cycles is not None  # the pause starts first (`pauses.start`)
            or sub.current_period_end > as_of
        ):
            return None
        old_end = sub.current_period_end
        renewal = renewals.plan(s, sub, old_end, as_of)
        # what the conditional UPDATE checks is unchanged (read before it refreshes `sub`)
        was = {
            "next_plan_code": sub.next_plan_code,
            "discount_percent": sub.discount_percent,
            "discount_cycles_left": sub.discount_cycles_left,
        }
        changed = s.execute(
            update(Subscription)
            .where(
                Subscription.id == sub_id,
                Subscription.status == STATUS_ACTIVE,
                Subscription.current_period_end == old_end,
                Subscription.pause_cycles.is_(None),
                *(getattr(Subscription, k).is_not_distinct_from(v) for k, v in was.items()),
            )
            .values(**renewal.values())
        ).rowcount
        if changed != 1:
            return None
        renewals.bill(s, sub, renewal, now)
        return renewal


def _identifiers(company: str, emails: list[str], full_names: list[str]) -> set[str]:
    """Everything that could name the account: whole names and each of their words."""
    whole = {company, *emails, *full_names}
    words = {w for n in (company, *full_names) for w in re.split(r"[\W_]+", n)}
    words |= {e.split("@", 1)[0] for e in emails}
    words |= {w for e in emails for w in re.split(r"[\W_]+", e.split("@", 1)[0])}
    return {n for n in whole | words if n and len(n) >= 3}


def _scrub(text: str, identifiers: set[str]) -> str:
    """Free text without the names, emails or company of the purged account."""
    text = EMAIL_LIKE.sub(REDACTED, text)
    for name in sorted(identifiers, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", REDACTED, text, flags=re.IGNORECASE)
    return text


def purge_account(s: Session, account_id: int) -> None:
    """Delete the account's personal and billing data; keep anonymised survey answers."""
    account = s.get(Account, account_id)
    if account is None:
        return
    users = s.execute(
        select(User.id, User.email, User.full_name).where(User.account_id == account_id)
    ).all()
    user_ids = [u.id for u in users]
    names = _identifiers(account.company, [u.email for u in users], [u.full_name for u in users])
    flow_ids = list(
        s.scalars(select(CancellationFlow.id).where(CancellationFlow.account_id == account_id))
    )
    for answer in s.scalars(select(SurveyAnswer).where(SurveyAnswer.flow_id.in_(flow_ids))):
        answer.comment = _scrub(answer.comment, names)
        answer.follow_up = _scrub(answer.follow_up, names)
    s.execute(
        update(CancellationFlow)
        .where(CancellationFlow.id.in_(flow_ids))
        .values(account_id=None, user_id=None, open_subscription_id=None)
    )
    s.execute(update(FlowStep).where(FlowStep.flow_id.in_(flow_ids)).values(detail=""))
    for model in (SavedSearch, InfluencerList, Campaign, Report, Invoice, SupportRequest):
        s.execute(delete(model).where(model.account_id == account_id))  # type: ignore[attr-defined]
    s.execute(delete(Influencer).where(Influencer.account_id == account_id))
    s.execute(
        update(AuditEntry)
        .where(AuditEntry.actor_user_id.in_(user_ids))
        .values(actor_user_id=None, actor="customer (deleted)")
    )
    s.execute(update(AuditEntry).where(AuditEntry.account_id == account_id).values(account_id=None))
    s.execute(delete(SignInThrottle).where(SignInThrottle.email.in_([u.email for u in users])))
    s.execute(delete(User).where(User.account_id == account_id))
    # what was told of the account (its e-mails' addresses, its company in the events): gone
    # once delivered; an event still being sent (the erasure's own e-mail) stays until then
    pending = select(OutboxDelivery.event_id).where(OutboxDelivery.status == DELIVERY_PENDING)
    s.execute(
        delete(OutboxEvent).where(
            OutboxEvent.account_id == account_id, OutboxEvent.id.not_in(pending)
        )
    )
    account.company = ""  # the row stays (country and age feed the charts), the name goes


def _purge(
    db: Database, sub_id: int, as_of: dt.date, settings: Settings, now: dt.datetime
) -> int | None:
    with db.transaction(write=True) as s:
        sub = s.get(Subscription, sub_id)
        if sub is None or sub.status != STATUS_ENDED:
            return None
        ended = sub.ended_on or sub.current_period_end
        if as_of < billing.data_deletion_date(ended, settings.reactivation_months):
            return None
        changed = s.execute(
            update(Subscription)
            .where(Subscription.id == sub_id, Subscription.status == STATUS_ENDED)
            .values(status=STATUS_PURGED)
        ).rowcount
        if changed != 1:
            return None
        remember_erased(s, sub.account_id, as_of)  # sign-in can then explain (after the password)
        # the customer's confirmation goes to their address, which the purge then deletes
        # (the worker forgets it once the e-mail is sent)
        outbox.emit(
            s,
            EVENT_ACCOUNT_ERASED,
            account_id=sub.account_id,
            at=now,
            data={"account_id": sub.account_id, "erased_on": as_of, "ended_on": ended},
        )
        purge_account(s, sub.account_id)
        # the log keeps that it happened, and nothing personal: the account's number only
        audit.record(
            s,
            action=ACTION_ACCOUNT_PURGED,
            account_id=sub.account_id,
            before={"status": STATUS_ENDED},
            after={"status": STATUS_PURGED},
            at=now,
        )
        return sub.account_id


def _sweep_flows(db: Database, now: dt.datetime) -> int:
    cutoff = now - dt.timedelta(hours=STALE_FLOW_HOURS)
    with db.transaction(write=True) as s:
        stale = s.scalars(
            select(CancellationFlow.id).where(
                CancellationFlow.outcome == OUTCOME_OPEN, CancellationFlow.started_at < cutoff
            )
        ).all()
        count = 0
        for flow_id in stale:
            changed = s.execute(
                update(CancellationFlow)
                .where(CancellationFlow.id == flow_id, CancellationFlow.outcome == OUTCOME_OPEN)
                .values(
                    outcome=OUTCOME_ABANDONED,
                    finished_at=now,
                    # the step's funnel stage, kept on the flow like every other step's
                    stages=CancellationFlow.stages.op("|")(stage_bit("abandoned")),
                )
            ).rowcount
            if changed == 1:
                s.add(FlowStep(flow_id=flow_id, step="abandoned", at=now, detail=""))
                count += 1
        return count


def run(
    db: Database,
    as_of: dt.date | None = None,
    *,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> LifecycleRun:
    """Apply everything that is due on `as_of` (default: today), and delete the sign-in
    sessions that have expired by `now`."""
    now = clock.now(now)
    return _run(db, as_of or now.date(), now, settings or load_settings(), sessions_at=now)


_STATE = (
    Subscription.id,
    Subscription.status,
    Subscription.current_period_end,
    Subscription.pause_cycles,
    Subscription.paused_until,
)
MAX_TRANSITIONS = 8  # per subscription and run: e.g. pause, resume, renew; or end, purge


def _advance(
    db: Database,
    state: tuple,
    as_of: dt.date,
    now: dt.datetime,
    settings: Settings,
    done: LifecycleRun,
) -> None:
    """Every transition due for one subscription, in order, each in its own transaction; stops
    as soon as one finds nothing to do (or another runner did it first)."""
    sub_id = state[0]
    for _ in range(MAX_TRANSITIONS):
        _, status, period_end, pause_cycles, paused_until = state
        if status == STATUS_SCHEDULED and period_end <= as_of:
            if not (account_id := _end(db, sub_id, as_of, now, settings)):
                return
            done.ended.append(account_id)
        elif status == STATUS_ACTIVE and period_end <= as_of and pause_cycles is not None:
            if not (account_id := pauses.start(db, sub_id, as_of, now)):
                return
            done.paused.append(account_id)
        elif status == STATUS_ACTIVE and period_end <= as_of:
            if not (renewal := _renew(db, sub_id, as_of, now)):
                return
            _once(done.renewed, renewal.account_id)
            done.invoices += len(renewal.invoices)
            if renewal.downgraded:
                done.downgraded.append(renewal.account_id)
            if renewal.discount_ended:
                done.discounts_ended.append(renewal.account_id)
        elif status == STATUS_PAUSED and (paused_until or period_end) <= as_of:
            if not (account_id := pauses.end(db, sub_id, as_of, now)):
                return
            done.unpaused.append(account_id)
        elif status == STATUS_ENDED:
            if account_id := _purge(db, sub_id, as_of, settings, now):
                done.purged.append(account_id)
            return
        else:
            return
        with db.transaction() as s:
            state = s.execute(select(*_STATE).where(Subscription.id == sub_id)).one_or_none()
        if state is None:
            return


def _once(ids: list[int], account_id: int) -> None:
    if account_id not in ids:
        ids.append(account_id)


def _run(
    db: Database, as_of: dt.date, now: dt.datetime, settings: Settings, *, sessions_at: dt.datetime
) -> LifecycleRun:
    done = LifecycleRun(as_of=as_of)
    with db.transaction() as s:
        due = s.execute(
            select(*_STATE).where(
                or_(
                    Subscription.status == STATUS_ENDED,
                    Subscription.current_period_end <= as_of,
                    and_(Subscription.status == STATUS_PAUSED, Subscription.paused_until <= as_of),
                ),
                Subscription.status != STATUS_PURGED,
            )
        ).all()
    for state in due:
        _advance(db, tuple(state), as_of, now, settings, done)
    event_time = max(now, dt.datetime.combine(as_of, dt.time(), dt.UTC))
    done.abandoned_flows = _sweep_flows(db, event_time)
    done.expired_sessions = purge_expired_sessions(db, now=sessions_at)
    return done


DEMO_CLOCK_DAYS = 31  # the demo clock's preset: past the end of every monthly billing cycle


def demo_clock_preset(today: dt.date) -> dt.date:
    """The day the demo clock offers to run the job as of: `DEMO_CLOCK_DAYS` after today."""
    return today + dt.timedelta(days=DEMO_CLOCK_DAYS)


def run_demo_clock(
    db: Database,
    actor: CurrentUser | None,
    as_of: dt.date,
    *,
    settings: Settings | None = None,
) -> LifecycleRun:
    """Demo mode only, admins only: apply the lifecycle as if today were `as_of`. Sign-in
    sessions expire in real time whatever day the demo shows: they are purged as of now (so
    a demo date weeks ahead does not sign everybody out)."""
    settings = settings or load_settings()
    require_admin(actor)
    if not settings.demo_mode:
        raise NotAuthorized()
    if not isinstance(as_of, dt.date) or not dt.date(2000, 1, 1) <= as_of <= dt.date(2100, 1, 1):
        raise InvalidInput("demo.error.date")
    now = dt.datetime.combine(as_of, dt.time(12), dt.UTC)
    return _run(db, as_of, now, settings, sessions_at=clock.now())
