"""Who may call what: every public `core` function that takes the acting user, called as
anonymous, as another customer, as the owner of the account and as an admin.

The functions are found by inspection (every public function of a `core` module with an
`actor` parameter), so a new one that is not in the table below fails
`test_every_function_that_takes_an_actor_is_in_the_matrix` until someone decides who may call
it. Functions that read or write account data without an actor (the command line's and the
lifecycle job's) are listed with the reason they need none.

A cell is one of:
  ALLOW   the call succeeds;
  REFUSE  `NotAuthorized` is raised and the database is exactly as before;
  OWN     (another customer, on a function that has no account parameter) the call acts on
          the caller's own account (it succeeds, or says that account has nothing of the
          kind) and neither returns nor changes the owner's data.

Each function runs on a fresh copy of a small shop (a SQLite file copied from a template),
prepared into the state its allowed call needs; the refused cells run first, so each is
checked against the untouched state.
"""

from __future__ import annotations

import importlib
import inspect
import io
import pkgutil
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, select, update

import core
from core import exports, support_desk
from core.customers import accounts, customer_desk
from core.documents import receipt
from core.exports import services
from core.exports.request import ExportRequest
from core.identity import auth
from core.insights import analytics
from core.jobs import lifecycle, pauses
from core.outbox import outgoing, webhooks
from core.platform.config import Settings
from core.platform.db import Database, open_database
from core.platform.errors import NotAuthorized, PortalError
from core.platform.models import CancellationFlow, Subscription, SupportRequest, SurveyAnswer
from core.platform.outbox_tables import OutboxDelivery
from core.retention import cancellation, custom_plan, experiments, offers, playbook, way_back
from core.retention.cancellation import ALL_CONSENTS, Survey
from core.rules import billing
from core.rules.offers import ANY, DEFAULT_PLAYBOOK, Offer, Playbook, Rule
from core.rules.pricing import PlanConfig
from tests.support import factories
from tests.support.env import NOW

ALLOW, REFUSE, OWN = "allow", "refuse", "own"
ROLES = ("anonymous", "other", "owner", "admin")
DEMO = Settings(demo_mode=True)
CSV = ExportRequest(exports.INFLUENCERS, "csv")


@dataclass
class Shop:
    db: Database
    users: dict[str, auth.CurrentUser]
    alice_account: int
    bob_account: int
    flow_id: str = ""
    request_id: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def actor(self, role: str) -> auth.CurrentUser | None:
        return {
            "anonymous": None,
            "other": self.users["bob"],
            "owner": self.users["alice"],
            "admin": self.users["boss"],
        }[role]


# --- states a call may need -------------------------------------------------------------------


def at_survey(shop: Shop) -> None:
    shop.flow_id = cancellation.start(shop.db, shop.users["alice"], now=NOW).flow_id


def at_decide(shop: Shop) -> None:
    at_survey(shop)
    cancellation.answer_survey(shop.db, shop.users["alice"], shop.flow_id, None, now=NOW)


def at_consent(shop: Shop) -> None:
    at_decide(shop)
    cancellation.go_on(shop.db, shop.users["alice"], shop.flow_id, now=NOW)


def scheduled(shop: Shop) -> None:
    at_consent(shop)
    cancellation.confirm(shop.db, shop.users["alice"], shop.flow_id, ALL_CONSENTS, now=NOW)
    shop.request_id = way_back.contact_support(shop.db, shop.users["alice"], "undo please", now=NOW)


def ended(shop: Shop) -> None:
    scheduled(shop)
    with shop.db.transaction() as s:
        s.execute(
            update(Subscription)
            .where(Subscription.account_id == shop.alice_account)
            .values(status="ended", ended_on=NOW.date(), current_period_end=NOW.date())
        )


def nothing(shop: Shop) -> None:
    return None


PAUSE = Playbook(
    offers=(Offer("pause1", "pause", cycles=1, title={"en": "Pause", "it": "Sospendi"}),),
    rules=(Rule(ANY, ("pause1",)),),
)


def offer_shown(shop: Shop) -> None:
    """A published playbook offers Alice a pause on step 2."""
    playbook.save_draft(shop.db, shop.users["boss"], PAUSE, now=NOW)
    playbook.publish(shop.db, shop.users["boss"], 1, now=NOW)
    at_decide(shop)


