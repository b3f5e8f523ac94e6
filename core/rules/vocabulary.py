"""The portal's words, defined once: roles, subscription statuses, what a cancellation flow can
end as, its funnel stages and facts, the survey's reasons, the kinds of support requests, the
audit log's actions and the tenure bands. The app, the lifecycle job, the demo generator and
the insights all use these names; the database stores the strings."""

from __future__ import annotations

import datetime as dt

# --- people ----------------------------------------------------------------------------------

ROLE_CUSTOMER = "customer"
ROLE_ADMIN = "admin"

# --- subscriptions ---------------------------------------------------------------------------

STATUS_ACTIVE = "active"
STATUS_SCHEDULED = "cancellation_scheduled"  # cancelled, running to the end of its cycle
STATUS_ENDED = "ended"  # the cycle is over; data kept while support can reactivate
STATUS_PURGED = "purged"  # personal and billing data erased
STATUS_PAUSED = "paused"  # a retention offer's pause: no invoice, read-only, resumes by itself
SUBSCRIPTION_STATUSES = (
    STATUS_ACTIVE,
    STATUS_PAUSED,
    STATUS_SCHEDULED,
    STATUS_ENDED,
    STATUS_PURGED,
)

# --- the cancellation flow -------------------------------------------------------------------

# What a flow (`CancellationFlow.outcome`) is: open until the customer finishes or leaves it.
OUTCOME_OPEN = "open"
OUTCOME_COMPLETED = "completed"  # the cancellation was scheduled
OUTCOME_SAVED_KEPT = "saved_kept"  # "Keep my subscription"
OUTCOME_SAVED_OFFER = "saved_offer"  # an offer was taken instead (`CancellationFlow.offer_kind`)
OUTCOME_ABANDONED = "abandoned"  # left unfinished (a day later, or a newer flow began)
OUTCOME_UNDONE = "undone"  # scheduled, then resumed by the customer or undone by support
OUTCOMES = (
    OUTCOME_OPEN,
    OUTCOME_COMPLETED,
    OUTCOME_SAVED_KEPT,
    OUTCOME_SAVED_OFFER,
    OUTCOME_ABANDONED,
    OUTCOME_UNDONE,
)
SAVED_OUTCOMES = (OUTCOME_SAVED_KEPT, OUTCOME_SAVED_OFFER)
FINISHED_OUTCOMES = tuple(o for o in OUTCOMES if o != OUTCOME_OPEN)

# The insights funnel, in order: each stage counts the flows that reached it at least once (any
# of its steps, `flow_steps.step`). A flow keeps the stages it reached as a bitmask
# (`CancellationFlow.stages`).
FUNNEL: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("started", ("started",)),
    ("survey", ("survey_answered", "survey_skipped")),
    ("continued", ("continued",)),
    ("consents", ("consents_given",)),
    ("completed", ("completed",)),
)
STAGE_BITS: dict[str, int] = {
    step: 1 << i for i, (_stage, steps) in enumerate(FUNNEL) for step in steps
}

# What a flow's survey (`CancellationFlow.survey`) and retention offer (`.offer`) came to.
SURVEY_NONE, SURVEY_ANSWERED, SURVEY_SKIPPED = "none", "answered", "skipped"
OFFER_NONE, OFFER_SHOWN, OFFER_OPENED, OFFER_REQUESTED = "none", "shown", "opened", "requested"

# The kinds of retention offer a playbook can make (`RetentionOffer.kind`,
# `CancellationFlow.offer_kind` of a flow saved by one), in the order the admin page lists them.
OFFER_KIND_CUSTOM_PLAN = "custom_plan"  # the configurator from $98/month: a request to support
OFFER_KIND_PAUSE = "pause"  # 1 to 3 billing cycles without an invoice, read-only
OFFER_KIND_DISCOUNT = "discount"  # a percentage off the next invoices, for some cycles
OFFER_KIND_DOWNGRADE = "downgrade"  # to a cheaper plan of the catalogue from the next cycle
OFFER_KINDS = (OFFER_KIND_CUSTOM_PLAN, OFFER_KIND_PAUSE, OFFER_KIND_DISCOUNT, OFFER_KIND_DOWNGRADE)


def stage_bit(step: str) -> int:
    """The funnel bit a flow step sets on its flow (0: the step is no funnel stage)."""
    return STAGE_BITS.get(step, 0)


def offer_state(opened_at: dt.datetime | None, requested_at: dt.datetime | None) -> str:
    """What `CancellationFlow.offer` says of a flow that has a retention offer."""
    if requested_at is not None:
        return OFFER_REQUESTED
    return OFFER_OPENED if opened_at is not None else OFFER_SHOWN


# The survey's reasons for cancelling, in the order the survey lists them.
REASONS = (
    "too_expensive",
    "missing_features",
    "not_using",
    "switching_tool",
    "one_campaign",
    "technical_issues",
    "other",
)
NO_REASON = "none"  # a playbook rule for flows whose survey named no reason (skipped or blank)
ANY = "*"  # a playbook rule's segment that matches every value

# --- support requests ------------------------------------------------------------------------

REQUEST_UNDO = "undo_cancellation"
REQUEST_CUSTOM_PLAN = "custom_plan"
REQUEST_REACTIVATION = "reactivation"
REQUEST_OTHER = "other"
REQUEST_KINDS = (REQUEST_UNDO, REQUEST_CUSTOM_PLAN, REQUEST_REACTIVATION, REQUEST_OTHER)
# What a customer may write to support about from the done window or the ended-account page
# (a custom plan is asked for with its configurator instead).
MESSAGE_KINDS = (REQUEST_UNDO, REQUEST_REACTIVATION, REQUEST_OTHER)
REQUEST_OPEN, REQUEST_HANDLED = "open", "handled"
REQUEST_STATUSES = (REQUEST_OPEN, REQUEST_HANDLED)