def offer_taken(shop: Shop) -> None:
    """Alice took the pause: it starts when her cycle ends."""
    offer_shown(shop)
    offers.accept(shop.db, shop.users["alice"], shop.flow_id, "pause1", now=NOW)


def with_draft(shop: Shop) -> None:
    """Version 1 of the playbook, a draft."""
    playbook.save_draft(shop.db, shop.users["boss"], DEFAULT_PLAYBOOK, now=NOW)


def with_experiment(shop: Shop) -> None:
    """Version 1 published, and an experiment on it (not started)."""
    with_draft(shop)
    playbook.publish(shop.db, shop.users["boss"], 1, now=NOW)
    halves = [experiments.Variant("a", 1, 50), experiments.Variant("b", 1, 50)]
    shop.extra["experiment"] = experiments.create(shop.db, shop.users["boss"], "E", halves).id


def running_experiment(shop: Shop) -> None:
    with_experiment(shop)
    experiments.start(shop.db, shop.users["boss"], shop.extra["experiment"], now=NOW)


INVOICE_START = NOW.date().replace(day=1)


def invoiced(shop: Shop) -> None:
    """Alice has one invoice (Bob has none)."""
    with shop.db.transaction() as s:
        sub = s.scalar(select(Subscription).where(Subscription.account_id == shop.alice_account))
        accounts.add_invoice(s, sub, INVOICE_START, NOW.date())


def failed_email(shop: Shop) -> None:
    """Alice's cancellation e-mail could not be sent for a day: failed."""
    scheduled(shop)
    with shop.db.transaction() as s:
        s.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.id == _first_email(shop))
            .values(status="failed", last_error="HTTP 500")
        )


def _first_email(shop: Shop) -> int:
    with shop.db.transaction() as s:
        return s.scalar(select(OutboxDelivery.id).order_by(OutboxDelivery.id).limit(1))


HOOK_URL = "https://93.184.215.14/hooks"  # a public address: no look-up, allowed everywhere


def with_endpoint(shop: Shop) -> None:
    """A webhook endpoint, added by the admin."""
    endpoint, _secret = webhooks.save_endpoint(
        shop.db, shop.users["boss"], url=HOOK_URL, event_types=["cancellation.scheduled"], now=NOW
    )
    shop.extra["endpoint"] = endpoint.id


def _invoice_pdf(shop: Shop, actor: Any) -> Any:
    number = billing.invoice_number(shop.alice_account, INVOICE_START)
    return services.invoice_pdf(shop.db, actor, number, shop.alice_account, now=NOW)


# --- the matrix -------------------------------------------------------------------------------

CUSTOMER_OWN = {"anonymous": REFUSE, "other": REFUSE, "owner": ALLOW, "admin": REFUSE}
CUSTOMER_SELF = {"anonymous": REFUSE, "other": OWN, "owner": ALLOW, "admin": REFUSE}
ACCOUNT = {"anonymous": REFUSE, "other": REFUSE, "owner": ALLOW, "admin": ALLOW}
ADMIN_ONLY = {"anonymous": REFUSE, "other": REFUSE, "owner": REFUSE, "admin": ALLOW}
SIGNED_IN = {"anonymous": REFUSE, "other": OWN, "owner": ALLOW, "admin": ALLOW}

Call = Callable[[Shop, Any], Any]


def a(shop: Shop) -> int:
    return shop.alice_account


MATRIX: dict[str, tuple[Callable[[Shop], None], Call, dict[str, str]]] = {
    # the customer's account, read by its owner or an admin
    "accounts.overview": (nothing, lambda s, u: accounts.overview(s.db, u, a(s)), ACCOUNT),
    "accounts.data_counts": (nothing, lambda s, u: accounts.data_counts(s.db, u, a(s)), ACCOUNT),
    # exports and the PDF report
    "services.export_options": (
        nothing,
        lambda s, u: exports.export_options(s.db, u, a(s)),
        ACCOUNT,
    ),
    "services.plan_export": (
        nothing,
        lambda s, u: exports.plan_export(s.db, u, CSV, a(s)),
        ACCOUNT,
    ),
    "services.xlsx_problem": (
        nothing,
        lambda s, u: exports.xlsx_problem(s.db, u, CSV, a(s)),
        ACCOUNT,
    ),
    "services.export_bytes": (
        nothing,
        lambda s, u: exports.export_bytes(s.db, u, CSV, a(s)),
        ACCOUNT,
    ),
    "services.write_export": (
        nothing,
        lambda s, u: exports.write_export(s.db, u, CSV, _Sink(), a(s)),
        ACCOUNT,
    ),
    "links.stream_export": (
        nothing,
        lambda s, u: b"".join(exports.stream_export(s.db, u, CSV, a(s))),
        ACCOUNT,
    ),
    "services.export_sql": (nothing, lambda s, u: exports.export_sql(s.db, u, CSV, a(s)), ACCOUNT),
    "links.download_token": (
        nothing,
        lambda s, u: exports.download_token(s.db, u, CSV, a(s)),
        ACCOUNT,
    ),
    "access.open_for_export": (nothing, lambda s, u: _open_for_export(s, u), ACCOUNT),
    "services.report_figures": (
        nothing,
        lambda s, u: services.report_figures(s.db, u, a(s), now=NOW),
        ACCOUNT,
    ),
    "services.report_pdf": (
        nothing,
        lambda s, u: services.report_pdf(s.db, u, a(s), now=NOW),
        ACCOUNT,
    ),
    "services.invoice_pdf": (invoiced, lambda s, u: _invoice_pdf(s, u), ACCOUNT),
    # the cancellation flow: the customer's own, never an admin's
    "cancellation.scheduled": (
        scheduled,
        lambda s, u: cancellation.scheduled(s.db, u),
        CUSTOMER_SELF,
    ),
    "cancellation.current": (
        at_survey,
        lambda s, u: cancellation.current(s.db, u, now=NOW),
        CUSTOMER_SELF,
    ),
    "cancellation.start": (
        nothing,
        lambda s, u: cancellation.start(s.db, u, now=NOW),
        CUSTOMER_SELF,
    ),
    "cancellation.answer_survey": (
        at_survey,
        lambda s, u: cancellation.answer_survey(s.db, u, s.flow_id, Survey("other"), now=NOW),
        CUSTOMER_OWN,
    ),
    "cancellation.open_configurator": (
        at_decide,
        lambda s, u: cancellation.open_configurator(s.db, u, s.flow_id, now=NOW),
        CUSTOMER_OWN,
    ),
    "custom_plan.request_plan": (
        at_decide,
        lambda s, u: custom_plan.request_plan(s.db, u, s.flow_id, PlanConfig(seats=2), now=NOW),
        CUSTOMER_OWN,
    ),
    "custom_plan.ask_for_plan": (
        nothing,
        lambda s, u: custom_plan.ask_for_plan(s.db, u, PlanConfig(seats=2), now=NOW),
        CUSTOMER_SELF,
    ),
    "custom_plan.plan_start": (
        nothing,
        lambda s, u: custom_plan.plan_start(s.db, u),
        CUSTOMER_SELF,
    ),
    "custom_plan.open_plan_request": (
        nothing,
        lambda s, u: custom_plan.open_plan_request(s.db, u),
        CUSTOMER_SELF,
    ),
    "way_back.resume": (
        scheduled,
        lambda s, u: way_back.resume(s.db, u, now=NOW),
        CUSTOMER_SELF,
    ),
    "customer_desk.my_requests": (
        scheduled,
        lambda s, u: customer_desk.my_requests(s.db, u),
        CUSTOMER_SELF,
    ),
    "customer_desk.latest_notice": (
        scheduled,
        lambda s, u: customer_desk.latest_notice(s.db, u, now=NOW),
        CUSTOMER_SELF,
    ),
    "cancellation.keep": (
        at_decide,
        lambda s, u: cancellation.keep(s.db, u, s.flow_id, now=NOW),
        CUSTOMER_OWN,
    ),
    "cancellation.go_on": (
        at_decide,
        lambda s, u: cancellation.go_on(s.db, u, s.flow_id, now=NOW),
        CUSTOMER_OWN,
    ),
    "cancellation.confirm": (
        at_consent,
        lambda s, u: cancellation.confirm(s.db, u, s.flow_id, ALL_CONSENTS, now=NOW),
        CUSTOMER_OWN,
    ),
    "way_back.contact_support": (
        scheduled,
        lambda s, u: way_back.contact_support(s.db, u, "hello", now=NOW),
        CUSTOMER_SELF,
    ),
    "offers.shown": (
        offer_shown,
        lambda s, u: offers.shown(s.db, u, s.flow_id, now=NOW),
        CUSTOMER_OWN,
    ),
    "offers.accept": (
        offer_shown,
        lambda s, u: offers.accept(s.db, u, s.flow_id, "pause1", now=NOW),
        CUSTOMER_OWN,
    ),
    "offers.accepted": (
        offer_taken,
        lambda s, u: offers.accepted(s.db, u, s.flow_id),
        CUSTOMER_OWN,
    ),
    "offers.resume_now": (
        offer_taken,
        lambda s, u: offers.resume_now(s.db, u, now=NOW),
        CUSTOMER_SELF,
    ),
    "receipt.offer_receipt_pdf": (
        offer_taken,
        lambda s, u: receipt.offer_receipt_pdf(s.db, u, s.flow_id, "en"),
        CUSTOMER_OWN,
    ),
    "receipt.receipt_pdf": (
        scheduled,
        lambda s, u: receipt.receipt_pdf(s.db, u, "en"),
        CUSTOMER_SELF,
    ),
    "auth.set_language": (nothing, lambda s, u: auth.set_language(s.db, u, "it"), SIGNED_IN),
    # support actions and admin figures
    "way_back.undo_in": (scheduled, lambda s, u: _in(s, way_back.undo_in, u), ADMIN_ONLY),
    "way_back.reactivate_in": (
        ended,
        lambda s, u: _in(s, way_back.reactivate_in, u, DEMO),
        ADMIN_ONLY,
    ),
    "actions.undo": (
        scheduled,
        lambda s, u: support_desk.undo(s.db, u, a(s), now=NOW),
        ADMIN_ONLY,
    ),
    "actions.reactivate": (
        ended,
        lambda s, u: support_desk.reactivate(s.db, u, a(s), now=NOW),
        ADMIN_ONLY,
    ),
    "actions.mark_handled": (
        scheduled,
        lambda s, u: support_desk.mark_handled(s.db, u, s.request_id, now=NOW),
        ADMIN_ONLY,
    ),
    "queue.scheduled_cancellations": (
        scheduled,
        lambda s, u: support_desk.scheduled_cancellations(s.db, u),
        ADMIN_ONLY,
    ),
    "queue.requests": (
        scheduled,
        lambda s, u: support_desk.requests(s.db, u, "undo_cancellation"),
        ADMIN_ONLY,
    ),
    "queue.reactivation_window": (
        ended,
        lambda s, u: support_desk.reactivation_window(s.db, u, now=NOW),
        ADMIN_ONLY,
    ),
    "queue.open_request_counts": (
        scheduled,
        lambda s, u: support_desk.open_request_counts(s.db, u),
        ADMIN_ONLY,
    ),
    "audit_trail.audit_log": (scheduled, lambda s, u: support_desk.audit_log(s.db, u), ADMIN_ONLY),
    "audit_trail.audit_actions": (
        scheduled,
        lambda s, u: support_desk.audit_actions(s.db, u),
        ADMIN_ONLY,
    ),
    "filters.filter_options": (
        scheduled,
        lambda s, u: analytics.filter_options(s.db, u),
        ADMIN_ONLY,
    ),
    "figures.insights": (
        scheduled,
        lambda s, u: analytics.insights(s.db, u, analytics.Filters()),
        ADMIN_ONLY,
    ),
    "status_counts.subscriptions_by_status": (
        scheduled,
        lambda s, u: analytics.subscriptions_by_status(s.db, u, analytics.Filters()),
        ADMIN_ONLY,
    ),
    # churn rates, revenue at risk (churn, at_risk)
    "churn.churn_rates": (
        scheduled,
        lambda s, u: analytics.churn_rates(s.db, u, analytics.Filters()),
        ADMIN_ONLY,
    ),
    "at_risk.revenue_at_risk": (
        scheduled,
        lambda s, u: analytics.revenue_at_risk(s.db, u, analytics.Filters()),
        ADMIN_ONLY,
    ),
    # the Churn report (churn_report)
    "churn_report.churn_report_pdf": (
        scheduled,
        lambda s, u: analytics.churn_report_pdf(
            s.db, u, analytics.Filters(), "en", today=NOW.date()
        ),
        ADMIN_ONLY,
    ),
    "figures.figures": (
        scheduled,
        lambda s, u: analytics.figures(s.db, u, analytics.Filters()),
        ADMIN_ONLY,
    ),
    "retention.verified_saves": (
        scheduled,
        lambda s, u: analytics.verified_saves(s.db, u, analytics.Filters(), today=NOW.date()),
        ADMIN_ONLY,
    ),
    "retention.offer_kinds": (
        scheduled,
        lambda s, u: analytics.offer_kinds(s.db, u, analytics.Filters()),
        ADMIN_ONLY,
    ),
    "comments.comments": (
        scheduled,
        lambda s, u: analytics.comments(s.db, u, analytics.Filters()),
        ADMIN_ONLY,
    ),
    "crosstabs.crosstabs": (
        scheduled,
        lambda s, u: analytics.crosstabs(s.db, u, analytics.Filters()),
        ADMIN_ONLY,
    ),
    "drill.flows_behind": (
        scheduled,
        lambda s, u: analytics.flows_behind(s.db, u, analytics.Filters()),
        ADMIN_ONLY,
    ),
    "answer_files.answers_csv": (
        scheduled,
        lambda s, u: analytics.answers_csv(s.db, u, analytics.Filters(), "en"),
        ADMIN_ONLY,
    ),
    "answer_files.write_answers_csv": (
        scheduled,
        lambda s, u: analytics.write_answers_csv(s.db, u, analytics.Filters(), "en", io.BytesIO()),
        ADMIN_ONLY,
    ),
    "answer_files.stream_answers": (
        scheduled,
        lambda s, u: b"".join(analytics.stream_answers(s.db, u, analytics.Filters(), "en")),
        ADMIN_ONLY,
    ),
    "answer_files.answers_download_token": (
        scheduled,
        lambda s, u: analytics.answers_download_token(s.db, u, analytics.Filters(), "en"),
        ADMIN_ONLY,
    ),
    "lifecycle.run_demo_clock": (
        scheduled,
        lambda s, u: lifecycle.run_demo_clock(s.db, u, NOW.date(), settings=DEMO),
        ADMIN_ONLY,
    ),
    "pauses.upcoming": (
        scheduled,
        lambda s, u: pauses.upcoming(s.db, u, settings=DEMO),
        ADMIN_ONLY,
    ),
    # the support desk's Outgoing tab: e-mails and webhook calls
    "outgoing.deliveries": (scheduled, lambda s, u: outgoing.deliveries(s.db, u), ADMIN_ONLY),
    "outgoing.status_counts": (
        scheduled,
        lambda s, u: outgoing.status_counts(s.db, u),
        ADMIN_ONLY,
    ),
    "outgoing.delivery_mail": (
        scheduled,
        lambda s, u: outgoing.delivery_mail(s.db, u, _first_email(s), settings=DEMO),
        ADMIN_ONLY,
    ),
    "outgoing.send_again": (
        failed_email,
        lambda s, u: outgoing.send_again(s.db, u, _first_email(s), now=NOW, settings=DEMO),
        ADMIN_ONLY,
    ),
    # the retention playbook and its experiments
    "playbook.versions": (with_draft, lambda s, u: playbook.versions(s.db, u), ADMIN_ONLY),
    "playbook.version": (with_draft, lambda s, u: playbook.version(s.db, u, 1), ADMIN_ONLY),
    "playbook.save_draft": (
        nothing,
        lambda s, u: playbook.save_draft(s.db, u, DEFAULT_PLAYBOOK, now=NOW),
        ADMIN_ONLY,
    ),
    "playbook.publish": (
        with_draft,
        lambda s, u: playbook.publish(s.db, u, 1, now=NOW),
        ADMIN_ONLY,
    ),
    "experiments.create": (
        with_experiment,
        lambda s, u: experiments.create(
            s.db, u, "F", [experiments.Variant("a", 1, 50), experiments.Variant("b", 1, 50)]
        ),
        ADMIN_ONLY,
    ),
    "experiments.start": (
        with_experiment,
        lambda s, u: experiments.start(s.db, u, s.extra["experiment"], now=NOW),
        ADMIN_ONLY,
    ),
    "experiments.stop": (
        running_experiment,
        lambda s, u: experiments.stop(s.db, u, s.extra["experiment"], now=NOW),
        ADMIN_ONLY,
    ),
    "experiments.experiments": (
        with_experiment,
        lambda s, u: experiments.experiments(s.db, u),
        ADMIN_ONLY,
    ),
    "experiments.results": (
        running_experiment,
        lambda s, u: experiments.results(s.db, u, s.extra["experiment"], now=NOW),
        ADMIN_ONLY,
    ),
    # webhook endpoints (the support desk's Outgoing tab)
    "webhooks.endpoints": (with_endpoint, lambda s, u: webhooks.endpoints(s.db, u), ADMIN_ONLY),
    "webhooks.save_endpoint": (
        with_endpoint,
        lambda s, u: webhooks.save_endpoint(
            s.db, u, url=HOOK_URL, event_types=["account.erased"], now=NOW
        ),
        ADMIN_ONLY,
    ),
    "webhooks.rotate_secret": (
        with_endpoint,
        lambda s, u: webhooks.rotate_secret(s.db, u, s.extra["endpoint"], now=NOW),
        ADMIN_ONLY,
    ),
    "webhooks.delete_endpoint": (
        with_endpoint,
        lambda s, u: webhooks.delete_endpoint(s.db, u, s.extra["endpoint"], now=NOW),
        ADMIN_ONLY,
    ),
}