# --- the audit log ---------------------------------------------------------------------------

ACTION_CANCELLATION_SCHEDULED = "cancellation_scheduled"
ACTION_CANCELLATION_UNDONE = "cancellation_undone"  # by support
ACTION_CANCELLATION_RESUMED = "cancellation_resumed"  # by the customer
ACTION_SUBSCRIPTION_ENDED = "subscription_ended"
ACTION_SUBSCRIPTION_REACTIVATED = "subscription_reactivated"
ACTION_ACCOUNT_PURGED = "account_purged"  # "Data erased for account #N"
ACTION_CUSTOM_PLAN_REQUESTED = "custom_plan_requested"
ACTION_REQUEST_HANDLED = "support_request_handled"
ACTION_OFFER_ACCEPTED = "retention_offer_accepted"  # a pause, discount or downgrade taken
ACTION_SUBSCRIPTION_PAUSED = "subscription_paused"  # the lifecycle starts a pause
ACTION_SUBSCRIPTION_UNPAUSED = "subscription_unpaused"  # by itself at the end, or the customer
ACTION_DISCOUNT_ENDED = "discount_ended"
ACTION_PLAN_DOWNGRADED = "plan_downgraded"
ACTION_PLAYBOOK_SAVED = "playbook_draft_saved"
ACTION_PLAYBOOK_PUBLISHED = "playbook_published"
ACTION_EXPERIMENT_STARTED = "experiment_started"
ACTION_EXPERIMENT_STOPPED = "experiment_stopped"
ACTION_DELIVERY_RETRIED = "outbox_delivery_retried"  # "send again" on the support desk
ACTION_WEBHOOK_SAVED = "webhook_endpoint_saved"  # added or changed by an admin
ACTION_WEBHOOK_DELETED = "webhook_endpoint_deleted"
ACTION_PASSWORD_RESET = "password_reset"  # a reset link used; every other session signed out
# The actions that change a subscription's status, in the order they can happen.
STATE_ACTIONS = (
    ACTION_CANCELLATION_SCHEDULED,
    ACTION_CANCELLATION_UNDONE,
    ACTION_CANCELLATION_RESUMED,
    ACTION_SUBSCRIPTION_ENDED,
    ACTION_SUBSCRIPTION_REACTIVATED,
)

# --- events out (core.outbox) ---------------------------------------------------------------

# What happened, as the outbox records it and webhooks receive it (`type` of the body).
EVENT_CANCELLATION_SCHEDULED = "cancellation.scheduled"
EVENT_CANCELLATION_SAVED = "cancellation.saved"  # kept, or an offer taken (data.saved_by)
EVENT_CANCELLATION_UNDONE = "cancellation.undone"  # resumed by the customer or undone by support
EVENT_ACCOUNT_REACTIVATED = "account.reactivated"
EVENT_SUBSCRIPTION_PAUSED = "subscription.paused"  # a pause starts (the lifecycle)
EVENT_SUBSCRIPTION_RESUMED = "subscription.resumed"  # a pause is over (by itself or resumed now)
EVENT_SUBSCRIPTION_ENDED = "subscription.ended"
EVENT_ACCOUNT_ERASED = "account.erased"  # the purge deleted the account's data
EVENT_SUPPORT_REQUEST = "support_request.received"
EVENT_PASSWORD_RESET = "password.reset_requested"  # an e-mail only: never sent to webhooks
WEBHOOK_EVENTS = (
    EVENT_CANCELLATION_SCHEDULED,
    EVENT_CANCELLATION_SAVED,
    EVENT_CANCELLATION_UNDONE,
    EVENT_ACCOUNT_REACTIVATED,
    EVENT_SUBSCRIPTION_PAUSED,
    EVENT_SUBSCRIPTION_RESUMED,
    EVENT_SUBSCRIPTION_ENDED,
    EVENT_ACCOUNT_ERASED,
    EVENT_SUPPORT_REQUEST,
)
EVENT_TYPES = (*WEBHOOK_EVENTS, EVENT_PASSWORD_RESET)
CHANNEL_EMAIL, CHANNEL_WEBHOOK = "email", "webhook"
# A delivery: waiting (or between retries), sent, kept (an e-mail with no SMTP server set: shown
# on the support desk, not sent), failed (retried for a day without success; shown to admins).
DELIVERY_PENDING = "pending"
DELIVERY_SENT = "sent"
DELIVERY_KEPT = "kept"
DELIVERY_FAILED = "failed"
DELIVERY_STATUSES = (DELIVERY_PENDING, DELIVERY_SENT, DELIVERY_KEPT, DELIVERY_FAILED)

# --- tenure ----------------------------------------------------------------------------------

TENURE_BANDS = ("<6m", "6-12m", "1-2y", "2y+")


def tenure_months(created_at: dt.datetime | dt.date, at: dt.datetime | dt.date) -> int:
    """Calendar months from `created_at` to `at`: the month numbers' difference (15 January
    to 1 July is 6), the day of the month not counted."""
    return (at.year - created_at.year) * 12 + at.month - created_at.month


def tenure_band(created_at: dt.datetime | dt.date, at: dt.datetime | dt.date) -> str:
    """The band of an account's age at `at`, in calendar months: under 6, 6 to 11, 12 to 23,
    24 and more."""
    months = tenure_months(created_at, at)
    if months < 6:
        return "<6m"
    if months < 12:
        return "6-12m"
    if months < 24:
        return "1-2y"
    return "2y+"