# Functions with an `actor` parameter that are the checks themselves, or pure helpers.
HELPERS = {
    "auth.require_signed_in": "the check itself",
    "auth.require_admin": "the check itself",
    "auth.require_account": "the check itself (tested in test_auth)",
    "auth.require_customer": "the check itself",
    "auth.pages_for": "which screens to list; the data behind them is checked by each function",
    "access.resolve_account_id": "fills in the actor's own account id; reads nothing",
}

# Public functions that read or write account data with no actor, and why they need none.
NO_ACTOR = {
    "worker.run_once": "the delivery worker (cron, --loop or the demo's thread), not a person",
    "worker.run_loop": "the delivery worker (--loop or the demo's thread), not a person",
    "outbox.emit": "inside the caller's transaction: the use case has checked its actor",
    "outbox.account_facts": "part of an event written inside a checked use case (outbox.emit)",
    "outbox.customer_contact": "part of an event written inside a checked use case",
    "outbox.flow_saved": "inside keep's, accept's or ask_for_plan's transaction",
    "outbox.support_request": "inside contact_support's or ask_for_plan's transaction",
    "renewals.plan": "inside the renewal's or the resume's transaction (lifecycle, offers)",
    "renewals.bill": "inside the renewal's or the resume's transaction (lifecycle, offers)",
    "renewals.count_paid_cycle": "part of billing a new cycle (renewals.bill)",
    "pauses.start": "part of the lifecycle job (a pause starts), its own transaction",
    "pauses.end": "part of the lifecycle job (a pause is over), its own transaction",
    "accounts.overview_by_email": "the operator's command line (`python -m core account show`)",
    "access.actor_for_email": "the operator's command line: the export itself is then checked",
    "links.open_download": "authorised by a signed link bound to the browser's session cookie",
    "links.open_signed": "checks a signed link against the browser's session cookie",
    "answer_files.open_answers_download": (
        "authorised by a signed link bound to the browser's session cookie; an admin's only"
    ),
    "lifecycle.run": "the lifecycle job (cron), not a person",
    "lifecycle.purge_account": "part of the lifecycle job, inside its transaction",
    "accounts.add_invoice": "inside the lifecycle job's or reactivate's transaction",
    "report_data.collect_in": "inside a transaction whose caller has checked the actor",
    "audit.record": "inside the transaction of a use case that has checked its actor",
    "offers.record_offers": "inside the flow's transaction (answer_survey, go_on): actor checked",
    "totals.scope": "inside the transaction of a use case that has checked its actor",
    "totals.read": "inside the transaction of a use case that has checked its actor",
    "totals.commented": "inside the transaction of a use case that has checked its actor",
    "playbook.live_version": "what customers are offered: no account data, nothing written",
    "playbook.choose": "inside the cancellation flow's transaction, whose caller has checked it",
    "experiments.running": "inside the transaction of a use case that has checked its actor",
    "resets.request_reset": "signed out by nature (forgot password): the same answer for any "
    "address, the link goes only to the address itself",
    "resets.reset_password": "authorised by the reset link's single-use token (only its hash "
    "stored), sent to the user's own address",
    "resets.reset_valid": "whether a reset link's token can still be used; reads nothing else",
}


class _Sink:
    def write(self, data: bytes) -> int:
        return len(data)

    def flush(self) -> None:
        return None


def _in(shop: Shop, function: Callable[..., Any], actor: Any, *settings: Settings) -> Any:
    """A use case that runs inside its caller's transaction."""
    with shop.db.transaction(write=True) as s:
        return function(s, actor, shop.alice_account, NOW, *settings)


def _open_for_export(shop: Shop, actor: Any) -> Any:
    with shop.db.transaction() as s:
        return exports.open_for_export(s, actor, shop.alice_account)


def actor_functions() -> set[str]:
    found = set()
    for short, module in core_modules():
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            public = fn.__module__ == module.__name__ and not name.startswith("_")
            if public and "actor" in inspect.signature(fn).parameters:
                found.add(f"{short}.{name}")
    return found


def _own_functions(module) -> list[str]:
    return [
        name
        for name, fn in inspect.getmembers(module, inspect.isfunction)
        if fn.__module__ == module.__name__
    ]


def core_modules(skip: tuple[str, ...] = ()):
    """(the module's own name, the module) for every module of core's packages; left out: the
    migrations, the demo generator (it writes data, nobody calls it as a user), the rules (pure
    functions of plain values: no database, no actor), the packages themselves (they define no
    function) and every module or package named in `skip`. The own names must be unique: the
    matrix is keyed by them."""
    seen: set[str] = set()
    for info in pkgutil.walk_packages(core.__path__, "core."):
        parts = info.name.split(".")[1:]
        short = parts[-1]
        if {"migrations", "demo", "rules", *skip} & set(parts) or short.startswith("_"):
            continue
        if info.ispkg:  # a package's functions are its modules' (it re-exports at most)
            assert not _own_functions(importlib.import_module(info.name)), info.name
            continue
        assert short not in seen, f"two modules of core are named {short}: the matrix needs one"
        seen.add(short)
        yield short, importlib.import_module(info.name)


def test_every_function_that_takes_an_actor_is_in_the_matrix():
    found = actor_functions()
    missing = found - set(MATRIX) - set(HELPERS)
    assert not missing, f"decide who may call these and add them to MATRIX: {sorted(missing)}"
    assert not (set(MATRIX) - found), "the matrix names functions that no longer exist"


def test_functions_without_an_actor_that_touch_account_data_are_known():
    """Every public function taking a database or a session but no actor is listed, with why."""
    suspicious = set()
    # demo data, the engine, and sign-in (which establishes the actor) are left out
    for short, module in core_modules(skip=("db", "auth")):
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__ or name.startswith("_"):
                continue
            params = inspect.signature(fn).parameters
            if "actor" not in params and ({"db", "s"} & set(params)):
                suspicious.add(f"{short}.{name}")
    assert suspicious == set(NO_ACTOR), suspicious ^ set(NO_ACTOR)


# --- the shop ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("matrix") / "template.db"
    db = open_database(f"sqlite:///{path}")
    plan_id = factories.plan(db, "growth", 24900)
    factories.customer(db, "alice@example.com", plan_id, now=NOW, company="Alice Unique Srl")
    factories.customer(db, "bob@example.com", plan_id, now=NOW, company="Bob Ltd")
    factories.admin(db, "boss@example.com", now=NOW)
    db.engine.dispose()
    return path


def fresh_shop(template: Path, tmp_path: Path) -> Shop:
    path = tmp_path / "shop.db"
    shutil.copyfile(template, path)
    db = open_database(f"sqlite:///{path}")
    users = {
        who: auth.sign_in(db, f"{who}@example.com", factories.PASSWORD, now=NOW).user
        for who in ("alice", "bob", "boss")
    }
    return Shop(db, users, users["alice"].account_id, users["bob"].account_id)


def snapshot(db: Database) -> dict[str, list[tuple]]:
    """Every row of every table (sign-in sessions aside), to prove a refusal changed nothing."""
    meta = MetaData()
    meta.reflect(db.engine)
    out = {}
    with db.engine.connect() as conn:
        for table in meta.sorted_tables:
            if table.name in ("user_sessions", "alembic_version"):
                continue
            out[table.name] = sorted(map(tuple, conn.execute(select(table))), key=repr)
    return out


def owners_state(shop: Shop) -> tuple:
    """The owner's subscription, cancellation flows, survey answers and support requests."""
    with shop.db.transaction() as s:
        sub = s.execute(
            select(Subscription.status, Subscription.cancel_requested_at).where(
                Subscription.account_id == shop.alice_account
            )
        ).one()
        flows = s.execute(
            select(CancellationFlow.id, CancellationFlow.outcome)
            .where(CancellationFlow.account_id == shop.alice_account)
            .order_by(CancellationFlow.id)
        ).all()
        answers = s.execute(
            select(SurveyAnswer.flow_id, SurveyAnswer.reason)
            .where(SurveyAnswer.flow_id.in_([f.id for f in flows]))
            .order_by(SurveyAnswer.flow_id)
        ).all()
        requests = s.execute(
            select(SupportRequest.id, SupportRequest.status)
            .where(SupportRequest.account_id == shop.alice_account)
            .order_by(SupportRequest.id)
        ).all()
    return (
        tuple(sub),
        tuple(map(tuple, flows)),
        tuple(map(tuple, answers)),
        tuple(map(tuple, requests)),
    )


@pytest.mark.parametrize("function", sorted(MATRIX))
def test_only_the_allowed_cells_succeed(template, tmp_path, function):
    prep, call, expected = MATRIX[function]
    shop = fresh_shop(template, tmp_path)
    prep(shop)
    assert set(expected) == set(ROLES)
    order = sorted(ROLES, key=lambda r: expected[r] == ALLOW)  # refusals first
    for role in order:
        before = snapshot(shop.db)
        cell = expected[role]
        if cell == REFUSE:
            with pytest.raises(NotAuthorized):
                call(shop, shop.actor(role))
            assert snapshot(shop.db) == before, f"{function} as {role} was refused but wrote"
        elif cell == OWN:
            owners = owners_state(shop)
            try:
                result = call(shop, shop.actor(role))
            except NotAuthorized:
                raise
            except PortalError as exc:  # the caller's own account has nothing of the kind
                result = exc
            assert "Alice Unique Srl" not in repr(result), f"{function} as {role} leaked"
            assert "alice@example.com" not in repr(result), f"{function} as {role} leaked"
            assert owners_state(shop) == owners, f"{function} as {role} changed the owner's data"
        else:
            call(shop, shop.actor(role))  # succeeds: no exception at all
    shop.db.engine.dispose()


def test_an_admin_acting_as_a_customer_is_refused_on_the_customers_flow(template, tmp_path):
    """The cancellation flow is the customer's own decision: an admin cannot take a step in it
    (support undoes a cancellation instead, which is audited)."""
    shop = fresh_shop(template, tmp_path)
    at_consent(shop)
    with pytest.raises(NotAuthorized):
        cancellation.confirm(shop.db, shop.users["boss"], shop.flow_id, ALL_CONSENTS, now=NOW)
    with shop.db.transaction() as s:
        status = s.scalar(
            select(Subscription.status).where(Subscription.account_id == shop.alice_account)
        )
        assert status == "active"
        assert not s.scalars(select(SupportRequest)).all()


def test_a_customer_cannot_reach_another_account_by_id_anywhere(template, tmp_path):
    """Bob names Alice's account id in every function that takes one: refused, every time."""
    shop = fresh_shop(template, tmp_path)
    bob = shop.users["bob"]
    takes_account = [
        name for name in MATRIX if "account_id" in inspect.signature(_function(name)).parameters
    ]
    assert len(takes_account) >= 15
    for name in takes_account:
        _prep, call, expected = MATRIX[name]
        assert expected["other"] == REFUSE, name
        with pytest.raises(NotAuthorized):
            call(shop, bob)


def _function(dotted: str) -> Callable[..., Any]:
    module, name = dotted.split(".")
    return getattr(dict(core_modules())[module], name)
